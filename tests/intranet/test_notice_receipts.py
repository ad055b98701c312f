"""Read receipts: who has read a notice, per receiving organisation, and reminding the rest."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from tortoise import timezone

from intranet.models import AuditEvent, Membership, Organisation, Role, User
from intranet.notices import audience, workflow
from intranet.notices.models import Notice, NoticeRead, NoticeReminder
from intranet.settings import Settings
from tests.conftest import World, make_user, post
from tests.helpers import soup
from tests.notice_helpers import (
    ALL_SOCIETIES,
    make_notice,
    to_category,
    to_members_of,
    to_organisation,
)


def receipt_of(page: BeautifulSoup, organisation: Organisation) -> Any:
    block = page.select_one(f'li.receipt[data-organisation="{organisation.id}"]')
    assert block is not None, f"no receipt for {organisation.name}"
    return block


def names(block: Any, which: str) -> list[str]:
    return [n.get_text(strip=True) for n in block.select(f".receipt-people.{which} .receipt-name")]


def counts(block: Any) -> tuple[int, int]:
    read = block.select_one(".receipt-read strong").get_text(strip=True)
    unread = block.select_one(".receipt-unread strong").get_text(strip=True)
    return int(read), int(unread)


def listed(page: BeautifulSoup) -> list[str]:
    return [h.get_text(strip=True) for h in page.select("li.receipt .receipt-organisation")]


async def receipts_page(client: httpx.AsyncClient, notice: Notice, **params: str) -> Any:
    response = await client.get(f"/notices/{notice.id}/receipts", params=params)
    assert response.status_code == 200, response.text
    return soup(response)


async def remind(
    client: httpx.AsyncClient, notice: Notice, organisation: Organisation | str | None = None
) -> httpx.Response:
    data = {}
    if organisation is not None:
        data["organisation"] = str(getattr(organisation, "id", organisation))
    return await post(
        client, f"/notices/{notice.id}/remind", data, token_from=f"/notices/{notice.id}/receipts"
    )


async def reminded_usernames(notice: Notice) -> list[str]:
    reminders = await NoticeReminder.filter(notice=notice).select_related("user")
    return sorted(r.user.username for r in reminders)


# -- counting -------------------------------------------------------------------------------


async def test_it_counts_a_category_notice_per_organisation(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_category(world.medicine)])
    async with as_english_user("staff") as c:
        before = await receipts_page(c, notice)
        await audience.mark_read(notice, world.secretary_b)
        after = await receipts_page(c, notice)
    assert listed(before) == [world.society_b.name]
    assert counts(receipt_of(before, world.society_b)) == (0, 1)
    assert names(receipt_of(before, world.society_b), "unread") == ["医学会秘书"]
    assert counts(receipt_of(after, world.society_b)) == (1, 0)
    assert names(receipt_of(after, world.society_b), "read") == ["医学会秘书"]
    assert after.select_one(".people-read").get_text(strip=True) == "1 of 1"
    assert after.select_one(".organisations-read").get_text(strip=True) == "1 of 1"


async def test_it_counts_members_and_the_secretary_of_an_all_members_notice(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    await audience.mark_read(notice, world.member_a)
    async with as_english_user("staff") as c:
        page = await receipts_page(c, notice)
    society = receipt_of(page, world.society_a)
    assert counts(society) == (1, 1)
    assert names(society, "read") == ["计算机学会会员"]
    assert names(society, "unread") == ["计算机学会秘书"]
    assert society.select_one(".receipt-people.read time")  # when it was first read
    branch = receipt_of(page, world.branch_a)
    assert "receipt-nobody" in branch["class"]
    assert "nobody holds a role here" in branch.get_text(" ", strip=True).lower()
    assert page.select_one(".people-read").get_text(strip=True) == "1 of 2"
    assert page.select_one(".organisations-read").get_text(strip=True) == "0 of 2"
    assert page.select_one(".receipt-totals .receipt-warning")


async def test_it_shows_main_addressees_and_copies_in_tree_order(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(
        world.association,
        to=[to_organisation(world.society_b)],
        cc=[to_organisation(world.society_a)],
    )
    async with as_english_user("staff") as c:
        page = await receipts_page(c, notice)
    assert listed(page) == [world.society_a.name, world.society_b.name]
    role_of = {
        o: receipt_of(page, o).select_one(".receipt-role").get_text(strip=True)
        for o in (world.society_a, world.society_b)
    }
    assert role_of == {world.society_a: "Copied to", world.society_b: "Main addressee"}


async def test_viewing_twice_counts_once_at_the_first_view(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_english_user("member_a") as c:
        assert (await c.get(f"/notices/{notice.id}")).status_code == 200
        first = await NoticeRead.get(notice=notice, user=world.member_a)
        assert (await c.get(f"/notices/{notice.id}")).status_code == 200
    assert await NoticeRead.filter(notice=notice).count() == 1
    assert (await NoticeRead.get(notice=notice, user=world.member_a)).read_at == first.read_at
    async with as_english_user("staff") as c:
        page = await receipts_page(c, notice)
    assert counts(receipt_of(page, world.society_a)) == (1, 1)


async def test_it_lists_only_organisations_with_someone_still_to_read(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    await audience.mark_read(notice, world.secretary_a)
    async with as_english_user("staff") as c:
        everything = await receipts_page(c, notice)
        unread = await receipts_page(c, notice, unread="1")
        partial = await c.get(
            f"/notices/{notice.id}/receipts", params={"unread": "1"}, headers={"HX-Request": "true"}
        )
    assert listed(everything) == [world.society_a.name, world.society_b.name]
    assert listed(unread) == [world.society_b.name]
    assert unread.select_one('input[name="unread"]').has_attr("checked")
    assert "<html" not in partial.text
    assert listed(soup(partial)) == [world.society_b.name]
    assert "HX-Request" in partial.headers["vary"]


async def test_it_links_back_to_the_notice(world: World, as_english_user: Any) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES], number="辽科协发〔2020〕3号")
    async with as_english_user("staff") as c:
        page = await receipts_page(c, notice)
    assert page.select_one(f'a[href="/notices/{notice.id}"]')
    assert "辽科协发〔2020〕3号" in page.select_one(".receipt-notice").get_text()


# -- who may see them -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [("staff", 200), ("admin", 200), ("sec_a", 404), ("member_a", 404), ("sec_b", 404)],
)
async def test_only_the_issuers_people_see_receipts(
    world: World, as_english_user: Any, username: str, status: int
) -> None:
    notice = await make_notice(
        world.association, to=[to_members_of(world.society_a), ALL_SOCIETIES]
    )
    async with as_english_user(username) as c:
        response = await c.get(f"/notices/{notice.id}/receipts")
    assert response.status_code == status


async def test_a_societys_secretary_sees_receipts_of_its_own_notice(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.society_a, to=[to_members_of(world.society_a)])
    async with as_english_user("sec_a") as c:
        page = await receipts_page(c, notice)
    assert counts(receipt_of(page, world.society_a)) == (0, 2)


async def test_a_draft_has_no_receipts_and_cannot_be_reminded(
    world: World, as_english_user: Any
) -> None:
    draft = await make_notice(world.association, to=[ALL_SOCIETIES], publish=False)
    async with as_english_user("staff") as c:
        assert (await c.get(f"/notices/{draft.id}/receipts")).status_code == 404
        response = await post(c, f"/notices/{draft.id}/remind")
    assert response.status_code == 404
    assert await NoticeReminder.all().count() == 0


async def test_a_withdrawn_notice_keeps_its_receipts_but_cannot_be_reminded(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    await audience.mark_read(notice, world.secretary_a)
    await workflow.withdraw(notice, world.staff, "发错了")
    async with as_english_user("staff") as c:
        page = await receipts_page(c, notice)
        response = await post(c, f"/notices/{notice.id}/remind")
    assert counts(receipt_of(page, world.society_a)) == (1, 0)
    assert not page.select("form.receipt-remind, form.receipt-remind-all")
    assert response.status_code == 400
    assert "withdrawn" in soup(response).select_one(".alert.error").get_text()
    assert await NoticeReminder.all().count() == 0


# -- reminding --------------------------------------------------------------------------


async def test_it_reminds_only_those_who_have_not_read_it(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    await audience.mark_read(notice, world.member_a)
    async with as_english_user("staff") as c:
        response = await remind(c, notice)
        assert response.status_code == 303
        assert response.headers["location"] == (
            f"/notices/{notice.id}/receipts?done=reminded&count=1&skipped=0"
        )
        page = soup(await c.get(response.headers["location"]))
    assert await reminded_usernames(notice) == ["sec_a"]
    reminder = await NoticeReminder.get(notice=notice).select_related("sent_by")
    assert reminder.sent_by.username == "staff"
    assert page.select_one(".alert.success").get_text(strip=True) == "Reminder sent to 1 person."
    unread = receipt_of(page, world.society_a).select_one(".receipt-people.unread")
    assert "reminded" in unread.get_text()
    event = await AuditEvent.get(action="notice.remind")
    assert (event.object_id, event.summary) == (str(notice.id), "1 people")
    assert event.organisation_id == world.association.id


async def test_the_reminded_see_it_on_their_home_page(world: World, as_english_user: Any) -> None:
    notice = await make_notice(world.association, "关于开展网上值班的通知", to=[ALL_SOCIETIES])
    async with as_english_user("staff") as c:
        await remind(c, notice)
    async with as_english_user("sec_b") as c:
        home = soup(await c.get("/"))
    item = home.select_one(f'.attention a[href="/notices/{notice.id}"]').parent
    assert "关于开展网上值班的通知" in item.get_text()
    assert "reminded by 省科协工作人员" in item.get_text()


async def test_a_second_reminder_within_the_hour_skips_them(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    async with as_english_user("staff") as c:
        await remind(c, notice)
        again = await remind(c, notice)
        assert again.headers["location"].endswith("done=reminded&count=0&skipped=2")
        message = soup(await c.get(again.headers["location"])).select_one(".alert.success")
    assert "2 people were reminded less than an hour ago" in message.get_text()
    assert await reminded_usernames(notice) == ["sec_a", "sec_b"]


async def test_after_an_hour_they_can_be_reminded_again(world: World, as_english_user: Any) -> None:
    notice = await make_notice(world.association, to=[to_organisation(world.society_a)])
    async with as_english_user("staff") as c:
        await remind(c, notice)
        earlier = timezone.now() - datetime.timedelta(hours=1, minutes=1)
        await NoticeReminder.filter(notice=notice).update(created_at=earlier)
        response = await remind(c, notice)
    assert response.headers["location"].endswith("count=1&skipped=0")
    assert await reminded_usernames(notice) == ["sec_a", "sec_a"]


async def test_it_reminds_one_organisation_only(world: World, as_english_user: Any) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    async with as_english_user("staff") as c:
        page = await receipts_page(c, notice)
        form = receipt_of(page, world.society_b).select_one("form.receipt-remind")
        assert form.select_one('input[name="organisation"]')["value"] == str(world.society_b.id)
        response = await remind(c, notice, world.society_b)
    assert response.status_code == 303
    assert await reminded_usernames(notice) == ["sec_b"]


@pytest.mark.parametrize("organisation", ["branch", "abc", "999999"])
async def test_it_refuses_an_organisation_the_notice_did_not_reach(
    world: World, as_english_user: Any, organisation: str
) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    value = str(world.branch_a.id) if organisation == "branch" else organisation
    async with as_english_user("staff") as c:
        response = await remind(c, notice, value)
    assert response.status_code == 400
    assert soup(response).select_one(".alert.error")
    assert await NoticeReminder.all().count() == 0


async def test_nobody_to_remind_when_all_have_read_it(world: World, as_english_user: Any) -> None:
    notice = await make_notice(world.association, to=[to_organisation(world.society_a)])
    await audience.mark_read(notice, world.secretary_a)
    async with as_english_user("staff") as c:
        page = await receipts_page(c, notice)
        response = await remind(c, notice)
        message = soup(await c.get(response.headers["location"])).select_one(".alert.success")
    assert not page.select("form.receipt-remind, form.receipt-remind-all")
    assert "Nobody to remind" in message.get_text()
    assert await NoticeReminder.all().count() == 0
    assert not await AuditEvent.exists(action="notice.remind")


async def test_others_cannot_remind(world: World, as_english_user: Any) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_english_user("sec_a") as c:
        response = await post(c, f"/notices/{notice.id}/remind")
    assert response.status_code == 404
    assert await NoticeReminder.all().count() == 0


# -- cost -----------------------------------------------------------------------------------


async def society_with_secretary(world: World, settings: Settings, number: str) -> User:
    society = await Organisation.create_under(world.association, name=f"学会{number}")
    person = await make_user(settings, f"sec{number}", f"秘书{number}")
    await Membership.create(user=person, organisation=society, role=Role.SECRETARY)
    return person


async def notice_to_societies(world: World, settings: Settings, count: int) -> Notice:
    people = [await society_with_secretary(world, settings, f"{count}-{n}") for n in range(count)]
    notice = await make_notice(world.association, f"通知{count}", to=[ALL_SOCIETIES])
    for person in people[::2]:
        await audience.mark_read(notice, person)
    for person in people[1::3]:
        await NoticeReminder.create(notice=notice, user=person, sent_by=world.staff)
    return notice


async def test_the_page_costs_the_same_queries_for_3_or_30_societies(
    world: World, settings: Settings, as_english_user: Any, queries: list[str]
) -> None:
    few = await notice_to_societies(world, settings, 3)
    many = await notice_to_societies(world, settings, 30)
    async with as_english_user("staff") as c:
        queries.clear()
        await receipts_page(c, few)
        for_few = len(queries)
        queries.clear()
        page = await receipts_page(c, many)
        for_many = len(queries)
    assert len(listed(page)) == 35  # 33 new societies and the world's two
    assert for_many == for_few
