"""Why an upload is refused: the one error both the name and the contents checks raise."""

from __future__ import annotations

from intranet.i18n import N_, Refusal

NOT_ACCEPTED = N_("This kind of file is not accepted: %(name)s")
MISMATCH = N_("The contents of %(name)s do not match its file name extension")


class UploadRefused(Refusal):
    """An upload the site will not keep."""


def refuse(code: str, message: str, name: str | None = None) -> UploadRefused:
    return UploadRefused(code, message, {"name": name} if name is not None else None)
