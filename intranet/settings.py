"""Settings, read once from the environment (HUIBAO_*).

Defaults make the first run work; a bad value stops start-up with a one-line
error that names the setting.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
SECRET_KEY_FILE = "secret_key"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(Exception):
    """A setting has a value the site cannot run with."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    debug: bool = False
    time_zone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    session_days: int = 14
    # How long a one-time link to set a password stays valid.
    invitation_days: int = 7
    max_upload_mb: int = 20
    max_form_kb: int = 1024
    trusted_proxies: tuple[str, ...] = ()
    # Cheaper hashing in tests only; production keeps argon2-cffi's RFC 9106 profile.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # The in-app scheduler (opening rounds, later reminders); off for installs that run
    # `huibao` commands from cron instead.
    run_scheduler: bool = True
    # Seconds between the scheduler's passes: at most a minute (shorter for tests).
    scheduler_seconds: float = 60.0
    # Processes that write workbooks in the background (1-16).
    export_workers: int = 1
    # E-mail: "console" prints each mail (development, demo); "smtp" sends it.
    email_backend: str = "console"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | tls
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "huibao@localhost"
    # Where links in e-mail point: the address people reach the site at.
    site_url: str = "http://127.0.0.1:8000"
    # The host names requests may name in Host: "*" for any, "*.example.org" for its
    # subdomains. Other hosts are refused, so no page or link takes a forged Host.
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    # Whether the environment named them: `huibao serve` fills in what it did not.
    site_url_given: bool = False
    allowed_hosts_given: bool = False
    # "Keep me signed in on this device": how long such a sign-in lasts.
    remember_days: int = 30
    # `huibao createadmin` takes the password from here when set (for scripts); it is
    # checked there, against the user name it is for.
    admin_password: str | None = field(default=None, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_form_bytes(self) -> int:
        return self.max_form_kb * 1024

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}: expected 1/0, true/false, yes/no or on/off, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: expected a number from {low} to {high}, got {value}")
    return value


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    raw = env.get("HUIBAO_DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite://{(data_dir / 'huibao.sqlite3').resolve()}"
    if raw.startswith("postgresql://"):
        raw = "postgres://" + raw[len("postgresql://") :]
    for scheme in ("sqlite://", "postgres://"):
        if raw.startswith(scheme) and len(raw) > len(scheme) + 1:
            return raw
    raise SettingsError(
        "HUIBAO_DATABASE_URL: expected sqlite:///path/to/file.sqlite3 or "
        f"postgres://user@host:5432/dbname, got {raw!r}"
    )


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    raw = env.get("HUIBAO_SECRET_KEY")
    if raw is not None:
        if len(raw.strip()) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"HUIBAO_SECRET_KEY: must be at least {MIN_SECRET_KEY_LENGTH} characters long"
            )
        return raw.strip()
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(f"HUIBAO_SECRET_KEY: the key kept in {path} is too short")
        return key
    key = secrets.token_urlsafe(48)
    # Written with owner-only permissions before the key goes in.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _data_dir(env: Mapping[str, str]) -> Path:
    raw = env.get("HUIBAO_DATA_DIR", "").strip() or "./data"
    path = Path(raw).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / "uploads").mkdir(exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"HUIBAO_DATA_DIR: cannot use {str(path)!r}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise SettingsError(f"HUIBAO_DATA_DIR: {str(path)!r} is not writable")
    return path


def _time_zone(env: Mapping[str, str]) -> str:
    raw = env.get("HUIBAO_TIME_ZONE", "").strip() or "Asia/Shanghai"
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"HUIBAO_TIME_ZONE: unknown time zone {raw!r}") from None
    return raw


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("HUIBAO_TRUSTED_PROXIES", "")
    proxies = tuple(item.strip() for item in raw.split(",") if item.strip())
    for proxy in proxies:
        try:
            ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"HUIBAO_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
            ) from None
    return proxies


def _locale(env: Mapping[str, str]) -> str:
    raw = env.get("HUIBAO_LOCALE", "").strip() or "zh_CN"
    if raw not in ("zh_CN", "en"):
        raise SettingsError(f"HUIBAO_LOCALE: expected zh_CN or en, got {raw!r}")
    return raw


SCHEDULER_SECONDS = 60.0


def _scheduler_seconds(env: Mapping[str, str]) -> float:
    """SCHEDULER_SECONDS, or a shorter positive value from HUIBAO_SCHEDULER_SECONDS.
    Longer values are cut to SCHEDULER_SECONDS, so a round never waits more than a
    minute; a value that is not a positive number is logged and ignored."""
    name = "HUIBAO_SCHEDULER_SECONDS"
    raw = env.get(name, "").strip()
    if not raw:
        return SCHEDULER_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        logging.getLogger("huibao.scheduler").warning(
            "%s=%r is not a positive number of seconds; using %s", name, raw, SCHEDULER_SECONDS
        )
        return SCHEDULER_SECONDS
    return min(value, SCHEDULER_SECONDS)


def _export_workers(env: Mapping[str, str]) -> int:
    """HUIBAO_EXPORT_WORKERS, cut to 1-16; anything but digits means one worker."""
    raw = env.get("HUIBAO_EXPORT_WORKERS", "").strip()
    return max(1, min(int(raw), 16)) if raw.isdigit() else 1


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or default
    if raw not in choices:
        raise SettingsError(f"{name}: expected {' or '.join(choices)}, got {raw!r}")
    return raw


def _header_safe(env: Mapping[str, str], name: str, default: str) -> str:
    """A value that goes into a mail header or the SMTP dialogue: one line."""
    raw = env.get(name, default).strip()
    if any(ch in raw for ch in "\r\n\x00"):
        raise SettingsError(f"{name}: must be a single line")
    return raw


def _smtp_from(env: Mapping[str, str]) -> str:
    from email.headerregistry import Address
    from email.utils import parseaddr

    raw = _header_safe(env, "HUIBAO_SMTP_FROM", "huibao@localhost")
    _, address = parseaddr(raw)
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        address = ""
    if "@" not in address:
        raise SettingsError(
            f"HUIBAO_SMTP_FROM: expected an address such as huibao@example.org, got {raw!r}"
        )
    return raw


def _site_url(env: Mapping[str, str]) -> str:
    from urllib.parse import urlsplit

    raw = _header_safe(env, "HUIBAO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise SettingsError(
            f"HUIBAO_SITE_URL: expected the site's address such as https://huibao.example.org, "
            f"got {raw!r}"
        )
    return raw


_HOST_NAME = re.compile(r"(\*|(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|[0-9a-f:.]+)")


def host_of(site_url: str) -> str:
    """The host name in a URL, lower case, without port or IPv6 brackets."""
    from urllib.parse import urlsplit

    return (urlsplit(site_url).hostname or "").lower()


def _allowed_hosts(env: Mapping[str, str], site_url: str) -> tuple[str, ...]:
    raw = env.get("HUIBAO_ALLOWED_HOSTS", "").strip()
    if not raw:
        return tuple(dict.fromkeys((host_of(site_url), *LOCAL_HOSTS)))
    hosts = tuple(dict.fromkeys(item.strip().lower() for item in raw.split(",") if item.strip()))
    for host in hosts:
        if not _HOST_NAME.fullmatch(host.strip("[]")):
            raise SettingsError(
                f"HUIBAO_ALLOWED_HOSTS: {host!r} is not a host name such as huibao.example.org, "
                "*.example.org or 10.0.0.5 (no scheme, no port)"
            )
    return tuple(host.strip("[]") for host in hosts)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    data_dir = _data_dir(env)
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(env, data_dir),
        secret_key=_secret_key(env, data_dir),
        debug=_bool(env, "HUIBAO_DEBUG", False),
        time_zone=_time_zone(env),
        default_locale=_locale(env),
        session_days=_int(env, "HUIBAO_SESSION_DAYS", 14, 1, 365),
        invitation_days=_int(env, "HUIBAO_INVITATION_DAYS", 7, 1, 90),
        max_upload_mb=_int(env, "HUIBAO_MAX_UPLOAD_MB", 20, 1, 1024),
        trusted_proxies=_trusted_proxies(env),
        argon2_time_cost=_int(env, "HUIBAO_ARGON2_TIME_COST", 3, 1, 20),
        argon2_memory_kib=_int(env, "HUIBAO_ARGON2_MEMORY_KIB", 65536, 8, 4 * 1024 * 1024),
        argon2_parallelism=_int(env, "HUIBAO_ARGON2_PARALLELISM", 4, 1, 64),
        run_scheduler=_bool(env, "HUIBAO_SCHEDULER", True),
        scheduler_seconds=_scheduler_seconds(env),
        export_workers=_export_workers(env),
        email_backend=_choice(env, "HUIBAO_EMAIL_BACKEND", "console", ("console", "smtp")),
        smtp_host=_header_safe(env, "HUIBAO_SMTP_HOST", "localhost") or "localhost",
        smtp_port=_int(env, "HUIBAO_SMTP_PORT", 25, 1, 65535),
        smtp_security=_choice(env, "HUIBAO_SMTP_SECURITY", "none", ("none", "starttls", "tls")),
        smtp_user=_header_safe(env, "HUIBAO_SMTP_USER", ""),
        smtp_password=env.get("HUIBAO_SMTP_PASSWORD", ""),
        smtp_from=_smtp_from(env),
        site_url=(site_url := _site_url(env)),
        allowed_hosts=_allowed_hosts(env, site_url),
        site_url_given=bool(env.get("HUIBAO_SITE_URL")),
        allowed_hosts_given=bool(env.get("HUIBAO_ALLOWED_HOSTS")),
        remember_days=_int(env, "HUIBAO_REMEMBER_DAYS", 30, 1, 365),
        admin_password=env.get("HUIBAO_ADMIN_PASSWORD"),
    )
