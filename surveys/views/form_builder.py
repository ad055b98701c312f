"""Report forms for staff: the builder (settings, sections, questions, table columns), a
version's page and the preview."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from intranet import policy
from intranet.form_fields import clean_line, clean_text, done_message, form_data
from intranet.i18n import gettext
from intranet.templating import render
from surveys import building
from surveys.models import Form, FormVersion
from surveys.policy import require_form
from surveys.schema import (
    FormDefinition,
    Question,
)
from surveys.views.form_common import (
    BUILDER_PAGE,
    DONE_MESSAGES,
    NO_SUCH_PART,
    PAGES,
    builder_url,
    failure_of,
    option_lists,
    typed_question,
    wants_partial,
)

# -- the builder ---------------------------------------------------------------------------


def form_id_of(request: Request) -> int:
    return int(request.path_params["form_id"])


async def require_version(request: Request) -> tuple[Form, FormVersion]:
    form = (await require_form(request, form_id_of(request)))[1]
    number = int(request.path_params["number"])
    version = await FormVersion.get_or_none(form_id=form.id, number=number)
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
    context = await builder_context(form, done=done_message(request, DONE_MESSAGES), **extra)
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
