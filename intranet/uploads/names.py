"""How an uploaded file is named for display and download (never how it is stored)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from intranet.i18n import N_
from intranet.uploads.refusal import UploadRefused

MAX_NAME_CHARS = 120
MAX_EXTENSION_CHARS = 10
FALLBACK_NAME = "download"

# Windows refuses these as file names whatever the extension (CON.txt, nul.tar.gz), and
# also in their folded forms: it reads ＣＯＮ, COM¹ and LPT² as CON, COM1 and LPT2.
RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"COM{n}" for n in range(10)]
    + [f"LPT{n}" for n in range(10)]
)
_UNSAFE_CHARS = re.compile(r'[<>:"|?*]')
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


# -- names ------------------------------------------------------------------------------


def clean_filename(name: str) -> str:
    """The name to show and offer for download; raises UploadRefused("name") if none is left."""
    name = unicodedata.normalize("NFC", name)
    # Control characters, bidi overrides (report\u202efdp.exe) and zero-width marks go.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split())
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        raise UploadRefused("name", N_("The file needs a name"))
    if is_reserved_name(name):
        name = "_" + name
    return _trim(name)


def is_reserved_name(name: str) -> bool:
    """Whether Windows would take the name for a device: the part before the first dot,
    less spaces, compared in its compatibility-folded forms (NFKC and NFKD)."""
    stem = name.split(".")[0]
    folded = {unicodedata.normalize(form, stem).strip(" ").upper() for form in ("NFKC", "NFKD")}
    return not folded.isdisjoint(RESERVED_NAMES)


def _trim(name: str) -> str:
    if len(name) <= MAX_NAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS:
        return name[:MAX_NAME_CHARS].rstrip(". ")
    stem = stem[: MAX_NAME_CHARS - len(extension) - 1].rstrip(". ")
    return f"{stem}.{extension}" if stem else extension


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def content_disposition(filename: str) -> str:
    """An attachment header (RFC 6266) with an ASCII fallback and the full UTF-8 name."""
    try:
        name = clean_filename(filename)
    except UploadRefused:
        name = FALLBACK_NAME
    return (
        f'attachment; filename="{_ascii_fallback(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='', encoding='utf-8')}"
    )


def _ascii_fallback(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    stem, extension = _ascii(stem).strip(" ."), _ascii(extension)
    if not any(ch.isalnum() for ch in stem):
        stem = FALLBACK_NAME
    fallback = f"{stem}.{extension}" if extension else stem
    # Dropping what is not ASCII can make a device name (ＣＯＮ.txt, CO中N.txt → CON.txt).
    return "_" + fallback if is_reserved_name(fallback) else fallback


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    # Only plain printable characters, and none that ends or escapes a quoted string.
    return re.sub(r'[^\x20-\x7e]|["\\%]', "_", text)
