"""Report forms for staff: the list of the forms a person may work on, and new forms (blank,
the example, or from the form they copy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.expressions import Q

from intranet import audit, policy
from intranet.form_fields import clean_line, clean_text, done_message, form_data, parse_id
from intranet.i18n import gettext
from intranet.models import Membership, Organisation
from intranet.templating import render
from surveys import building, examples
from surveys.models import Form, FormVersion
from surveys.policy import form_owners
from surveys.schema import (
    FormDefinition,
    Problem,
    Respondent,
)
from surveys.views.form_common import (
    CHOOSE_OWNER,
    DONE_MESSAGES,
    LIST_PAGE,
    Failure,
    acting_organisations,
    builder_url,
    failure_of,
    option_lists,
)

# -- the list of forms, and new ones -------------------------------------------------------


async def forms_of(held: list[Membership]) -> list[Form]:
    acting = acting_organisations(held)
    if not acting:
        return []
    inside = Q(*(Q(owner__path__startswith=o.path) for o in acting), join_type="OR")
    return await Form.filter(inside).select_related("owner").order_by("-created_at", "-id")


@dataclass(frozen=True)
class FormRow:
    form: Form
    versions: list[FormVersion]
    questions: int

    @property
    def latest(self) -> FormVersion:
        return self.versions[-1]


async def form_rows(forms: list[Form]) -> list[FormRow]:
    versions: dict[int, list[FormVersion]] = {form.id: [] for form in forms}
    for version in await FormVersion.filter(form_id__in=list(versions)).order_by("number"):
        versions[version.form_id].append(version)
    return [
        FormRow(form, versions[form.id], count_questions(versions[form.id][-1]))
        for form in forms
        if versions[form.id]
    ]


def count_questions(version: FormVersion) -> int:
    return sum(len(section.get("questions", ())) for section in version.definition["sections"])


async def list_page(
    request: Request, held: list[Membership], status_code: int = 200, **extra: Any
) -> Response:
    owners = form_owners(held)
    context = {
        "rows": await form_rows(await forms_of(held)),
        "owner_options": [(str(o.id), o.name) for o in owners],
        "selected_owner": str(owners[0].id) if len(owners) == 1 else "",
        "create_values": {"respondent": Respondent.ORGANISATION.value},
        "done": done_message(request, DONE_MESSAGES),
        **option_lists(),
        **extra,
    }
    return render(request, LIST_PAGE, context, status_code=status_code)


async def require_maker(request: Request) -> list[Membership]:
    """The person's roles, if they act for some organisation; 404 for anyone else."""
    policy.require_user(request)
    held = await policy.memberships(request)
    if not acting_organisations(held):
        raise policy.not_found()
    return held


async def forms(request: Request) -> Response:
    return await list_page(request, await require_maker(request))


def chosen_owner(held: list[Membership], value: object) -> Organisation | None:
    chosen = parse_id(value)
    return next((o for o in form_owners(held) if o.id == chosen), None)


async def create_form(request: Request) -> Response:
    held = await require_maker(request)
    form = await form_data(request)
    values = {
        "title": clean_line(form.get("title", "")),
        "instructions": clean_text(form.get("instructions", "")),
        "respondent": clean_line(form.get("respondent", "")),
        "owner": clean_line(form.get("owner", "")),
    }
    owner = chosen_owner(held, values["owner"])
    problems: list[Problem] = []
    definition = FormDefinition(title="")
    try:
        definition = building.new_form(
            title=values["title"],
            instructions=values["instructions"],
            respondent=values["respondent"],
        )
    except building.EditRefused as refused:
        problems = refused.problems
    failure = failure_of("new-form", values, problems)
    if owner is None:
        failure.messages.append(gettext(CHOOSE_OWNER))
        failure.fields.add("owner")
    if failure.messages:
        return await list_page(request, held, 422, create_failure=failure, create_values=values)
    assert owner is not None
    return await created(request, owner, definition, "form.create")


async def created(
    request: Request, owner: Organisation, definition: FormDefinition, action: str
) -> Response:
    made = await building.create_form(owner.id, definition)
    await audit.record(request, action, target=made, organisation=owner, summary=made.title)
    done = "created" if action == "form.create" else "imported"
    return RedirectResponse(builder_url(request, made.id, done), status_code=303)


async def create_example(request: Request) -> Response:
    held = await require_maker(request)
    form = await form_data(request)
    owner = chosen_owner(held, form.get("owner"))
    if owner is None:
        failure = Failure("example", {}, [gettext(CHOOSE_OWNER)], {"owner"})
        return await list_page(request, held, 422, example_failure=failure)
    return await created(request, owner, examples.weekly_progress_form(), "form.create")
