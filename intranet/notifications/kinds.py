"""Kinds of notification: what a person may choose to receive by e-mail.

Each area registers its kinds when its modules are imported (intranet.areas loads them
at start-up); the preferences page lists every registered kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from intranet.i18n import N_, gettext


@dataclass(frozen=True)
class Kind:
    name: str  # stored in Notification.kind and EmailPreference.kind, at most 40 characters
    label: str  # English msgid (N_), translated where shown
    email_by_default: bool

    @property
    def translated_label(self) -> str:
        return gettext(self.label)


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind (again at re-import: the same name simply replaces the old one)."""
    if not kind.name or len(kind.name) > 40:
        raise ValueError(f"a kind's name has 1 to 40 characters: {kind.name!r}")
    _KINDS[kind.name] = kind
    return kind


def all_kinds() -> list[Kind]:
    return list(_KINDS.values())


def get(name: str) -> Kind | None:
    return _KINDS.get(name)


NOTICE_PUBLISHED = register(
    Kind("notice.published", N_("A notice is published to you"), email_by_default=True)
)
NOTICE_REMINDER = register(
    Kind("notice.reminder", N_("A reminder about a notice you have not read"), True)
)
