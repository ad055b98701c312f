"""The surveys area's `huibao` commands: open-rounds and export (see surveys.area)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tortoise import timezone

from intranet.areas import Command
from intranet.commandline import CommandError, positive, with_database
from intranet.settings import Settings
from surveys import export as exports_
from surveys import scheduler
from surveys.models import Campaign, Round
from surveys.totals import Include

# -- open-rounds ----------------------------------------------------------------------------


def open_rounds(settings: Settings, args: argparse.Namespace) -> int:
    print(with_database(settings, lambda: _open_rounds(settings)))
    return 0


async def _open_rounds(settings: Settings) -> str:
    opened = await scheduler.run_once(timezone.now(), settings.zone)
    if not opened:
        return "No rounds were due."
    lines = [f"Opened {len(opened)} round(s):"]
    for round_ in opened:
        due = round_.due_at.astimezone(settings.zone)
        lines.append(
            f"  campaign {round_.campaign_id}, round {round_.number}, due {due:%Y-%m-%d %H:%M}"
        )
    return "\n".join(lines)


OPEN_ROUNDS = Command(
    name="open-rounds",
    help="open the report rounds that are due, once (for cron)",
    description="Open every report round that is due now, then exit. The server does this "
    "itself every minute unless HUIBAO_SCHEDULER=0; run this from cron on such installs.",
    run=open_rounds,
)


# -- export ---------------------------------------------------------------------------------


def export_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--round", type=positive, metavar="ID", help="the round's id")
    source.add_argument("--campaign", type=positive, metavar="ID", help="the campaign's id")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="PATH",
        help="the file to write, or a directory to write it in, named after the report "
        "(default: the current directory)",
    )
    parser.add_argument(
        "--csv", action="store_true", help="the round's totals table as UTF-8 CSV instead"
    )
    parser.add_argument("--approved-only", action="store_true", help="count approved reports only")
    parser.add_argument("--subtotals", action="store_true", help="add a subtotal row per category")


def export(settings: Settings, args: argparse.Namespace) -> int:
    if args.csv and args.campaign:
        raise CommandError("--csv: only a round's totals table is written as CSV", 2)
    if args.subtotals and (args.campaign or args.csv):
        raise CommandError(
            "--subtotals: only a round's workbook has subtotal rows (not --campaign or --csv)", 2
        )
    print(with_database(settings, lambda: _export(settings, args)))
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> str:
    chosen = Include.APPROVED if args.approved_only else Include.SUBMITTED
    if args.round:
        round_ = await Round.get_or_none(id=args.round).select_related("campaign")
        if round_ is None:
            raise CommandError(f"--round: there is no round {args.round}")
        title, number = round_.campaign.title, round_.number
    else:
        campaign = await Campaign.get_or_none(id=args.campaign)
        if campaign is None:
            raise CommandError(f"--campaign: there is no campaign {args.campaign}")
        title, number = campaign.title, None
    suffix = ".csv" if args.csv else ".xlsx"
    target: Path = (args.output or Path()).expanduser()
    if target.is_dir():
        target = target / exports_.workbook_filename(title, number, suffix)
    # Written next to the target and renamed over it when complete: never half a file.
    partial = target.with_name(f".{target.name}.partial")
    try:
        await _write(settings, args, chosen, partial)
        os.replace(partial, target)
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return f"Wrote {target} ({target.stat().st_size} bytes)."


async def _write(
    settings: Settings, args: argparse.Namespace, chosen: Include, partial: Path
) -> None:
    if args.csv:
        with partial.open("wb") as handle:
            async for line in exports_.round_csv(args.round, include=chosen, zone=settings.zone):
                handle.write(line)
    elif args.round:
        await exports_.write_round_workbook(
            args.round,
            str(partial),
            include=chosen,
            subtotals=args.subtotals,
            now=timezone.now(),
            zone=settings.zone,
        )
    else:
        await exports_.write_campaign_workbook(
            args.campaign, str(partial), include=chosen, now=timezone.now(), zone=settings.zone
        )


EXPORT = Command(
    name="export",
    help="write a round's or a campaign's totals to a spreadsheet",
    description="Write the totals of a report round (or of a campaign across its rounds) "
    "to an .xlsx workbook ready to print, or a round's totals table to CSV.",
    run=export,
    arguments=export_arguments,
)

COMMANDS = (OPEN_ROUNDS, EXPORT)
