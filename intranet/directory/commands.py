"""The directory's `huibao` commands: import-directory and export-directory."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from intranet.areas import Command
from intranet.commandline import CommandError, with_database
from intranet.settings import Settings

# -- the directory ---------------------------------------------------------------------------


def import_directory(settings: Settings, args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CommandError(f"{args.file}: no such file")
    text, status = with_database(settings, lambda: _import_directory(settings, args))
    print(text)
    return status


async def _import_directory(settings: Settings, args: argparse.Namespace) -> tuple[str, int]:
    from tortoise import timezone

    from intranet.directory import apply, codes, plan, report, workbook

    try:
        directory = workbook.read_file(args.file, args.file.name)
    except workbook.UnreadableFile as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    found = plan.make_plan(directory, await plan.load_state(), plan.WHOLE_SITE)
    text = report.plan_text(found)
    if not found.ok:
        return text, 1
    if args.dry_run or not found.has_changes:
        return text, 0
    try:
        outcome = await apply.apply_directory(
            directory,
            plan.WHOLE_SITE,
            apply.Actor(None, "huibao import-directory"),
            deactivate_absent=False,
            invitation_days=settings.invitation_days,
            now=timezone.now(),
        )
    except apply.Refused as refused:
        return report.plan_text(refused.plan), 1
    lines = [text, f"Written. Invitations queued by e-mail: {outcome.emailed}."]
    if outcome.need_codes and args.codes:
        count = await codes.write_code_sheet(
            args.codes, outcome.need_codes, days=settings.invitation_days, zone=settings.zone
        )
        lines.append(f"One-time codes for {count} people without e-mail: {args.codes}")
    elif outcome.need_codes:
        lines.append(
            f"{len(outcome.need_codes)} new people have no e-mail address: issue their "
            "invitations from their pages under /admin/people, or run again with --codes."
        )
    return "\n".join(lines), 0


def export_directory(settings: Settings, args: argparse.Namespace) -> int:
    print(with_database(settings, lambda: _export_directory(args)))
    return 0


async def _export_directory(args: argparse.Namespace) -> str:
    from intranet.directory import export

    target: Path = args.output.expanduser()
    partial = target.with_name(f".{target.name}.partial")
    if args.template:
        await export.write_template(partial)
    else:
        await export.export_directory(partial)
    os.replace(partial, target)
    return f"Wrote {target}"


def import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", type=Path)
    parser.add_argument(
        "--dry-run", action="store_true", help="print the preview only; write nothing"
    )
    parser.add_argument(
        "--codes",
        type=Path,
        metavar="PATH",
        help="write the one-time codes of new people without an e-mail address to this "
        ".xlsx file (to hand on by hand)",
    )


def export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", action="store_true", help="the empty template instead")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", required=True, help="the .xlsx to write"
    )


IMPORT_DIRECTORY = Command(
    name="import-directory",
    help="add and update organisations and people from a workbook",
    description="Read a directory workbook (.xlsx with the sheets 组织机构 and 人员, or a "
    "CSV file holding one of them), print what would change and every problem by sheet, "
    "row and column, then write it all in one transaction. Exits 1 and writes nothing if "
    "there is any problem. New people get no password: those with an e-mail address are "
    "sent a one-time link to set one.",
    run=import_directory,
    arguments=import_arguments,
)
EXPORT_DIRECTORY = Command(
    name="export-directory",
    help="write the organisations and people to a workbook",
    description="Write every organisation and person in the import format (importing "
    "it back changes nothing), or with --template an empty workbook with the headers "
    "and notes on filling it in.",
    run=export_directory,
    arguments=export_arguments,
)
COMMANDS = (IMPORT_DIRECTORY, EXPORT_DIRECTORY)
