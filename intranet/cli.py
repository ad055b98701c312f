"""The `huibao` command: serve, migrate, createadmin, demo, the directory, send-due and backup,
then the commands each area adds (intranet.areas), such as open-rounds and export.

Every subcommand reads the settings first; a bad HUIBAO_* value ends it with one line
naming the setting and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import getpass
import os
import socket
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from intranet import db
from intranet.areas import load_areas
from intranet.settings import Settings, SettingsError, host_of, load_settings

T = TypeVar("T")

ADMIN_PASSWORD_ENV = "HUIBAO_ADMIN_PASSWORD"
PASSWORD_ATTEMPTS = 3


class CommandError(Exception):
    """A command cannot go on. The message is printed as one line."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> None:
    sys.exit(run(argv))


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.handler(settings, args) or 0)
    except SettingsError as exc:
        return _fail(str(exc), 2)
    except CommandError as exc:
        return _fail(str(exc), exc.status)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _fail(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huibao",
        description="Huibao (汇报): notices down, reports up. "
        "Settings come from HUIBAO_* environment variables.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    serve_parser = commands.add_parser(
        "serve",
        help="apply migrations, then run the web server",
        description="Apply migrations, then run the web server.",
    )
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve_parser.add_argument("--port", type=_port, default=8000, help="port to listen on")
    serve_parser.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="worker processes (PostgreSQL only; SQLite runs one)",
    )
    serve_parser.add_argument(
        "--demo",
        action="store_true",
        help="load the demo data into an empty database and print the demo logins",
    )
    serve_parser.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (off by default; errors are always logged)",
    )
    serve_parser.set_defaults(handler=serve)

    migrate_parser = commands.add_parser(
        "migrate",
        help="bring the database up to date",
        description="Apply the migrations the database does not have yet.",
    )
    migrate_parser.set_defaults(handler=migrate)

    admin_parser = commands.add_parser(
        "createadmin",
        help="create an administrator",
        description="Create a person with the administrator role on the top organisation. "
        f"Asks for what is not given; the password can come from {ADMIN_PASSWORD_ENV}.",
    )
    admin_parser.add_argument("--username")
    admin_parser.add_argument("--display-name")
    admin_parser.add_argument(
        "--organisation",
        help="name of the organisation to administer; created as the top of the tree "
        "if the database has no organisations yet",
    )
    admin_parser.set_defaults(handler=createadmin)

    demo_parser = commands.add_parser(
        "demo",
        help="load the demo data into an empty database",
        description="Load the demo association, societies and logins (an empty database only).",
    )
    demo_parser.set_defaults(handler=demo)

    import_parser = commands.add_parser(
        "import-directory",
        help="add and update organisations and people from a workbook",
        description="Read a directory workbook (.xlsx with the sheets 组织机构 and 人员, or a "
        "CSV file holding one of them), print what would change and every problem by sheet, "
        "row and column, then write it all in one transaction. Exits 1 and writes nothing if "
        "there is any problem. New people get no password: those with an e-mail address are "
        "sent a one-time link to set one.",
    )
    import_parser.add_argument("file", metavar="FILE", type=Path)
    import_parser.add_argument(
        "--dry-run", action="store_true", help="print the preview only; write nothing"
    )
    import_parser.add_argument(
        "--codes",
        type=Path,
        metavar="PATH",
        help="write the one-time codes of new people without an e-mail address to this "
        ".xlsx file (to hand on by hand)",
    )
    import_parser.set_defaults(handler=import_directory)

    export_directory_parser = commands.add_parser(
        "export-directory",
        help="write the organisations and people to a workbook",
        description="Write every organisation and person in the import format (importing "
        "it back changes nothing), or with --template an empty workbook with the headers "
        "and notes on filling it in.",
    )
    export_directory_parser.add_argument(
        "--template", action="store_true", help="the empty template instead"
    )
    export_directory_parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", required=True, help="the .xlsx to write"
    )
    export_directory_parser.set_defaults(handler=export_directory)

    send_parser = commands.add_parser(
        "send-due",
        help="send the reminders and e-mail that are due, once (for cron)",
        description="Run each area's reminder pass, then send every e-mail that is due, and "
        "exit. The server does this itself every minute unless HUIBAO_SCHEDULER=0; run this "
        "from cron on such installs.",
    )
    send_parser.set_defaults(handler=send_due)

    backup_parser = commands.add_parser(
        "backup",
        help="copy the SQLite database to a file while the site runs",
        description="Write a consistent copy of the SQLite database, safe while the site runs. "
        "PATH may be a directory. On PostgreSQL, use pg_dump.",
    )
    backup_parser.add_argument("path", metavar="PATH", type=Path)
    backup_parser.set_defaults(handler=backup)

    # Then each area's own commands (intranet.areas).
    for area in load_areas():
        for command in area.commands:
            area_parser = commands.add_parser(
                command.name, help=command.help, description=command.description
            )
            if command.arguments is not None:
                command.arguments(area_parser)
            area_parser.set_defaults(handler=command.run)
    return parser


def _port(raw: str) -> int:
    value = positive(raw)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


# -- running database work ------------------------------------------------------------------


def with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Migrate, then run `work` with the ORM ready, and let go of the database."""

    async def session() -> T:
        try:
            await db.migrate(settings)
            await db.init(settings)
            return await work()
        finally:
            await db.close()

    try:
        return asyncio.run(session())
    except OSError as exc:
        raise CommandError(
            f"HUIBAO_DATABASE_URL: cannot reach {_redacted(settings.database_url)}: {exc}"
        ) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("asyncpg", "tortoise.exceptions")):
            raise CommandError(f"database {_redacted(settings.database_url)}: {exc}") from None
        raise


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# -- serve ----------------------------------------------------------------------------------


def serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.workers > 1 and settings.is_sqlite:
        raise CommandError(
            "--workers: SQLite runs one worker; set HUIBAO_DATABASE_URL=postgres://... for more",
            2,
        )
    url = f"http://{_url_host(args.host)}:{args.port}/"
    # Links in e-mail lead to this server unless HUIBAO_SITE_URL says where the site is
    # (behind a proxy); the workers read it from the environment.
    if not os.environ.get("HUIBAO_SITE_URL"):
        os.environ["HUIBAO_SITE_URL"] = url.rstrip("/")
        settings = dataclasses.replace(settings, site_url=url.rstrip("/"))
    # Requests must name the site (HUIBAO_ALLOWED_HOSTS): by default its URL's host, this
    # machine's loopback names, and the address served on.
    if not os.environ.get("HUIBAO_ALLOWED_HOSTS"):
        hosts = [host_of(settings.site_url), *settings.allowed_hosts, *_served_hosts(args.host)]
        os.environ["HUIBAO_ALLOWED_HOSTS"] = ",".join(dict.fromkeys(h for h in hosts if h))
    if args.demo:
        print(with_database(settings, lambda: _load_demo(settings, url)), flush=True)
    else:
        with_database(settings, _nothing)

    import uvicorn

    # Each worker builds the app from the environment (factory=True), as this process did.
    uvicorn.run(
        "intranet.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        # The app reads X-Forwarded-* itself, and only from HUIBAO_TRUSTED_PROXIES.
        proxy_headers=False,
        server_header=False,
        access_log=args.access_log,
        log_config=_log_config(),
        timeout_graceful_shutdown=10,
    )
    return 0


def _served_hosts(host: str) -> list[str]:
    """The names a request may use to reach `host`: on every interface, this machine's
    name and addresses as far as it knows them."""
    if host not in ("0.0.0.0", "::", ""):
        return [host.strip("[]").lower()]
    names = [socket.gethostname().lower(), socket.getfqdn().lower()]
    try:
        found = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        found = []
    return names + [str(info[4][0]).split("%")[0] for info in found]


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def _nothing() -> None:
    return None


def _log_config() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    # The site's own errors (tracebacks of unhandled exceptions) go where uvicorn's go.
    config["loggers"]["huibao"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


# -- migrate --------------------------------------------------------------------------------


def migrate(settings: Settings, args: argparse.Namespace) -> int:
    with_database(settings, _nothing)
    print(f"Database {_redacted(settings.database_url)} is up to date.")
    return 0


# -- demo -----------------------------------------------------------------------------------


def demo(settings: Settings, args: argparse.Namespace) -> int:
    print(with_database(settings, lambda: _load_demo(settings, "http://127.0.0.1:8000/")))
    return 0


async def _load_demo(settings: Settings, url: str) -> str:
    from intranet import demo as demo_data
    from intranet.notifications import send

    send.configure(settings)  # the demo's notices are mailed with links to the site
    loaded = await demo_data.load(settings)
    logins = await demo_data.present_logins()
    if loaded:
        summary = (
            f"Demo data loaded: {demo_data.ASSOCIATION} with {len(demo_data.SOCIETIES)} societies."
        )
    elif logins:
        summary = "The demo data is already loaded."
    else:
        summary = "The database already has organisations: demo data not loaded."
    if not logins:
        return summary
    return summary + "\n" + demo_data.format_logins(logins, url + "login")


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


# -- send-due -------------------------------------------------------------------------------


def send_due(settings: Settings, args: argparse.Namespace) -> int:
    print(with_database(settings, lambda: _send_due(settings)))
    return 0


async def _send_due(settings: Settings) -> str:
    from tortoise import timezone

    from intranet.notifications import scheduler, send
    from intranet.notifications.email import backend_for

    send.configure(settings)
    lines = []
    # The areas' reminders first (Area.send_due), so their mail goes out below.
    for area in load_areas():
        if area.send_due is not None:
            result = await area.send_due(timezone.now())
            lines.append(f"{area.name}.send_due: {result if result is not None else 'done'}")
    delivery = await scheduler.run_once(backend_for(settings))
    lines.append(
        f"E-mail: {delivery.sent} sent, {delivery.retrying} to retry, {delivery.failed} failed."
    )
    lines.extend(f"  error: {error}" for error in dict.fromkeys(delivery.errors))
    return "\n".join(lines)


# -- createadmin ----------------------------------------------------------------------------


def createadmin(settings: Settings, args: argparse.Namespace) -> int:
    return with_database(settings, lambda: _create_admin(settings, args))


async def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from intranet.models import User
    from intranet.models.accounts import normalise_username

    username = normalise_username(args.username or _ask("Username", "--username"))
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise CommandError(
            f"--username: expected 1 to 64 characters without spaces, got {username!r}", 2
        )
    if await User.exists(username=username):
        raise CommandError(f"--username: there is already a person called {username!r}")
    display_name = (args.display_name or _ask("Display name", "--display-name")).strip()
    if not display_name or len(display_name) > 64:
        raise CommandError("--display-name: expected 1 to 64 characters", 2)
    organisation = await _admin_organisation(args.organisation)
    password = _admin_password(username)
    await _save_admin(settings, username, display_name, password, organisation)
    print(f"Created administrator {username!r} on {organisation.name}.")
    return 0


async def _save_admin(
    settings: Settings, username: str, display_name: str, password: str, organisation: Any
) -> None:
    from tortoise import timezone
    from tortoise.transactions import in_transaction

    from intranet import audit
    from intranet.models import Membership, Organisation, OrganisationKind, Role, User
    from intranet.security import hash_password

    password_hash = await asyncio.to_thread(hash_password, settings, password)
    async with in_transaction():
        if organisation.pk is None:
            organisation = await Organisation.create_under(
                None, name=organisation.name, kind=OrganisationKind.ASSOCIATION
            )
        user = await User.create(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            password_changed_at=timezone.now(),
        )
        await Membership.create(user=user, organisation=organisation, role=Role.ADMIN)
        await audit.record(
            None,
            "person.create",
            target=user,
            organisation=organisation,
            summary="administrator created with huibao createadmin",
        )


async def _admin_organisation(name: str | None) -> Any:
    """The organisation the new administrator will hold the role on: the one named, or
    the top of the tree. When there is none yet, an unsaved one to create (the caller
    creates it together with the person)."""
    from intranet.models import Organisation, OrganisationKind

    tops = await Organisation.filter(parent=None).order_by("id")
    if name is not None:
        name = name.strip()
        named = await Organisation.filter(name=name).order_by("path").first()
        if named is not None:
            return named
        if tops:
            raise CommandError(f"--organisation: there is no organisation called {name!r}")
    elif len(tops) == 1:
        return tops[0]
    elif tops:
        choices = "、".join(top.name for top in tops)
        raise CommandError(f"--organisation: choose one of {choices}", 2)
    else:
        print("The database has no organisations yet: name the top one (e.g. 辽宁省科学技术协会).")
        name = _ask("Organisation", "--organisation").strip()
    if not name or len(name) > 100:
        raise CommandError("--organisation: expected a name of 1 to 100 characters", 2)
    return Organisation(name=name, kind=OrganisationKind.ASSOCIATION)


def _admin_password(username: str) -> str:
    from intranet.security import password_problem

    given = os.environ.get(ADMIN_PASSWORD_ENV)
    if given is not None:
        if problem := password_problem(given, username):
            raise CommandError(f"{ADMIN_PASSWORD_ENV}: {problem}", 2)
        return given
    if not sys.stdin.isatty():
        raise CommandError(f"no terminal to ask for the password: set {ADMIN_PASSWORD_ENV}", 2)
    for _ in range(PASSWORD_ATTEMPTS):
        password = getpass.getpass("Password: ")
        if problem := password_problem(password, username):
            print(problem, file=sys.stderr)
            continue
        if getpass.getpass("Password (again): ") != password:
            print("The two passwords are not the same.", file=sys.stderr)
            continue
        return password
    raise CommandError("no acceptable password given")


def _ask(prompt: str, option: str) -> str:
    if not sys.stdin.isatty():
        raise CommandError(f"{option}: required when there is no terminal to ask", 2)
    try:
        return input(f"{prompt}: ")
    except EOFError:
        raise CommandError(f"{option}: required", 2) from None


# -- backup ---------------------------------------------------------------------------------


def backup(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.is_sqlite:
        raise CommandError(
            "backup copies SQLite databases; on PostgreSQL use pg_dump "
            "(pg_dump --format=custom --file=huibao.dump DBNAME)",
            2,
        )
    source = sqlite_path(settings.database_url)
    if not source.is_file():
        raise CommandError(f"HUIBAO_DATABASE_URL: there is no database at {source}")
    target: Path = args.path.expanduser()
    if target.is_dir():
        target = target / f"huibao-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    size = backup_sqlite(source, target)
    print(f"Backed up {source} to {target} ({size} bytes).")
    return 0


def sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite://").split("?", 1)[0])


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy with SQLite's online backup, in one step: in WAL mode that reads one
    consistent snapshot and never blocks the site's writers. The copy is written next to
    the target and renamed over it only when complete."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(source, timeout=30)) as origin,
            closing(sqlite3.connect(partial)) as copy_,
        ):
            origin.backup(copy_)
            # A single self-contained file: no -wal or -shm needed beside it.
            copy_.execute("PRAGMA journal_mode=DELETE")
            check = copy_.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise CommandError(f"the copy failed its check: {check}")
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        raise CommandError(f"backup to {target} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size
