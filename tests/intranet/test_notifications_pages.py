"""The notification pages: the bell, the list, mark read, preferences, the admin outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bs4 import BeautifulSoup
from tortoise import timezone

from intranet import cli
from intranet.notifications.models import EmailMessage, EmailPreference, Notification
from intranet.notifications.scheduler import run_once
from intranet.notifications.send import notify
from intranet.settings import Settings
from tests.conftest import World, post


async def notify_one(user_id: int, n: int, *, minutes_ago: int = 0) -> None:
    await notify(
        [user_id],
        kind="notice.published",
        key=f"test:{n}",
        title=f"通知{n}",
        body=f"正文{n}",
        url=f"/notices/{n}",
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )


def bell_count(html: str) -> str:
    count = BeautifulSoup(html, "html.parser").select_one(".notification-count")
    return count.get_text(" ", strip=True).split()[0] if count else "0"


async def test_the_bell_counts_unread_and_mark_read_lowers_it(world: World, as_user: Any) -> None:
    for n in range(3):
        await notify_one(world.secretary_a.id, n)
    await notify_one(world.secretary_b.id, 9)
    async with as_user("sec_a") as c:
        home = await c.get("/")
        bell = BeautifulSoup(home.text, "html.parser").select_one("#notification-bell")
        assert bell is not None and bell["hx-get"] == "/notifications/bell"
        assert "every 60s" in bell["hx-trigger"]
        assert bell_count((await c.get("/notifications/bell")).text) == "3"
        first = await Notification.get(user_id=world.secretary_a.id, key="test:0")
        opened = await c.get(f"/notifications/{first.id}")
        assert opened.status_code == 303 and opened.headers["location"] == "/notices/0"
        assert bell_count((await c.get("/notifications/bell")).text) == "2"
        done = await post(c, "/notifications/read-all", token_from="/notifications")
        assert done.status_code == 303
        assert bell_count((await c.get("/notifications/bell")).text) == "0"
    # Another person's notifications are untouched.
    assert (
        await Notification.filter(user_id=world.secretary_b.id, read_at__isnull=True).count() == 1
    )


async def test_the_bell_is_one_count_query(world: World, as_user: Any, queries: list[str]) -> None:
    await notify_one(world.secretary_a.id, 1)
    async with as_user("sec_a") as c:
        queries.clear()
        await c.get("/notifications/bell")
    notification_queries = [q for q in queries if '"notification"' in q]
    assert len(notification_queries) == 1 and "COUNT" in notification_queries[0].upper()


async def test_the_list_is_newest_first_with_unread_marked_and_paged(
    world: World, as_user: Any
) -> None:
    for n in range(35):
        await notify_one(world.secretary_a.id, n, minutes_ago=100 - n)
    await Notification.filter(key="test:33").update(read_at=timezone.now())
    async with as_user("sec_a") as c:
        page = BeautifulSoup((await c.get("/notifications")).text, "html.parser")
        items = page.select(".notification-list li")
        assert len(items) == 30
        titles = [item.select_one(".notification-title a").get_text(strip=True) for item in items]
        assert titles[:3] == ["通知34", "通知33", "通知32"]
        assert "unread" in items[0]["class"] and "unread" not in items[1]["class"]
        second = BeautifulSoup((await c.get("/notifications?page=2")).text, "html.parser")
        assert len(second.select(".notification-list li")) == 5


async def test_a_person_sees_only_their_own_notifications(world: World, as_user: Any) -> None:
    await notify_one(world.secretary_b.id, 1)
    theirs = await Notification.get(user_id=world.secretary_b.id)
    async with as_user("sec_a") as c:
        assert (await c.get(f"/notifications/{theirs.id}")).status_code == 404
        refused = await post(c, f"/notifications/{theirs.id}/read", token_from="/notifications")
        assert refused.status_code == 404
        page = await c.get("/notifications")
        assert "通知1" not in page.text
    assert (await Notification.get(id=theirs.id)).read_at is None


async def test_signed_out_visitors_are_sent_to_log_in(app: Any, client: Any) -> None:
    for path in ("/notifications", "/notifications/bell", "/notifications/preferences"):
        response = await client.get(path)
        assert response.status_code == 303 and "/login" in response.headers["location"]


async def test_preferences_are_saved_per_kind(world: World, as_user: Any) -> None:
    async with as_user("sec_a") as c:
        page = BeautifulSoup((await c.get("/notifications/preferences")).text, "html.parser")
        box = page.select_one('input[name="email_notice.published"]')
        assert box is not None and box.has_attr("checked")  # the kind's default
        response = await post(
            c,
            "/notifications/preferences",
            {"email_notice.reminder": "yes"},
            token_from="/notifications/preferences",
        )
        assert response.status_code == 303
        page = BeautifulSoup((await c.get("/notifications/preferences")).text, "html.parser")
        assert not page.select_one('input[name="email_notice.published"]').has_attr("checked")
        assert page.select_one('input[name="email_notice.reminder"]').has_attr("checked")
    chosen = dict(
        await EmailPreference.filter(user_id=world.secretary_a.id).values_list("kind", "by_email")
    )
    assert chosen["notice.published"] is False and chosen["notice.reminder"] is True


async def test_the_outbox_is_for_the_top_administrators_only(
    world: World, as_user: Any, admin_a: Any
) -> None:
    for username in ("sec_a", "staff", "admin_a"):
        async with as_user(username) as c:
            assert (await c.get("/admin/email")).status_code == 404
            assert (await post(c, "/admin/email/test", token_from="/")).status_code == 404
    async with as_user("admin") as c:
        assert (await c.get("/admin/email")).status_code == 200


async def test_the_smtp_test_sends_to_the_admin_or_says_why_not(
    world: World, as_english_user: Any, app: Any
) -> None:
    async with as_english_user("admin") as c:
        response = await post(c, "/admin/email/test", token_from="/admin/email")
        assert response.status_code == 502
        assert "Add an e-mail address" in response.text
        world.admin.email = "admin@example.org"
        await world.admin.save(update_fields=["email"])
        response = await post(c, "/admin/email/test", token_from="/admin/email")
        assert response.status_code == 200
        assert "admin@example.org" in response.text
    sent = app.state.email_backend.sent  # the console backend keeps what it printed
    assert [m.to_address for m in sent] == ["admin@example.org"]


async def test_retry_now_sends_a_failed_message(world: World, as_user: Any, app: Any) -> None:
    world.secretary_a.email = "sec_a@example.org"
    await world.secretary_a.save(update_fields=["email"])
    await notify_one(world.secretary_a.id, 1)
    await EmailMessage.all().update(state="failed", attempts=5, last_error="SMTPConnectError: x")
    async with as_user("admin") as c:
        page = BeautifulSoup((await c.get("/admin/email")).text, "html.parser")
        assert "SMTPConnectError: x" in page.select_one(".outbox-failed .outbox-error").text
        message = await EmailMessage.get()
        response = await post(
            c, "/admin/email/retry", {"message_id": str(message.id)}, token_from="/admin/email"
        )
        assert response.status_code == 303
    retried = await EmailMessage.get()
    assert (retried.state, retried.attempts) == ("pending", 0)
    # The scheduler's next pass sends it.
    await run_once(app.state.email_backend)
    assert (await EmailMessage.get()).state == "sent"
    assert [m.to_address for m in app.state.email_backend.sent] == ["sec_a@example.org"]


async def test_send_due_runs_the_areas_and_sends_the_due_mail(
    world: World, settings: Settings, capsys: Any
) -> None:
    world.secretary_a.email = "sec_a@example.org"
    await world.secretary_a.save(update_fields=["email"])
    await notify(
        [world.secretary_a.id],
        kind="notice.published",
        key="cli",
        title="通知",
        body="",
        url="/",
        now=datetime(2020, 1, 1, tzinfo=UTC),
    )
    report = await cli._send_due(settings)
    assert "E-mail: 1 sent" in report
    assert (await EmailMessage.get()).state == "sent"
    assert "sec_a@example.org" in capsys.readouterr().out
