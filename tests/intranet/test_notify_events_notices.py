"""A published notice tells the people it is addressed to; the issuer's reminder tells
those who have not read it, and the receipts page logs who was reminded and how."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from intranet.notices import workflow
from intranet.notices.models import NoticeRead
from intranet.notifications.models import EmailMessage, Notification
from tests.conftest import World, post
from tests.notice_helpers import make_notice, to_members_of, to_organisation


async def told(kind: str) -> list[str]:
    rows = await Notification.filter(kind=kind).values_list("user__username", flat=True)
    return sorted(rows)  # type: ignore[arg-type]


async def test_a_published_notice_tells_those_it_is_addressed_to(world: World) -> None:
    # Society A as a unit (its secretary, not its plain member); all members of B.
    notice = await make_notice(
        world.association,
        to=[to_organisation(world.society_a)],
        cc=[to_members_of(world.society_b)],
        number="辽科协发〔2026〕12号",
    )

    assert await told("notice.published") == ["sec_a", "sec_b"]
    note = await Notification.get(user_id=world.secretary_a.id)
    assert note.url == f"/notices/{notice.id}"
    assert notice.title in note.title
    assert "辽科协发〔2026〕12号" in note.body
    assert note.key == f"notice:{notice.id}:published"


async def test_a_draft_tells_nobody_and_publishing_tells_once(world: World) -> None:
    notice = await make_notice(
        world.association, to=[to_members_of(world.society_a)], publish=False
    )
    assert await told("notice.published") == []

    await workflow.publish(notice, world.staff)

    # Everyone with a role in A and below, members included; once whatever happens next.
    assert await told("notice.published") == ["member_a", "sec_a"]


async def test_a_reminder_reaches_only_those_who_have_not_read_it(
    world: World, as_user: Any
) -> None:
    await world.secretary_b.update_from_dict({"email": "sec_b@example.cn"}).save()
    notice = await make_notice(
        world.association, to=[to_organisation(world.society_a), to_organisation(world.society_b)]
    )
    await NoticeRead.create(notice=notice, user=world.secretary_a)
    receipts = f"/notices/{notice.id}/receipts"

    async with as_user("staff") as staff:
        done = await post(staff, f"/notices/{notice.id}/remind", token_from=receipts)
        page = await staff.get(receipts)

    assert done.status_code == 303
    assert await told("notice.reminder") == ["sec_b"]
    reminder = await Notification.get(kind="notice.reminder")
    assert reminder.url == f"/notices/{notice.id}"
    assert await EmailMessage.filter(notification_id=reminder.id).exists()
    log = BeautifulSoup(page.text, "html.parser").select_one(".receipt-reminder-log")
    assert log is not None
    [row] = log.select("tbody tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
    assert cells[1:3] == ["医学会秘书", "省科协工作人员"]
    assert "e-mail" in cells[3] or "邮件" in cells[3]


async def test_a_second_reminder_within_the_hour_is_not_sent(world: World, as_user: Any) -> None:
    notice = await make_notice(world.association, to=[to_organisation(world.society_b)])
    receipts = f"/notices/{notice.id}/receipts"

    async with as_user("staff") as staff:
        await post(staff, f"/notices/{notice.id}/remind", token_from=receipts)
        await post(staff, f"/notices/{notice.id}/remind", token_from=receipts)

    assert await told("notice.reminder") == ["sec_b"]
