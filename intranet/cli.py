"""The `huibao` command: serve, migrate, createadmin, demo, the directory, send-due and backup,
then the commands each area adds (intranet.areas), such as open-rounds and export.

Every subcommand reads the settings first; a bad HUIBAO_* value ends it with one line
naming the setting and exit status 2.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from intranet import admin_commands
from intranet.areas import Command, load_areas
from intranet.commandline import CommandError, port, positive, redacted, with_database
from intranet.directory import commands as directory_commands
from intranet.settings import Settings, SettingsError, host_of, load_settings


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
    serve_parser.add_argument("--port", type=port, default=8000, help="port to listen on")
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
    add_command(commands, admin_commands.CREATEADMIN)

    demo_parser = commands.add_parser(
        "demo",
        help="load the demo data into an empty database",
        description="Load the demo association, societies and logins (an empty database only).",
    )
    demo_parser.set_defaults(handler=demo)
    for command in directory_commands.COMMANDS:
        add_command(commands, command)

    send_parser = commands.add_parser(
        "send-due",
        help="send the reminders and e-mail that are due, once (for cron)",
        description="Run each area's reminder pass, then send every e-mail that is due, and "
        "exit. The server does this itself every minute unless HUIBAO_SCHEDULER=0; run this "
        "from cron on such installs.",
    )
    send_parser.set_defaults(handler=send_due)
    add_command(commands, admin_commands.BACKUP)

    # Then each area's own commands (intranet.areas).
    for area in load_areas():
        for command in area.commands:
            add_command(commands, command)
    return parser


def add_command(commands: Any, command: Command) -> None:
    """`command` as a subcommand (`commands` is the parser's subparsers)."""
    command_parser = commands.add_parser(
        command.name, help=command.help, description=command.description
    )
    if command.arguments is not None:
        command.arguments(command_parser)
    command_parser.set_defaults(handler=command.run)


# -- serve ----------------------------------------------------------------------------------


def serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.workers > 1 and settings.is_sqlite:
        raise CommandError(
            "--workers: SQLite runs one worker; set HUIBAO_DATABASE_URL=postgres://... for more",
            2,
        )
    url = f"http://{_url_host(args.host)}:{args.port}/"
    # Links in e-mail lead to this server unless HUIBAO_SITE_URL says where the site is
    # (behind a proxy); the workers load their settings from the environment, so what
    # is filled in here is handed to them there.
    if not settings.site_url_given:
        os.environ["HUIBAO_SITE_URL"] = url.rstrip("/")
        settings = dataclasses.replace(settings, site_url=url.rstrip("/"))
    # Requests must name the site (HUIBAO_ALLOWED_HOSTS): by default its URL's host, this
    # machine's loopback names, and the address served on.
    if not settings.allowed_hosts_given:
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
    print(f"Database {redacted(settings.database_url)} is up to date.")
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
            result = await area.send_due(timezone.now(), settings)
            lines.append(f"{area.name}.send_due: {result if result is not None else 'done'}")
    delivery = await scheduler.run_once(backend_for(settings))
    lines.append(
        f"E-mail: {delivery.sent} sent, {delivery.retrying} to retry, {delivery.failed} failed."
    )
    lines.extend(f"  error: {error}" for error in dict.fromkeys(delivery.errors))
    return "\n".join(lines)
