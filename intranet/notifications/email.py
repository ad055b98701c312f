"""Building e-mail and handing it to a backend: the console (development) or SMTP.

Every header is built by email.message.EmailMessage from values with CR/LF and other
control characters already replaced by spaces, so a name or title can never add a
header (a "\\r\\nBcc: x@evil" in a notice title stays part of the subject).
"""

from __future__ import annotations

import re
import sys
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any, Protocol

from intranet.settings import Settings

SMTP_TIMEOUT_SECONDS = 30
# Line breaks, other control characters and the Unicode line/paragraph separators.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str, max_length: int = 300) -> str:
    """One line for a header: control characters (CR, LF included) become one space."""
    return _HEADER_UNSAFE.sub(" ", value).strip()[:max_length]


@dataclass(frozen=True)
class OutgoingEmail:
    to_address: str
    subject: str
    text_body: str
    html_body: str = ""
    to_name: str = ""

    def to_mime(self, sender: str) -> MimeMessage:
        message = MimeMessage()
        message["Subject"] = header_text(self.subject)
        message["From"] = sender_header(sender)
        message["To"] = Address(
            display_name=header_text(self.to_name, 64), addr_spec=header_text(self.to_address)
        )
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=_domain_of(sender))
        message.set_content(self.text_body, charset="utf-8")
        if self.html_body:
            message.add_alternative(self.html_body, subtype="html", charset="utf-8")
        return message


def sender_header(sender: str) -> Address:
    name, address = parseaddr(header_text(sender))
    return Address(display_name=header_text(name, 64), addr_spec=address)


def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


class ServerUnreachable(Exception):
    """The mail server could not be reached (or refused the login): the messages after
    this one would fail the same way, so deliver_due does not try them in this pass."""


class EmailBackend(Protocol):
    async def send(self, message: OutgoingEmail) -> None:
        """Send one message, or raise with a message worth showing the admin."""


class ConsoleBackend:
    """Prints each mail to stdout, and keeps the last ones (tests read `sent`)."""

    KEEP = 500  # a development server runs for days: do not keep every mail

    def __init__(self, sender: str = "huibao@localhost") -> None:
        self.sender = sender
        self.sent: deque[OutgoingEmail] = deque(maxlen=self.KEEP)

    async def send(self, message: OutgoingEmail) -> None:
        mime = message.to_mime(self.sender)
        self.sent.append(message)
        print(
            f"----- e-mail to {mime['To']} -----\n"
            f"Subject: {mime['Subject']}\n\n{message.text_body}\n-----",
            file=sys.stdout,
            flush=True,
        )


class SmtpBackend:
    """Sends through an SMTP server (aiosmtplib). send() uses a connection of its own;
    within `async with backend.batch() as sender`, sender.send() reuses one connection
    for many messages (deliver_due does this), reconnecting after an error."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "none",
        user: str = "",
        password: str = "",
        sender: str,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.sender, self.timeout = user, password, sender, timeout

    def client(self) -> Any:
        import aiosmtplib

        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            username=self.user or None,
            password=self.password or None,
            timeout=self.timeout,
        )

    async def send(self, message: OutgoingEmail) -> None:
        async with self.batch() as sender:
            await sender.send(message)

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[_SmtpSession]:
        session = _SmtpSession(self)
        try:
            yield session
        finally:
            await session.close()


class _SmtpSession:
    """One SMTP connection, opened at the first message and kept for the next ones."""

    def __init__(self, backend: SmtpBackend) -> None:
        self.backend = backend
        self.smtp: Any = None

    async def send(self, message: OutgoingEmail) -> None:
        if self.smtp is None:
            smtp = self.backend.client()
            try:
                await smtp.connect()
            except Exception as error:
                raise ServerUnreachable(describe_error(error)) from error
            self.smtp = smtp
        try:
            await self.smtp.send_message(message.to_mime(self.backend.sender))
        except Exception:
            await self.close()  # the next message starts on a fresh connection
            raise

    async def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            await smtp.quit()
        except Exception:
            smtp.close()


def backend_for(settings: Settings) -> EmailBackend:
    """The backend HUIBAO_EMAIL_BACKEND names, set up from the HUIBAO_SMTP_* settings."""
    if settings.email_backend == "smtp":
        return SmtpBackend(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
        )
    return ConsoleBackend(settings.smtp_from)


def describe_error(error: BaseException) -> str:
    """What went wrong, in one line an admin can act on (kept in last_error)."""
    text = str(error).strip() or type(error).__name__
    return header_text(f"{type(error).__name__}: {text}", 1000)
