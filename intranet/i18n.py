"""Translations: messages are written in English and translated to Simplified Chinese.

The catalogue is intranet/locale/<locale>/LC_MESSAGES/messages.po, for the intranet and
every area built on it (babel.cfg extracts from all of them); the .po files there are
merged when the site starts, straight from the .po text, so there is no compiled file to
forget to rebuild.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from intranet import PROJECT_ROOT

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_NAMES = {"zh_CN": "简体中文", "en": "English"}
LOCALE_DIRS = (PROJECT_ROOT / "intranet" / "locale",)

_catalogues: dict[str, _gettext.NullTranslations] = {}
_current_locale: ContextVar[str] = ContextVar("huibao_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def po_files(locale: str) -> list[Path]:
    return sorted(
        path for base in LOCALE_DIRS for path in (base / locale / "LC_MESSAGES").glob("*.po")
    )


def merged_catalog(locale: str) -> Catalog:
    merged = Catalog(locale=locale)
    for path in po_files(locale):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string:
                    merged[message.id] = message
    return merged


def _build(locale: str) -> _gettext.NullTranslations:
    if locale == "en":
        return _gettext.NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, merged_catalog(locale))
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def translations(locale: str) -> _gettext.NullTranslations:
    if locale not in _catalogues:
        _catalogues[locale] = _build(locale if locale in LOCALES else DEFAULT_LOCALE)
    return _catalogues[locale]


def reload() -> None:
    _catalogues.clear()


def current_locale() -> str:
    return _current_locale.get()


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext(message: str) -> str:
    return translations(_current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current_locale.get()).ngettext(singular, plural, n)


_ = gettext


def html_lang() -> str:
    return "zh-CN" if current_locale() == "zh_CN" else "en"


class Refusal(Exception):
    """Something the site will not do, told in the reader's language when it is shown.

    `code` is stable, for code and tests to tell refusals apart; `message` is an English
    msgid with %(name)s placeholders filled from `params`.
    """

    def __init__(self, code: str, message: str, params: Mapping[str, object] | None = None):
        self.code = code
        self.message = message
        self.params = dict(params or {})
        super().__init__(message % self.params if self.params else message)

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text
