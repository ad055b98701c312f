"""Report forms for staff — what the list, the builder and the workbook pages share: the
labels of types and aggregates, the ?done= messages, a refused edit, the builder's URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from intranet import policy, uploads
from intranet.form_fields import clean_line, clean_text
from intranet.i18n import N_, gettext
from intranet.models import Membership, Organisation
from intranet.templating import is_htmx
from surveys import building
from surveys.schema import (
    COLUMN_TYPES,
    Aggregate,
    Carry,
    Problem,
    Question,
    QuestionType,
    Respondent,
)

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
