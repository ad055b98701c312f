"""Report forms for staff: the list, the builder, versions, preview and .xlsx in and out.

Only those acting for a form's owner see it (surveys.policy.require_form); anyone else
gets 404. The edits themselves are surveys.building's pure operations; saving follows
its versioning rule (a frozen version is never changed: the edit makes the next one).

Each builder step is a plain form (POST, then 303 back to the builder) that htmx posts
too: then the same endpoint answers with the partial it changed (the settings, one
section list, one question) and Vary: HX-Request. A refused edit changes nothing and
shows every problem beside the form it came from, with 422.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise.expressions import Q

from intranet import audit, policy, uploads
from intranet.forms import clean_line, clean_text, form_data, parse_id
from intranet.i18n import N_, gettext
from intranet.models import Membership, Organisation
from intranet.templating import is_htmx, render
from surveys import building, examples
from surveys.models import Form, FormVersion
from surveys.policy import form_owners, require_form
from surveys.schema import (
    COLUMN_TYPES,
    Aggregate,
    Carry,
    FormDefinition,
    Problem,
    Question,
    QuestionType,
    Respondent,
)
from surveys.xlsform import ImportProblems, form_from_xlsx, form_to_xlsx

MAX_IMPORT_BYTES = 2 * 1024 * 1024
XLSX_MEDIA_TYPE = uploads.AttachmentKind.XLSX.media_type

PAGES = "surveys/forms/"
BUILDER_PAGE = PAGES + "builder.html"
LIST_PAGE = PAGES + "list.html"

TYPE_LABELS = {
    QuestionType.SHORT_TEXT: N_("Short text"),
    QuestionType.LONG_TEXT: N_("Long text"),
    QuestionType.INTEGER: N_("Whole number"),
    QuestionType.DECIMAL: N_("Decimal number"),
    QuestionType.SINGLE_CHOICE: N_("Single choice"),
    QuestionType.MULTIPLE_CHOICE: N_("Multiple choice"),
    QuestionType.YES_NO: N_("Yes / no"),
    # Not "Date": that msgid is a notice's date of issue (成文日期).
    QuestionType.DATE: N_("Calendar date"),
    QuestionType.FILE: N_("File"),
    QuestionType.TABLE: N_("Table"),
}
AGGREGATE_LABELS = {
    Aggregate.SUM: N_("Sum"),
    Aggregate.AVERAGE: N_("Average"),
    Aggregate.MIN: N_("Smallest"),
    Aggregate.MAX: N_("Largest"),
    Aggregate.COUNT: N_("Count"),
    Aggregate.LIST: N_("List"),
    Aggregate.NONE: N_("None"),
}
RESPONDENT_LABELS = {
    Respondent.ORGANISATION: N_("One per organisation"),
    Respondent.PERSON: N_("One per person"),
}
DONE_MESSAGES = {
    "created": N_("The form has been created. Add its sections and questions."),
    "imported": N_("The workbook has been imported."),
    "saved": N_("Your change has been saved."),
    "new_version": N_("Your change has been saved as a new version of the form."),
}
NO_SUCH_PART = N_("That part of the form is no longer there; the page has been reloaded.")
NOT_XLSX = N_("Upload the form as an Excel workbook (.xlsx).")
IMPORT_TOO_LARGE = N_("The workbook is larger than the limit of %(limit)s MB.")
NO_FILE = N_("Choose a workbook to upload.")
CHOOSE_OWNER = N_("Choose one of the organisations you act for.")

QUESTION_FIELDS = ("key", "label", "type", "help", "min", "max", "unit", "aggregate", "carry")
QUESTION_CHECKS = ("required", "cumulative")
# What the builder offers for a question's carry-over (surveys.schema.Carry).
CARRY_CHOICES = {
    Carry.INCREMENT: N_("New this round (no change: 0)"),
    Carry.STANDING: N_("Standing value (no change: as last round)"),
    Carry.NOTHING: N_("Written anew each round"),
}


# -- shared helpers ------------------------------------------------------------------------


@dataclass
class Failure:
    """An edit that was refused: which form on the page, what was typed, what is wrong."""

    anchor: str
    values: Mapping[str, str]
    messages: list[str]
    fields: set[str] = field(default_factory=set)


def failure_of(anchor: str, values: Mapping[str, str], problems: list[Problem]) -> Failure:
    return Failure(
        anchor=anchor,
        values=values,
        messages=[problem.translated() for problem in problems],
        fields={problem.field for problem in problems},
    )


def wants_partial(request: Request) -> bool:
    # A boosted form wants a whole page; only the builder's own hx-post wants a partial.
    return is_htmx(request) and request.headers.get("hx-boosted") != "true"


def done_message(request: Request) -> str:
    message = DONE_MESSAGES.get(request.query_params.get("done", ""))
    return gettext(message) if message else ""


def acting_organisations(held: list[Membership]) -> list[Organisation]:
    return policy.acting_organisations(held)


def builder_url(request: Request, form_id: int, done: str = "", anchor: str = "") -> str:
    url = str(request.app.url_path_for("surveys:form", form_id=form_id))
    return url + (f"?done={done}" if done else "") + (f"#{anchor}" if anchor else "")


def question_values(question: Question | None) -> dict[str, str]:
    """A question as the builder's fields show it."""
    if question is None:
        return {"type": QuestionType.SHORT_TEXT.value}
    return {
        "key": question.key,
        "label": question.label,
        "type": question.type.value,
        "help": question.help,
        "required": "on" if question.required else "",
        "min": "" if question.min is None else str(question.min),
        "max": "" if question.max is None else str(question.max),
        "unit": question.unit,
        "aggregate": question.aggregate.value,
        "cumulative": "on" if question.cumulative else "",
        "carry": question.carry.value if question.carry is not None else "",
        "choices": building.choices_text(question.choices),
    }


def typed_question(form: FormData) -> dict[str, str]:
    values = {name: clean_line(form.get(name, "")) for name in QUESTION_FIELDS}
    values["help"] = clean_text(form.get("help", ""))
    values["choices"] = clean_text(form.get("choices", ""))
    for name in QUESTION_CHECKS:
        values[name] = "on" if form.get(name) else ""
    return values


def option_lists() -> dict[str, Any]:
    return {
        "type_options": [(t.value, gettext(label)) for t, label in TYPE_LABELS.items()],
        "column_type_options": [
            (t.value, gettext(label)) for t, label in TYPE_LABELS.items() if t in COLUMN_TYPES
        ],
        "aggregate_options": [(a.value, gettext(label)) for a, label in AGGREGATE_LABELS.items()],
        "respondent_options": [(r.value, gettext(label)) for r, label in RESPONDENT_LABELS.items()],
        "carry_options": [(c.value, gettext(label)) for c, label in CARRY_CHOICES.items()],
        "type_label": lambda t: gettext(TYPE_LABELS[QuestionType(t)]),
        "aggregate_label": lambda a: gettext(AGGREGATE_LABELS[Aggregate(a)]),
        "respondent_label": lambda r: gettext(RESPONDENT_LABELS[Respondent(r)]),
        "question_values": question_values,
    }


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
        versions[version.form_id].append(version)  # type: ignore[attr-defined]
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
        "done": done_message(request),
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


# -- .xlsx ---------------------------------------------------------------------------------


class UploadProblem(Exception):
    def __init__(self, message: str):
        self.message = message


async def read_workbook(form: FormData) -> FormDefinition:
    """The form in the uploaded workbook. Raises UploadProblem or ImportProblems."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UploadProblem(gettext(NO_FILE))
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        limit = f"{MAX_IMPORT_BYTES / (1024 * 1024):g}"
        raise UploadProblem(gettext(IMPORT_TOO_LARGE) % {"limit": limit})
    try:
        kind = uploads.check_attachment_file(upload.filename, data)
    except uploads.UploadRefused as refused:
        raise UploadProblem(f"{refused.translated()} {gettext(NOT_XLSX)}") from None
    if kind is not uploads.AttachmentKind.XLSX:
        raise UploadProblem(gettext(NOT_XLSX))
    return form_from_xlsx(data)


def import_failure(error: UploadProblem | ImportProblems) -> dict[str, Any]:
    if isinstance(error, UploadProblem):
        return {"import_message": error.message, "import_problems": []}
    return {"import_message": "", "import_problems": error.problems}


async def import_form(request: Request) -> Response:
    held = await require_maker(request)
    form = await form_data(request)
    owner = chosen_owner(held, form.get("owner"))
    try:
        if owner is None:
            raise UploadProblem(gettext(CHOOSE_OWNER))
        definition = await read_workbook(form)
    except (UploadProblem, ImportProblems) as error:
        return await list_page(request, held, 422, **import_failure(error))
    return await created(request, owner, definition, "form.import")


async def import_version(request: Request) -> Response:
    form_record = (await require_form(request, form_id_of(request)))[1]
    form = await form_data(request)
    try:
        definition = await read_workbook(form)
    except (UploadProblem, ImportProblems) as error:
        return await builder_page(request, form_record, status_code=422, **import_failure(error))
    saved = await building.save_definition(
        form_record, lambda _: definition, new_version=bool(form.get("new_version"))
    )
    await audit.record(
        request,
        "form.import",
        target=form_record,
        organisation=form_record.owner,
        summary=f"{definition.title} v{saved.version.number}",
    )
    done = "new_version" if saved.made_new_version else "imported"
    return RedirectResponse(builder_url(request, form_record.id, done), status_code=303)


async def export_xlsx(request: Request) -> Response:
    form, version = await require_version(request)
    body = form_to_xlsx(version.form_definition())
    name = f"{version.form_definition().title or form.title}-v{version.number}.xlsx"
    return Response(
        body,
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "content-disposition": uploads.content_disposition(name),
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )


# -- the builder ---------------------------------------------------------------------------


def form_id_of(request: Request) -> int:
    return int(request.path_params["form_id"])


async def require_version(request: Request) -> tuple[Form, FormVersion]:
    form = (await require_form(request, form_id_of(request)))[1]
    number = int(request.path_params["number"])
    version = (
        await FormVersion.get_or_none(form_id=form.id, number=number)
        if 0 < number <= policy.MAX_ID
        else None
    )
    if version is None:
        raise policy.not_found()
    return form, version


async def builder_context(form: Form, **extra: Any) -> dict[str, Any]:
    versions = await FormVersion.filter(form_id=form.id).order_by("number")
    latest = versions[-1]
    definition = latest.form_definition()
    return {
        "form": form,
        "version": latest,
        "versions": versions,
        "definition": definition,
        "incomplete": [problem.translated() for problem in building.incomplete(definition)],
        "failure": None,
        "open_anchor": "",
        "oob": False,
        **option_lists(),
        **extra,
    }


async def builder_page(
    request: Request, form: Form, *, status_code: int = 200, **extra: Any
) -> Response:
    context = await builder_context(form, done=done_message(request), **extra)
    response = render(request, BUILDER_PAGE, context, status_code=status_code)
    response.headers.append("vary", "HX-Request")
    return response


async def builder(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    return await builder_page(request, form)


@dataclass(frozen=True)
class Edit:
    """One builder step: the change, the form on the page it came from (`anchor`), what
    was typed there, and the partial to answer htmx with."""

    change: Callable[[FormDefinition], FormDefinition]
    anchor: str
    partial: str
    values: Mapping[str, str] = field(default_factory=dict)
    partial_context: Callable[[FormDefinition], dict[str, Any]] = lambda _: {}


async def apply(request: Request, form: Form, edit: Edit) -> Response:
    """Save the edit (or refuse it, changing nothing) and answer as the request wants."""
    try:
        saved = await building.save_definition(form, edit.change)
    except building.NoSuchPart:
        return await part_gone(request, form)
    except building.EditRefused as refused:
        failure = failure_of(edit.anchor, edit.values, refused.problems)
        return await answer(request, form, edit, status_code=422, failure=failure)
    if saved.made_new_version:
        url = builder_url(request, form.id, "new_version")
        if wants_partial(request):  # the banner and the version list change too
            return Response(status_code=200, headers={"hx-redirect": url, "vary": "HX-Request"})
        return RedirectResponse(url, status_code=303)
    if wants_partial(request):
        # Adding one more question (or column) is likely: its form stays open.
        return await answer(request, form, edit, open_anchor=edit.anchor)
    return RedirectResponse(builder_url(request, form.id, "saved", edit.anchor), status_code=303)


async def answer(
    request: Request, form: Form, edit: Edit, *, status_code: int = 200, **extra: Any
) -> Response:
    if not wants_partial(request):
        return await builder_page(request, form, status_code=status_code, **extra)
    context = await builder_context(form, oob=True, **extra)
    context.update(edit.partial_context(context["definition"]))
    part = render(request, PAGES + edit.partial, context, status_code=status_code)
    # Whether the form is finished may change with any step: swapped in out of band.
    readiness = render(request, PAGES + "_readiness.html", context)
    return HTMLResponse(
        bytes(part.body) + bytes(readiness.body),
        status_code=status_code,
        headers={"vary": "HX-Request", "cache-control": "no-store"},
    )


async def part_gone(request: Request, form: Form) -> Response:
    # Someone removed or renamed it in another tab: show the form as it is now.
    url = builder_url(request, form.id)
    if wants_partial(request):
        return Response(status_code=409, headers={"hx-redirect": url, "vary": "HX-Request"})
    return await builder_page(request, form, status_code=409, gone=gettext(NO_SUCH_PART))


def offset_of(op: str) -> int:
    return -1 if op == "up" else 1


def section_context(key: str) -> Callable[[FormDefinition], dict[str, Any]]:
    def context(definition: FormDefinition) -> dict[str, Any]:
        section = next((s for s in definition.sections if s.key == key), None)
        return {"section": section, "section_index": definition.sections.index(section)}

    return context


def question_context(*keys: str) -> Callable[[FormDefinition], dict[str, Any]]:
    """The question partial's question: under its new key if the edit was saved, else
    under its old one."""

    def context(definition: FormDefinition) -> dict[str, Any]:
        found = (definition.question(key) for key in keys)
        return {"question": next((q for q in found if q is not None), None)}

    return context


async def edit_settings(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    typed = await form_data(request)
    values = {
        "title": clean_line(typed.get("title", "")),
        "instructions": clean_text(typed.get("instructions", "")),
        "respondent": clean_line(typed.get("respondent", "")),
    }
    edit = Edit(
        change=lambda d: building.edit_settings(d, **values),
        anchor="form-settings",
        partial="_settings.html",
        values=values,
    )
    return await apply(request, form, edit)


async def add_section(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    typed = await form_data(request)
    values = {"key": clean_line(typed.get("key", "")), "title": clean_line(typed.get("title", ""))}
    edit = Edit(
        change=lambda d: building.add_section(d, **values),
        anchor="new-section",
        partial="_sections.html",
        values=values,
    )
    return await apply(request, form, edit)


async def change_section(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    key, op = request.path_params["section"], request.path_params["op"]
    typed = await form_data(request)
    if op == "edit":
        values = {
            "key": clean_line(typed.get("key", "")),
            "title": clean_line(typed.get("title", "")),
        }
        values["key"] = values["key"] or key
        edit = Edit(
            change=lambda d: building.edit_section(d, key, **values),
            anchor=f"section-{key}",
            partial="_sections.html",
            values=values,
        )
    elif op in ("up", "down"):
        edit = Edit(
            lambda d: building.move_section(d, key, offset_of(op)),
            "form-sections",
            "_sections.html",
        )
    elif op == "remove":
        edit = Edit(lambda d: building.remove_section(d, key), "form-sections", "_sections.html")
    else:
        raise policy.not_found()
    return await apply(request, form, edit)


async def add_question(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    section = request.path_params["section"]
    values = typed_question(await form_data(request))
    edit = Edit(
        change=lambda d: building.add_question(d, section, building.question_from_fields(values)),
        anchor=f"new-question-{section}",
        partial="_section.html",
        values=values,
        partial_context=section_context(section),
    )
    return await apply(request, form, edit)


async def change_question(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    key, op = request.path_params["question"], request.path_params["op"]
    values = typed_question(await form_data(request))

    def edited(d: FormDefinition) -> FormDefinition:
        # A key left empty is kept: answers already given are stored under it.
        question = building.question_from_fields(
            {**values, "key": values["key"] or key}, d.question(key)
        )
        return building.edit_question(d, key, question)

    if op == "edit":
        new_key = values["key"] or key
        edit = Edit(
            edited, f"question-{key}", "_question.html", values, question_context(new_key, key)
        )
    elif op in ("up", "down"):
        # A question may move into the next section, so the whole list is answered.
        edit = Edit(
            lambda d: building.move_question(d, key, offset_of(op)),
            f"question-{key}",
            "_sections.html",
        )
    elif op == "remove":
        edit = Edit(lambda d: building.remove_question(d, key), "form-sections", "_sections.html")
    else:
        raise policy.not_found()
    return await apply(request, form, edit)


async def add_column(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    key = request.path_params["question"]
    values = typed_question(await form_data(request))
    edit = Edit(
        change=lambda d: building.add_column(d, key, building.question_from_fields(values)),
        anchor=f"new-column-{key}",
        partial="_question.html",
        values=values,
        partial_context=question_context(key),
    )
    return await apply(request, form, edit)


def column_of(definition: FormDefinition, key: str, column_key: str) -> Question | None:
    table = definition.question(key)
    return next((c for c in table.columns if c.key == column_key), None) if table else None


async def change_column(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    key, column = request.path_params["question"], request.path_params["column"]
    op = request.path_params["op"]
    values = typed_question(await form_data(request))

    def edited(d: FormDefinition) -> FormDefinition:
        kept = {**values, "key": values["key"] or column}
        typed = building.question_from_fields(kept, column_of(d, key, column))
        return building.edit_column(d, key, column, typed)

    changes: dict[str, Callable[[FormDefinition], FormDefinition]] = {
        "edit": edited,
        "up": lambda d: building.move_column(d, key, column, -1),
        "down": lambda d: building.move_column(d, key, column, 1),
        "remove": lambda d: building.remove_column(d, key, column),
    }
    if op not in changes:
        raise policy.not_found()
    anchor = f"column-{key}-{column}" if op == "edit" else f"question-{key}"
    edit = Edit(changes[op], anchor, "_question.html", values, question_context(key))
    return await apply(request, form, edit)


# -- versions and preview ------------------------------------------------------------------


async def version_page(request: Request) -> Response:
    form, version = await require_version(request)
    context = {
        "form": form,
        "version": version,
        "definition": version.form_definition(),
        "versions": await FormVersion.filter(form_id=form.id).order_by("number"),
        **option_lists(),
    }
    return render(request, PAGES + "version.html", context)


async def preview_page(request: Request, form: Form, version: FormVersion) -> Response:
    context = {"form": form, "version": version, "definition": version.form_definition()}
    return render(request, PAGES + "preview.html", context)


async def preview(request: Request) -> Response:
    form = (await require_form(request, form_id_of(request)))[1]
    return await preview_page(request, form, await building.latest_version(form.id))


async def preview_version(request: Request) -> Response:
    return await preview_page(request, *await require_version(request))


FORM = "/reports/forms/{form_id:int}"
VERSION = FORM + "/versions/{number:int}"
# Keys follow schema.KEY_PATTERN, so a plain path segment holds any of them.
routes = [
    Route("/reports/forms", forms, name="surveys:forms"),
    Route("/reports/forms/new", create_form, methods=["POST"], name="surveys:create_form"),
    Route(
        "/reports/forms/example", create_example, methods=["POST"], name="surveys:create_example"
    ),
    Route("/reports/forms/import", import_form, methods=["POST"], name="surveys:import_form"),
    Route(FORM, builder, name="surveys:form"),
    Route(FORM + "/settings", edit_settings, methods=["POST"], name="surveys:edit_form_settings"),
    Route(FORM + "/sections", add_section, methods=["POST"], name="surveys:add_section"),
    Route(
        FORM + "/sections/{section}/questions",
        add_question,
        methods=["POST"],
        name="surveys:add_question",
    ),
    Route(
        FORM + "/sections/{section}/{op}",
        change_section,
        methods=["POST"],
        name="surveys:change_section",
    ),
    Route(
        FORM + "/questions/{question}/columns",
        add_column,
        methods=["POST"],
        name="surveys:add_column",
    ),
    Route(
        FORM + "/questions/{question}/columns/{column}/{op}",
        change_column,
        methods=["POST"],
        name="surveys:change_column",
    ),
    Route(
        FORM + "/questions/{question}/{op}",
        change_question,
        methods=["POST"],
        name="surveys:change_question",
    ),
    Route(FORM + "/import", import_version, methods=["POST"], name="surveys:import_version"),
    Route(FORM + "/preview", preview, name="surveys:preview_form"),
    Route(VERSION, version_page, name="surveys:form_version"),
    Route(VERSION + "/preview", preview_version, name="surveys:preview_form_version"),
    Route(VERSION + "/export.xlsx", export_xlsx, name="surveys:export_form_version"),
]
