"""The administrator's `huibao` commands: createadmin and backup."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sqlite3
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from intranet.areas import Command
from intranet.commandline import CommandError, with_database
from intranet.settings import Settings

ADMIN_PASSWORD_ENV = "HUIBAO_ADMIN_PASSWORD"
PASSWORD_ATTEMPTS = 3


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
    password = _admin_password(settings, username)
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


def _admin_password(settings: Settings, username: str) -> str:
    from intranet.security import password_problem

    given = settings.admin_password
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


def createadmin_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username")
    parser.add_argument("--display-name")
    parser.add_argument(
        "--organisation",
        help="name of the organisation to administer; created as the top of the tree "
        "if the database has no organisations yet",
    )


def backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", type=Path)


CREATEADMIN = Command(
    name="createadmin",
    help="create an administrator",
    description="Create a person with the administrator role on the top organisation. "
    f"Asks for what is not given; the password can come from {ADMIN_PASSWORD_ENV}.",
    run=createadmin,
    arguments=createadmin_arguments,
)
BACKUP = Command(
    name="backup",
    help="copy the SQLite database to a file while the site runs",
    description="Write a consistent copy of the SQLite database, safe while the site runs. "
    "PATH may be a directory. On PostgreSQL, use pg_dump.",
    run=backup,
    arguments=backup_arguments,
)
