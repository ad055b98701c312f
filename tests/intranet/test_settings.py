"""Settings from HUIBAO_*: defaults that work, and a clear error naming a bad one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from intranet.settings import SECRET_KEY_FILE, SettingsError, load_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HUIBAO_DATA_DIR": str(tmp_path / "data")}


def test_it_works_with_nothing_set(env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings(env)

    assert settings.data_dir == tmp_path / "data"
    assert settings.uploads_dir.is_dir()
    assert settings.database_url == f"sqlite://{tmp_path / 'data' / 'huibao.sqlite3'}"
    assert settings.is_sqlite
    assert not settings.debug
    assert settings.time_zone == "Asia/Shanghai"
    assert settings.default_locale == "zh_CN"
    assert settings.trusted_proxies == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HUIBAO_DEBUG", "maybe"),
        ("HUIBAO_SESSION_DAYS", "two weeks"),
        ("HUIBAO_SESSION_DAYS", "0"),
        ("HUIBAO_SESSION_DAYS", "366"),
        ("HUIBAO_MAX_UPLOAD_MB", "0"),
        ("HUIBAO_MAX_UPLOAD_MB", "1.5"),
        ("HUIBAO_TIME_ZONE", "Mars/Olympus_Mons"),
        ("HUIBAO_LOCALE", "fr"),
        ("HUIBAO_TRUSTED_PROXIES", "10.0.0.1, proxy.example.org"),
        ("HUIBAO_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("HUIBAO_ALLOWED_HOSTS", "https://huibao.example.org"),
        ("HUIBAO_ALLOWED_HOSTS", "huibao.example.org:8000"),
        ("HUIBAO_ALLOWED_HOSTS", "huibao example"),
        ("HUIBAO_REMEMBER_DAYS", "0"),
        ("HUIBAO_REMEMBER_DAYS", "a month"),
        ("HUIBAO_DATABASE_URL", "mysql://huibao@localhost/huibao"),
        ("HUIBAO_DATABASE_URL", "postgres://"),
        ("HUIBAO_SECRET_KEY", "too-short"),
        ("HUIBAO_ARGON2_TIME_COST", "0"),
        ("HUIBAO_ARGON2_MEMORY_KIB", "4"),
        ("HUIBAO_ARGON2_PARALLELISM", "many"),
    ],
)
def test_it_names_the_bad_setting(env: dict[str, str], name: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({**env, name: value})

    message = str(raised.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message


def test_it_names_a_data_dir_it_cannot_create(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    with pytest.raises(SettingsError, match=r"^HUIBAO_DATA_DIR: "):
        load_settings({"HUIBAO_DATA_DIR": str(blocker / "data")})


def test_it_names_a_data_dir_it_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    # Permission bits do not stop root, so the operating system's answer is stood in for.
    real_access = os.access
    monkeypatch.setattr(
        "intranet.settings.os.access",
        lambda path, mode: False if Path(path) == locked else real_access(path, mode),
    )
    with pytest.raises(SettingsError, match=r"^HUIBAO_DATA_DIR: .* is not writable"):
        load_settings({"HUIBAO_DATA_DIR": str(locked)})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False), ("", False)],
)
def test_it_reads_yes_and_no(env: dict[str, str], value: str, expected: bool) -> None:
    assert load_settings({**env, "HUIBAO_DEBUG": value}).debug is expected


def test_it_reads_trusted_proxies(env: dict[str, str]) -> None:
    settings = load_settings({**env, "HUIBAO_TRUSTED_PROXIES": " 10.0.0.1, 172.16.0.0/12 ,"})

    assert settings.trusted_proxies == ("10.0.0.1", "172.16.0.0/12")


def test_it_answers_to_the_site_url_and_this_machine_by_default(env: dict[str, str]) -> None:
    plain = load_settings(env)
    behind_proxy = load_settings({**env, "HUIBAO_SITE_URL": "https://Huibao.Example.org:8443/"})

    assert set(plain.allowed_hosts) == {"127.0.0.1", "localhost", "::1"}
    assert set(behind_proxy.allowed_hosts) == {
        "huibao.example.org",
        "127.0.0.1",
        "localhost",
        "::1",
    }


def test_it_reads_allowed_hosts(env: dict[str, str]) -> None:
    settings = load_settings(
        {**env, "HUIBAO_ALLOWED_HOSTS": " Huibao.example.org, *.example.net ,[::1],"}
    )

    assert settings.allowed_hosts == ("huibao.example.org", "*.example.net", "::1")


def test_it_accepts_postgresql_urls(env: dict[str, str]) -> None:
    url = "postgresql://huibao@db.example.org:5432/huibao"

    settings = load_settings({**env, "HUIBAO_DATABASE_URL": url})

    assert settings.database_url == "postgres://huibao@db.example.org:5432/huibao"
    assert not settings.is_sqlite


# -- the secret key -------------------------------------------------------------------------


def test_it_generates_the_secret_key_once(env: dict[str, str], tmp_path: Path) -> None:
    first = load_settings(env).secret_key
    key_file = tmp_path / "data" / SECRET_KEY_FILE

    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings(env).secret_key == first
    assert key_file.read_text().strip() == first


def test_it_keeps_each_data_dir_its_own_key(tmp_path: Path) -> None:
    one = load_settings({"HUIBAO_DATA_DIR": str(tmp_path / "one")}).secret_key
    two = load_settings({"HUIBAO_DATA_DIR": str(tmp_path / "two")}).secret_key

    assert one != two


def test_a_key_in_the_environment_wins_and_nothing_is_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    key = "k" * 16 + "e" * 16 + "y" * 16

    assert load_settings({**env, "HUIBAO_SECRET_KEY": key}).secret_key == key
    assert not (tmp_path / "data" / SECRET_KEY_FILE).exists()


def test_it_refuses_a_kept_key_that_is_too_short(env: dict[str, str], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / SECRET_KEY_FILE).write_text("short\n")

    with pytest.raises(SettingsError, match=r"^HUIBAO_SECRET_KEY: "):
        load_settings(env)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("", 60.0), ("0.5", 0.5), ("3600", 60.0), ("0", 60.0), ("often", 60.0), ("nan", 60.0)],
)
def test_the_scheduler_wakes_at_least_once_a_minute(
    env: dict[str, str], raw: str, seconds: float, caplog: pytest.LogCaptureFixture
) -> None:
    env["HUIBAO_SCHEDULER_SECONDS"] = raw
    assert load_settings(env).scheduler_seconds == seconds
    if raw in ("0", "often", "nan"):
        assert "HUIBAO_SCHEDULER_SECONDS" in caplog.text


@pytest.mark.parametrize(
    ("raw", "workers"), [("", 1), ("3", 3), ("0", 1), ("99", 16), ("many", 1), ("-2", 1)]
)
def test_it_keeps_the_export_workers_between_one_and_sixteen(
    env: dict[str, str], raw: str, workers: int
) -> None:
    env["HUIBAO_EXPORT_WORKERS"] = raw
    assert load_settings(env).export_workers == workers


def test_it_keeps_the_admin_password_for_createadmin_out_of_its_repr(
    env: dict[str, str],
) -> None:
    assert load_settings(env).admin_password is None
    env["HUIBAO_ADMIN_PASSWORD"] = "Long-enough-admin-pw-7"
    settings = load_settings(env)
    assert settings.admin_password == "Long-enough-admin-pw-7"
    assert "Long-enough-admin-pw-7" not in repr(settings)


def test_it_tells_serve_which_addresses_the_environment_named(env: dict[str, str]) -> None:
    settings = load_settings(env)
    assert not settings.site_url_given and not settings.allowed_hosts_given
    env["HUIBAO_SITE_URL"] = "https://huibao.example.org"
    env["HUIBAO_ALLOWED_HOSTS"] = "huibao.example.org"
    settings = load_settings(env)
    assert settings.site_url_given and settings.allowed_hosts_given
    env["HUIBAO_SITE_URL"] = "huibao.example.org"  # a bad value still stops start-up
    with pytest.raises(SettingsError, match="HUIBAO_SITE_URL"):
        load_settings(env)
