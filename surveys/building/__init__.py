"""Editing a form in the builder: pure operations on a FormDefinition, and its versions.

Every operation takes a definition and returns a new one, or raises EditRefused with the
problems the edit would bring (surveys.schema's validate(), plus fields that are not
even numbers). A form being built may still be incomplete (no sections yet, a section or
a table without anything in it): those problems are listed by `incomplete()` for the
builder to show, but do not stop an edit, so a form can be built one question at a time.
A campaign needs a complete form (FormDefinition.validate() empty).

`save_definition` applies the versioning rule: an edit goes to the form's latest version
unless that is frozen (an opened round uses it); then a new version is made. A frozen
version is never changed, even by an edit racing with the round that freezes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from surveys import schema
from surveys.building.checking import (
    INCOMPLETE,
    NOT_A_NUMBER,
    UNKNOWN_AGGREGATE,
    UNKNOWN_CARRY,
    UNKNOWN_RESPONDENT,
    UNKNOWN_TYPE,
    EditRefused,
    NoSuchPart,
    P,
    checked,
    incomplete,
)
from surveys.building.edits import (
    add_column,
    add_question,
    add_section,
    edit_column,
    edit_question,
    edit_section,
    edit_settings,
    move_column,
    move_question,
    move_section,
    new_form,
    remove_column,
    remove_question,
    remove_section,
)
from surveys.building.fields import (
    choices_text,
    parse_choices,
    question_from_fields,
    question_keys,
    unused_key,
)
from surveys.models import Form, FormVersion
from surveys.schema import FormDefinition

__all__ = [
    "INCOMPLETE",
    "NOT_A_NUMBER",
    "UNKNOWN_AGGREGATE",
    "UNKNOWN_CARRY",
    "UNKNOWN_RESPONDENT",
    "UNKNOWN_TYPE",
    "EditRefused",
    "NoSuchPart",
    "P",
    "Saved",
    "add_column",
    "add_question",
    "add_section",
    "checked",
    "choices_text",
    "create_form",
    "edit_column",
    "edit_question",
    "edit_section",
    "edit_settings",
    "incomplete",
    "latest_version",
    "move_column",
    "move_question",
    "move_section",
    "new_form",
    "parse_choices",
    "question_from_fields",
    "question_keys",
    "remove_column",
    "remove_question",
    "remove_section",
    "save_definition",
    "unused_key",
]


# -- versions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    version: FormVersion
    made_new_version: bool


async def latest_version(form_id: int) -> FormVersion:
    version = await FormVersion.filter(form_id=form_id).order_by("-number").first()
    if version is None:  # every form is created with its first version
        raise NoSuchPart(str(form_id))
    return version


async def create_form(owner_id: int, definition: FormDefinition) -> Form:
    async with in_transaction():
        form = await Form.create(
            title=definition.title, respondent=definition.respondent, owner_id=owner_id
        )
        await FormVersion.create(form=form, number=1, definition=definition.to_dict())
    return form


async def save_definition(
    form: Form, change: Callable[[FormDefinition], FormDefinition], *, new_version: bool = False
) -> Saved:
    """Apply `change` to the latest version's definition and store the result there, or
    in a new version if the latest is frozen (or `new_version` asks for one). `change`
    may raise EditRefused or NoSuchPart; then nothing is stored."""
    for _attempt in range(3):
        try:
            return await _save_once(form, change, new_version)
        except IntegrityError:
            continue  # another edit made the next version first: apply ours to it
    raise RuntimeError(f"could not save form {form.id}")


async def _save_once(
    form: Form, change: Callable[[FormDefinition], FormDefinition], new_version: bool
) -> Saved:
    async with in_transaction():
        # One edit of a form at a time (PostgreSQL); SQLite writes one at a time anyway.
        await Form.filter(id=form.id).select_for_update().first()
        latest = await latest_version(form.id)
        definition = change(latest.form_definition())
        data = definition.to_dict()
        made_new = latest.frozen or new_version
        # The condition keeps a version frozen by an opening round at this moment intact.
        if made_new or not await FormVersion.filter(id=latest.id, frozen=False).update(
            definition=data
        ):
            latest = await FormVersion.create(
                form_id=form.id, number=latest.number + 1, definition=data
            )
            made_new = True
        else:
            latest.definition = data
        await Form.filter(id=form.id).update(
            title=definition.title[: schema.MAX_TITLE_CHARS], respondent=definition.respondent
        )
    form.title, form.respondent = definition.title, definition.respondent
    return Saved(latest, made_new)
