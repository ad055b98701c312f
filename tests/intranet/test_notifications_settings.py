"""E-mail settings: console by default, SMTP from HUIBAO_SMTP_*, a clear error when bad."""

from __future__ import annotations

from pathlib import Path

import pytest

from intranet.notifications.email import ConsoleBackend, SmtpBackend, backend_for
from intranet.settings import SettingsError, load_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HUIBAO_DATA_DIR": str(tmp_path / "data")}


def test_mail_is_printed_by_default(env: dict[str, str]) -> None:
    settings = load_settings(env)
    assert settings.email_backend == "console"
    assert settings.site_url == "http://127.0.0.1:8000"
    assert isinstance(backend_for(settings), ConsoleBackend)


def test_smtp_settings_reach_the_backend(env: dict[str, str]) -> None:
    settings = load_settings(
        {
            **env,
            "HUIBAO_EMAIL_BACKEND": "SMTP",
            "HUIBAO_SMTP_HOST": "mail.example.org",
            "HUIBAO_SMTP_PORT": "587",
            "HUIBAO_SMTP_SECURITY": "starttls",
            "HUIBAO_SMTP_USER": "huibao",
            "HUIBAO_SMTP_PASSWORD": "s3cret",
            "HUIBAO_SMTP_FROM": "辽宁省科协 <huibao@example.org>",
            "HUIBAO_SITE_URL": "https://huibao.example.org/",
        }
    )
    backend = backend_for(settings)
    assert isinstance(backend, SmtpBackend)
    assert (backend.host, backend.port, backend.security) == ("mail.example.org", 587, "starttls")
    assert (backend.user, backend.password) == ("huibao", "s3cret")
    assert settings.site_url == "https://huibao.example.org"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HUIBAO_EMAIL_BACKEND", "sendmail"),
        ("HUIBAO_SMTP_PORT", "0"),
        ("HUIBAO_SMTP_PORT", "smtp"),
        ("HUIBAO_SMTP_SECURITY", "ssl3"),
        ("HUIBAO_SMTP_FROM", "not an address"),
        ("HUIBAO_SMTP_FROM", "a@example.org\r\nBcc: x@evil.example"),
        ("HUIBAO_SMTP_HOST", "mail.example.org\nX: y"),
        ("HUIBAO_SITE_URL", "huibao.example.org"),
        ("HUIBAO_SITE_URL", "ftp://huibao.example.org"),
    ],
)
def test_a_bad_value_names_the_setting(env: dict[str, str], name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**env, name: value})
