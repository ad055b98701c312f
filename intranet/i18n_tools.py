"""Keep the translation catalogue in step with the source.

    python -m intranet.i18n_tools update   # extract messages, merge them into zh_CN
    python -m intranet.i18n_tools check    # exit 1 if a message lacks a good translation

`update` extracts every marked message (see babel.cfg) into intranet/locale/messages.pot
and merges it into intranet/locale/zh_CN/LC_MESSAGES/messages.po like `pybabel update`:
translations are kept, changed messages get a fuzzy guess, removed ones become obsolete
(#~, if they were translated) and come back if the message returns. Files are only
rewritten when a message changed, so running it twice changes nothing.

`check` extracts afresh (it does not trust the .pot) and reads every zh_CN .po the site
merges (intranet.i18n.po_files), so it sees exactly what the site will show. It lists
messages with no translation, fuzzy translations, and translations whose placeholders
(%(name)s, %d, {name}) differ from the English message.

English needs no catalogue: the messages are English and i18n falls back to them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from intranet import PROJECT_ROOT, i18n

MAPPING_FILE = PROJECT_ROOT / "babel.cfg"
LOCALE_DIR = PROJECT_ROOT / "intranet" / "locale"
TEMPLATE_FILE = LOCALE_DIR / "messages.pot"
LOCALE = "zh_CN"
CATALOGUE_FILE = LOCALE_DIR / LOCALE / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    name: DEFAULT_KEYWORDS[name]
    for name in ("_", "gettext", "ngettext", "N_", "pgettext", "npgettext")
}
COMMENT_TAGS = ("Translators:",)
PROJECT = "Huibao"
TEMPLATE_HEADER = "# Messages of Huibao, extracted from the source; do not translate here.\n#"
CATALOGUE_HEADER = (
    "# Simplified Chinese translations of Huibao.\n"
    "# Refresh with `python -m intranet.i18n_tools update`; verify with `... check`.\n#"
)
# Header lines that change on every run; ignored when deciding whether to rewrite a file.
_VOLATILE_HEADERS = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\n', re.MULTILINE)


# -- extraction -------------------------------------------------------------------------


def _version() -> str:
    try:
        return metadata.version("huibao")
    except metadata.PackageNotFoundError:
        return ""


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    with MAPPING_FILE.open(encoding="utf-8") as handle:
        return parse_mapping_cfg(handle, str(MAPPING_FILE))


def _directory_filter(root: Path, patterns: Iterable[str]):  # type: ignore[no-untyped-def]
    """Walk only the folders the mapping names; skip hidden folders and caches.

    babel's default filter also skips folders starting with "_", which would silently
    drop a templates/_partials/ folder.
    """
    tops = {pattern.split("/", 1)[0] for pattern in patterns}

    def accept(path: str) -> bool:
        parts = Path(os.path.relpath(path, root)).parts
        if not parts or parts[0] not in tops:
            return False
        return not any(part.startswith(".") or part == "__pycache__" for part in parts)

    return accept


def extract(root: Path = PROJECT_ROOT) -> Catalog:
    """Every translatable message in the source, as a template catalogue."""
    method_map, options_map = _mapping()
    catalog = Catalog(
        project=PROJECT, version=_version(), header_comment=TEMPLATE_HEADER, fuzzy=False
    )
    catalog.msgid_bugs_address = ""
    found = extract_from_dir(
        root,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
        directory_filter=_directory_filter(root, (pattern for pattern, _ in method_map)),
    )
    for filename, lineno, message, comments, context in found:
        location = (Path(filename).as_posix(), lineno)
        catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


# -- reading and writing ----------------------------------------------------------------


def read_catalog(path: Path, locale: str | None = LOCALE) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def render_catalog(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    # No line numbers: adding a line to a template must not touch the catalogue.
    write_po(buffer, catalog, width=100, include_lineno=False)
    return buffer.getvalue()


def write_catalog(path: Path, catalog: Catalog) -> bool:
    """Write the catalogue unless only its dates would change. True if written."""
    text = render_catalog(catalog)
    if path.exists() and _VOLATILE_HEADERS.sub(b"", path.read_bytes()) == _VOLATILE_HEADERS.sub(
        b"", text
    ):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return True


def _key(message: Message) -> Any:
    # Babel's own catalogue key: the msgid, or (msgid, context).
    return (message.id, message.context) if message.context else message.id


def _has_string(message: Message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string)


def merge(template: Catalog, catalog: Catalog | None) -> Catalog:
    """`pybabel update`: bring a translation catalogue in line with the template."""
    if catalog is None:
        catalog = Catalog(
            locale=LOCALE, project=PROJECT, header_comment=CATALOGUE_HEADER, fuzzy=False
        )
        catalog.msgid_bugs_address = ""
        catalog.last_translator = PROJECT
        catalog.language_team = "Simplified Chinese"
    catalog.version = template.version
    previously_obsolete = dict(catalog.obsolete)
    catalog.update(template, no_fuzzy_matching=False)
    # A message that was removed and has come back gets its old translation back.
    for message in catalog:
        if not message.id or _has_string(message):
            continue
        old = previously_obsolete.get(_key(message)) or catalog.obsolete.get(_key(message))
        if old is not None and _has_string(old):
            message.string = old.string
            message.flags.discard("fuzzy")
            catalog.obsolete.pop(_key(message), None)
    # An obsolete message is kept only for its translation.
    for key, old in list(catalog.obsolete.items()):
        if not _has_string(old):
            del catalog.obsolete[key]
    return catalog


def update() -> tuple[bool, bool, Catalog]:
    template = extract()
    template_written = write_catalog(TEMPLATE_FILE, template)
    existing = read_catalog(CATALOGUE_FILE) if CATALOGUE_FILE.exists() else None
    catalog = merge(template, existing)
    catalogue_written = write_catalog(CATALOGUE_FILE, catalog)
    return template_written, catalogue_written, catalog


# -- checking ---------------------------------------------------------------------------

_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0+]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<type>[diouxXeEfFgGcrsa%])"
)
_BRACE = re.compile(r"\{(?P<field>[^{}!:]*)(?P<conversion>![rsa])?(?::[^{}]*)?\}")


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """(named %-placeholders, positional %-placeholders in order, {brace} fields)."""
    named: set[str] = set()
    positional: list[str] = []
    for match in _PERCENT.finditer(text):
        kind = match["type"]
        if kind == "%":
            continue
        if match["name"] is not None:
            named.add(f"%({match['name']}){kind}")
        else:
            positional.append(f"%{kind}")
    unescaped = text.replace("{{", "").replace("}}", "")
    fields = {f"{{{m['field']}}}" for m in _BRACE.finditer(unescaped)}
    return frozenset(named), tuple(positional), frozenset(fields)


def _forms(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def placeholder_problem(message: Message) -> str | None:
    """Why the translation's placeholders do not fit the English, or None."""
    originals = _forms(message.id)
    named: set[str] = set()
    fields: set[str] = set()
    for original in originals:
        found = placeholders(original)
        named |= found[0]
        fields |= found[2]
    positional = placeholders(originals[-1])[1]
    for translated in _forms(message.string):
        if not translated:
            continue
        got = placeholders(translated)
        if got[0] != named or got[2] != fields or got[1] != positional:
            wanted = sorted(named | fields) + list(positional)
            have = sorted(got[0] | got[2]) + list(got[1])
            return f"placeholders {have} instead of {wanted}"
    return None


def _describe(message: Message) -> str:
    text = message.id if isinstance(message.id, str) else " | ".join(message.id)
    where = ", ".join(sorted({filename for filename, _ in message.locations}))
    context = f" [context {message.context}]" if message.context else ""
    return f"{text!r}{context}" + (f"  ({where})" if where else "")


def load_translations(locale: str = LOCALE) -> list[Catalog]:
    """The .po files the site merges for this locale, in the order it merges them."""
    return [read_catalog(path, locale) for path in i18n.po_files(locale)]


def problems(template: Catalog, catalogues: Sequence[Catalog]) -> list[str]:
    """Every message in the template that the site would not show well translated."""
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        shown: Message | None = None
        for catalogue in catalogues:
            candidate = catalogue.get(message.id, message.context)
            if candidate is not None and candidate.string:
                shown = candidate  # the last file wins, as in i18n.merged_catalog
        label = _describe(message)
        if shown is None or not _has_string(shown):
            found.append(f"untranslated: {label}")
        elif shown.fuzzy:
            found.append(f"fuzzy: {label} -> {shown.string!r}")
    for catalogue in catalogues:
        for candidate in catalogue:
            if not candidate.id or not candidate.string or candidate.fuzzy:
                continue
            why = placeholder_problem(candidate)
            if why:
                found.append(f"{why}: {_describe(candidate)} -> {candidate.string!r}")
    return found


def check() -> list[str]:
    return problems(extract(), load_translations())


# -- command line -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m intranet.i18n_tools", description="Maintain the zh_CN catalogue."
    )
    parser.add_argument("command", choices=("update", "check"))
    args = parser.parse_args(argv)
    relative = CATALOGUE_FILE.relative_to(PROJECT_ROOT)
    if args.command == "update":
        template_written, catalogue_written, catalog = update()
        total = sum(1 for message in catalog if message.id)
        missing = sum(
            1 for message in catalog if message.id and (message.fuzzy or not _has_string(message))
        )
        print(
            f"{TEMPLATE_FILE.relative_to(PROJECT_ROOT)}: "
            + ("updated" if template_written else "unchanged")
        )
        print(
            f"{relative}: {'updated' if catalogue_written else 'unchanged'}; "
            f"{total} messages, {missing} to translate or review"
        )
        return 0
    found = check()
    if found:
        print(f"{len(found)} problem(s) with the {LOCALE} translations:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        print(
            f"Run `python -m intranet.i18n_tools update`, translate in {relative} "
            "(remove the fuzzy flag once a guess is right), then check again.",
            file=sys.stderr,
        )
        return 1
    print(f"{LOCALE}: every message is translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
