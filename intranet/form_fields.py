"""Reading and checking submitted forms.

Views read only the fields they offer, by name; anything else in the body is ignored,
so fields such as organisation_id or role cannot be smuggled in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from intranet.i18n import gettext

# Ids and page numbers as they come in a URL or form: digits only, and few enough of them
# that no database integer overflows.
_ID = re.compile(r"[0-9]{1,9}")

# C0/C1 control characters and the bidirectional overrides that can disguise text.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")
# One address, name@domain: no spaces, commas, angle brackets or quotes, which would make
# a list of addresses or a display name of it when it is put in a To header.
_EMAIL_ADDRESS = re.compile(r"[^\s@,;:<>()\[\]\\\"]+@[^\s@,;:<>()\[\]\\\"]+")


async def form_data(request: Request) -> FormData:
    """The request's form, parsed once (the CSRF check may already have read it)."""
    form = request.scope.get("huibao.form")
    if form is None:
        form = await request.form()
        request.scope["huibao.form"] = form
    return form


def clean_line(value: Any) -> str:
    """One line of text as typed: NFC, no control or direction-override characters."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value)
    text = _LINE_BREAKS.sub(" ", text)
    return _UNSAFE_CHARS.sub("", text).strip()


def clean_text(value: Any) -> str:
    """Several lines of text: like clean_line, but keeps line breaks."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n")
    return without_unsafe_chars(text).strip()


def without_unsafe_chars(text: str) -> str:
    """`text` without control characters other than tab and line breaks, and without the
    direction overrides that make text read other than it is."""
    return _UNSAFE_CHARS.sub("", text)


def is_email_address(value: str) -> bool:
    """One plain e-mail address (name@example.org), as a mail header can carry it."""
    return _EMAIL_ADDRESS.fullmatch(value) is not None


@dataclass
class FormErrors:
    """Messages per field name, already translated."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def get(self, name: str) -> str:
        return self.by_field.get(name, "")


def take_line(
    form: FormData,
    name: str,
    errors: FormErrors,
    *,
    max_length: int,
    required: bool = False,
) -> str:
    value = clean_line(form.get(name, ""))
    if required and not value:
        errors.add(name, gettext("This field is required."))
    elif len(value) > max_length:
        errors.add(name, gettext("At most %(count)d characters, please.") % {"count": max_length})
    return value


def take_upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def parse_id(value: object) -> int | None:
    """An id from a query string or form field, or None if it is not one."""
    return int(value) if isinstance(value, str) and _ID.fullmatch(value) else None


def page_number(request: Request) -> int:
    """The ?page= of a paged list; anything odd means the first page."""
    return max(1, parse_id(request.query_params.get("page")) or 1)


def done_message(request: Request, messages: Mapping[str, str], name: str = "done") -> str:
    """The translated message for a `?done=<key>` a POST redirected to; "" for an unknown key.

    `messages` maps each key the pages redirect with to its (untranslated) message."""
    message = messages.get(request.query_params.get(name, ""))
    return gettext(message) if message else ""
