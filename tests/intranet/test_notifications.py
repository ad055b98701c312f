"""Notifications: the right people get the right mail once, through a real SMTP server on
loopback (aiosmtpd), with back-off when it is down and no double sends from two workers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller

from intranet.models import User
from intranet.notifications import kinds
from intranet.notifications.email import SmtpBackend
from intranet.notifications.models import EmailMessage, EmailPreference, Notification
from intranet.notifications.send import BACKOFF, deliver_due, notify
from intranet.settings import Settings
from tests.conftest import World, make_user

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
QUIET = kinds.register(kinds.Kind("test.quiet", "A quiet test event", email_by_default=False))
URL = "/notices/7"


@dataclass
class Inbox:
    """What the loopback SMTP server received: (envelope recipients, parsed message)."""

    received: list[tuple[list[str], Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(address for rcpt, _ in self.received for address in rcpt)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def backend(port: int) -> SmtpBackend:
    return SmtpBackend(host="127.0.0.1", port=port, sender="汇报 <huibao@example.org>", timeout=5)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def inbox(port: int) -> Iterator[Inbox]:
    with smtp_server(port) as received:
        yield received


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


async def give_addresses(world: World) -> None:
    for user in (world.secretary_a, world.secretary_b, world.member_a, world.staff, world.admin):
        user.email = f"{user.username}@example.org"
        await user.save(update_fields=["email"])


async def published(user_ids: list[int], *, key: str = "notice:7:published", **extra: Any) -> int:
    fields: dict[str, Any] = {
        "kind": "notice.published",
        "key": key,
        "title": "关于报送2026年工作总结的通知",
        "body": "请于3月10日前报送。",
        "url": URL,
        "now": START,
        **extra,
    }
    return await notify(user_ids, **fields)


def text_part(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


async def test_the_right_people_get_the_right_mail_once(
    world: World, port: int, inbox: Inbox, clock: Any
) -> None:
    await give_addresses(world)
    people = [world.secretary_a.id, world.secretary_b.id]
    assert await published(people) == 2
    assert await published(people) == 0  # the same event again: nobody twice
    delivery = await deliver_due(START, backend(port))
    assert delivery.sent == 2
    assert inbox.recipients() == ["sec_a@example.org", "sec_b@example.org"]
    _, message = inbox.received[0]
    assert message["Subject"] == "关于报送2026年工作总结的通知"
    assert "huibao@example.org" in message["From"]
    assert "http://testserver/notices/7" in text_part(message)  # the tests' HUIBAO_SITE_URL
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'href="http://testserver/notices/7"' in html
    # Nothing left to send: a second pass sends nothing.
    assert (await deliver_due(START + timedelta(hours=1), backend(port))).claimed == 0
    assert len(inbox.received) == 2
    assert await Notification.filter(user_id=world.member_a.id).count() == 0


async def test_mail_is_in_chinese_and_links_to_the_site_url(
    world: World, settings: Settings, port: int, inbox: Inbox
) -> None:
    from dataclasses import replace

    from intranet.notifications import send

    await give_addresses(world)
    send.configure(replace(settings, site_url="https://huibao.example.org"))
    try:
        await published([world.secretary_a.id])
    finally:
        send.configure(settings)
    await deliver_due(START, backend(port))
    text = text_part(inbox.received[0][1])
    assert "https://huibao.example.org/notices/7" in text
    assert "计算机学会秘书" in text  # the greeting names the person
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text.split("\n")[0])


async def test_preferences_are_respected(world: World, port: int, inbox: Inbox) -> None:
    await give_addresses(world)
    await EmailPreference.create(user=world.secretary_b, kind="notice.published", by_email=False)
    await EmailPreference.create(user=world.staff, kind="test.quiet", by_email=True)
    people = [world.secretary_a.id, world.secretary_b.id, world.staff.id]
    assert await published(people) == 3
    assert await published(people, kind="test.quiet", key="quiet:1") == 3
    await deliver_due(START, backend(port))
    received = sorted((rcpt[0], str(m["Subject"])) for rcpt, m in inbox.received)
    assert [who for who, _ in received] == [
        "sec_a@example.org",  # notice.published is e-mailed by default
        "staff@example.org",  # notice.published
        "staff@example.org",  # chose the quiet kind by e-mail
    ]
    # Everyone still has the in-app notifications.
    assert await Notification.filter(user_id=world.secretary_b.id).count() == 2


async def test_nobody_without_an_address_or_inactive_gets_anything(world: World) -> None:
    world.secretary_a.email = "sec_a@example.org"
    world.secretary_a.is_active = False
    await world.secretary_a.save()
    created = await published([world.secretary_a.id, world.member_a.id, 999999])
    assert created == 1  # member_a only: secretary_a is inactive, 999999 does not exist
    assert await EmailMessage.all().count() == 0  # member_a has no address


async def test_a_down_smtp_server_is_retried_with_back_off_then_sent_once(
    world: World, as_english_user: Any, port: int, clock: Any
) -> None:
    await give_addresses(world)
    await published([world.secretary_a.id])
    down = backend(port)  # nothing listens on the port yet
    delivery = await deliver_due(START, down)
    assert (delivery.sent, delivery.retrying) == (0, 1)
    message = await EmailMessage.get()
    assert message.state == "pending" and message.attempts == 1
    assert message.next_attempt_at == START + BACKOFF[0]
    assert message.last_error
    # The admin sees it waiting, with the error.
    async with as_english_user("admin") as admin:
        page = await admin.get("/admin/email")
    assert page.status_code == 200
    assert message.last_error in page.text.replace("&#39;", "'").replace("&quot;", '"')
    # Not due again before its back-off.
    assert (await deliver_due(START + timedelta(seconds=30), down)).claimed == 0
    clock.move_to(START + BACKOFF[0])
    assert (await deliver_due(START + BACKOFF[0], down)).retrying == 1
    again = START + BACKOFF[0] + BACKOFF[1]
    with smtp_server(port) as inbox:
        assert (await deliver_due(again - timedelta(seconds=1), down)).claimed == 0
        assert (await deliver_due(again, down)).sent == 1
        assert (await deliver_due(again + timedelta(days=1), down)).claimed == 0
    assert inbox.recipients() == ["sec_a@example.org"]
    sent = await EmailMessage.get()
    assert (sent.state, sent.attempts) == ("sent", 3)


async def test_after_the_last_back_off_a_message_is_failed_until_retried(
    world: World, as_user: Any, port: int, clock: Any
) -> None:
    await give_addresses(world)
    await published([world.secretary_a.id])
    now = START
    for _ in range(len(BACKOFF) + 1):
        await deliver_due(now, backend(port))
        message = await EmailMessage.get()
        now = max(now, message.next_attempt_at)
    assert (message.state, message.attempts) == ("failed", len(BACKOFF) + 1)
    assert (await deliver_due(now + timedelta(days=7), backend(port))).claimed == 0
    async with as_user("admin") as admin:
        page = await admin.get("/admin/email")
        assert "outbox-failed" in page.text
    # The admin's "retry now" puts it back; with the server up it goes.
    from intranet.notifications.send import retry_now

    with smtp_server(port) as inbox:
        assert await retry_now(None, now) == 1
        assert (await deliver_due(now, backend(port))).sent == 1
    assert inbox.recipients() == ["sec_a@example.org"]


async def test_two_workers_at_once_send_each_mail_exactly_once(
    world: World, settings: Settings, port: int, inbox: Inbox
) -> None:
    people = []
    for n in range(12):
        person = await make_user(settings, f"person{n}", f"人员{n}", email=f"p{n}@example.org")
        people.append(person.id)
    assert await published(people) == 12
    first, second = await asyncio.gather(
        deliver_due(START, backend(port), limit=100), deliver_due(START, backend(port), limit=100)
    )
    assert first.sent + second.sent == 12
    assert sorted(inbox.recipients()) == sorted(f"p{n}@example.org" for n in range(12))
    assert await EmailMessage.filter(state="sent").count() == 12


async def test_two_notifies_at_once_notify_each_person_once(world: World) -> None:
    await give_addresses(world)
    people = [world.secretary_a.id, world.secretary_b.id, world.staff.id]
    created = await asyncio.gather(published(people), published(people))
    assert sum(created) == 3
    assert await Notification.all().count() == 3
    assert await EmailMessage.all().count() == 3


async def test_header_injection_through_a_title_is_neutralised(
    world: World, port: int, inbox: Inbox
) -> None:
    world.secretary_a.email = "sec_a@example.org"
    world.secretary_a.display_name = "王秘书\r\nBcc: y@evil.example"
    await world.secretary_a.save()
    await published([world.secretary_a.id], title="会议通知\r\nBcc: x@evil.example")
    await deliver_due(START, backend(port))
    assert inbox.recipients() == ["sec_a@example.org"]
    _, message = inbox.received[0]
    assert message["Bcc"] is None
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert str(message["Subject"]).startswith("会议通知")
    assert "evil" not in str(message["To"]).split("<")[-1]


async def test_notify_is_a_constant_number_of_queries(
    world: World, settings: Settings, queries: list[str]
) -> None:
    await User.bulk_create(
        [
            User(username=f"bulk{n}", display_name=f"批量{n}", email=f"bulk{n}@example.org")
            for n in range(600)
        ]
    )
    ids = list(await User.filter(username__startswith="bulk").values_list("id", flat=True))
    await EmailPreference.create(user_id=ids[0], kind="notice.published", by_email=False)
    queries.clear()
    assert await published(ids[:6], key="few") == 6
    few = len(queries)
    queries.clear()
    assert await published(ids, key="many") == 600
    assert len(queries) == few <= 5
    assert await EmailMessage.filter(notification__key="many").count() == 599


async def test_notify_refuses_an_unknown_kind_or_an_outside_url(world: World) -> None:
    with pytest.raises(ValueError):
        await published([world.staff.id], kind="no.such.kind")
    with pytest.raises(ValueError):
        await published([world.staff.id], url="https://evil.example/")
    with pytest.raises(ValueError):
        await published([world.staff.id], url="//evil.example/")


async def test_an_unreachable_server_is_tried_once_a_pass_not_once_a_message(
    world: World, port: int
) -> None:
    await give_addresses(world)
    await published([world.secretary_a.id, world.secretary_b.id, world.staff.id])
    delivery = await deliver_due(START, backend(port))
    assert (delivery.sent, delivery.retrying) == (0, 3)
    assert len(delivery.errors) == 3 and len(set(delivery.errors)) == 1
    waiting = await EmailMessage.all()
    assert {(m.state, m.attempts, m.next_attempt_at) for m in waiting} == {
        ("pending", 1, START + BACKOFF[0])
    }


async def test_the_background_task_sends_due_mail_and_survives_a_bad_pass(
    world: World, app: Any, port: int, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intranet.notifications import scheduler

    await give_addresses(world)
    await published([world.secretary_a.id], now=datetime.now(UTC))
    app.state.settings = replace(app.state.settings, scheduler_seconds=0.01)
    real_run_once = scheduler.run_once
    passes: list[int] = []

    async def flaky_run_once(sender: Any) -> Any:
        passes.append(1)
        if len(passes) == 1:
            raise OSError("database restarting")
        return await real_run_once(sender)

    monkeypatch.setattr(scheduler, "run_once", flaky_run_once)
    app.state.email_backend = backend(port)
    task = asyncio.create_task(scheduler.run(app))
    try:
        async with asyncio.timeout(10):
            while not inbox.received:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        # Gone before the next test empties the database under it: the loop stops when
        # cancelled, as it must at shutdown.
        async with asyncio.timeout(10):
            await asyncio.gather(task, return_exceptions=True)
    assert inbox.recipients() == ["sec_a@example.org"]
    assert len(passes) >= 2
