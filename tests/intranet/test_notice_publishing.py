"""Publishing and withdrawing a notice: numbers given in order, never twice, even when
many people publish at the same moment; refusals that change nothing."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import httpx
import pytest

from intranet import policy
from intranet.models import Membership
from intranet.notices import numbering
from intranet.notices.models import Notice, NoticeAudience, NoticeState
from tests.conftest import World, csrf_token, post
from tests.helpers import soup
from tests.notice_helpers import ALL_SOCIETIES, make_notice, to_members_of, to_organisation


def this_year() -> int:
    return datetime.date.today().year


def alert_text(response: httpx.Response) -> str:
    alert = soup(response).select_one(".alert.error, .error-summary")
    assert alert is not None, response.text
    return alert.get_text(" ", strip=True)


async def draft(world: World, title: str = "关于开展网上值班工作的通知", **kwargs: Any) -> Notice:
    kwargs.setdefault("to", [ALL_SOCIETIES])
    kwargs.setdefault("prefix", "辽科协发")
    return await make_notice(world.association, title, publish=False, **kwargs)


async def publish(client: httpx.AsyncClient, notice: Notice) -> httpx.Response:
    return await post(client, f"/notices/{notice.id}/publish")


async def stored(notice: Notice) -> Notice:
    return await Notice.get(id=notice.id)


# -- numbers ----------------------------------------------------------------------------


async def test_it_publishes_a_draft_and_numbers_it_in_order(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    drafts = [await draft(world, f"通知{n}") for n in range(3)]
    async with as_user("staff") as staff:
        for notice in drafts:
            response = await publish(staff, notice)
            assert response.status_code == 303
            assert response.headers["location"] == f"/notices/{notice.id}?done=published"

    year = this_year()
    published = [await stored(notice) for notice in drafts]
    assert [n.document_number for n in published] == [
        f"辽科协发〔{year}〕1号",
        f"辽科协发〔{year}〕2号",
        f"辽科协发〔{year}〕3号",
    ]
    assert all(n.state == NoticeState.PUBLISHED and n.published_at for n in published)
    assert all("第" not in (n.document_number or "") for n in published)


async def test_each_prefix_and_year_has_its_own_sequence(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    old = datetime.date(2020, 2, 1)
    notices = [
        await draft(world, "今年的第一份"),
        await draft(world, "二〇二〇年的第一份", issued_on=old),
        await draft(world, "另一个代字", prefix="辽科协函"),
        await draft(world, "今年的第二份"),
        await draft(world, "二〇二〇年的第二份", issued_on=old),
    ]
    async with as_user("staff") as staff:
        for notice in notices:
            assert (await publish(staff, notice)).status_code == 303

    year = this_year()
    numbers = [(await stored(notice)).document_number for notice in notices]
    assert numbers == [
        f"辽科协发〔{year}〕1号",
        "辽科协发〔2020〕1号",
        f"辽科协函〔{year}〕1号",
        f"辽科协发〔{year}〕2号",
        "辽科协发〔2020〕2号",
    ]


async def test_a_number_is_never_given_twice_when_ten_publish_at_once(
    world: World,
    as_user,  # type: ignore[no-untyped-def]
) -> None:
    drafts = [await draft(world, f"同时发布的通知{n}") for n in range(10)]
    async with (
        as_user("staff") as staff,
        as_user("admin") as admin,
        as_user("staff") as staff_again,
        as_user("admin") as admin_again,
    ):
        clients = [staff, admin, staff_again, admin_again]
        tokens = [await csrf_token(client, "/profile") for client in clients]
        responses = await asyncio.gather(
            *(
                clients[n % 4].post(
                    f"/notices/{notice.id}/publish", data={"csrf_token": tokens[n % 4]}
                )
                for n, notice in enumerate(drafts)
            )
        )

    assert [r.status_code for r in responses] == [303] * 10
    rows = await Notice.filter(id__in=[d.id for d in drafts]).values("state", "document_number")
    assert {row["state"] for row in rows} == {NoticeState.PUBLISHED}
    year = this_year()
    assert sorted(row["document_number"] for row in rows) == sorted(
        f"辽科协发〔{year}〕{n}号" for n in range(1, 11)
    )


async def test_publishing_twice_is_refused_and_keeps_the_number(
    world: World, as_english_user
) -> None:  # type: ignore[no-untyped-def]
    notice = await draft(world)
    async with as_english_user("staff") as staff:
        assert (await publish(staff, notice)).status_code == 303
        first = await stored(notice)
        again = await publish(staff, notice)

    assert again.status_code == 400
    assert "Only a draft can be published." in alert_text(again)
    kept = await stored(notice)
    assert kept.document_number == first.document_number
    assert kept.published_at == first.published_at
    assert kept.version == first.version


async def test_both_clicks_at_once_publish_only_once(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    notice = await draft(world)
    second = await draft(world, "下一份")
    async with as_user("staff") as staff, as_user("admin") as admin:
        tokens = [await csrf_token(c, "/profile") for c in (staff, admin)]
        responses = await asyncio.gather(
            *(
                client.post(f"/notices/{notice.id}/publish", data={"csrf_token": token})
                for client, token in zip((staff, admin), tokens, strict=True)
            )
        )
        assert sorted(r.status_code for r in responses) == [303, 400]
        assert (await publish(staff, second)).status_code == 303

    # The refused click took no number: the next notice has the next one.
    year = this_year()
    assert (await stored(notice)).document_number == f"辽科协发〔{year}〕1号"
    assert (await stored(second)).document_number == f"辽科协发〔{year}〕2号"


async def test_a_typed_number_taken_at_publication_is_refused(
    world: World,
    as_english_user,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database never holds two notices of one issuer with one number, so the number
    being taken by someone else between typing it and publishing is staged here."""
    notice = await draft(world, prefix=None, number="辽科协发〔2020〕第001号")
    typed_key = notice.number_key
    real_number_taken = numbering.number_taken

    async def taken_meanwhile(issuer_id: int, key: str, *, other_than: int | None = None) -> bool:
        return key == typed_key or await real_number_taken(issuer_id, key, other_than=other_than)

    monkeypatch.setattr(numbering, "number_taken", taken_meanwhile)
    async with as_english_user("staff") as staff:
        response = await publish(staff, notice)

    assert response.status_code == 400
    assert "This document number is already used by another notice of the issuer." in alert_text(
        response
    )
    edit_links = [a["href"] for a in soup(response).select("a")]
    assert f"/notices/{notice.id}/edit" in edit_links
    kept = await stored(notice)
    assert kept.state == NoticeState.DRAFT
    assert kept.document_number == "辽科协发〔2020〕第001号"
    assert kept.published_at is None
    assert not await NoticeAudience.exists(notice_id=notice.id)


async def test_a_typed_number_is_kept_as_typed(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    notice = await draft(world, prefix=None, number="辽科协发〔2020〕第001号")
    async with as_user("staff") as staff:
        assert (await publish(staff, notice)).status_code == 303
    assert (await stored(notice)).document_number == "辽科协发〔2020〕第001号"


async def test_publishing_without_addressees_is_refused(world: World, as_english_user) -> None:  # type: ignore[no-untyped-def]
    notice = await draft(world, to=[])
    async with as_english_user("staff") as staff:
        response = await publish(staff, notice)

    assert response.status_code == 400
    assert "Add at least one addressee" in alert_text(response)
    kept = await stored(notice)
    assert kept.state == NoticeState.DRAFT
    assert kept.document_number is None


async def test_a_public_notice_needs_no_addressees(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    notice = await draft(world, to=[], is_public=True)
    async with as_user("staff") as staff:
        assert (await publish(staff, notice)).status_code == 303
    assert (await stored(notice)).state == NoticeState.PUBLISHED


@pytest.mark.parametrize("who", ["sec_a", "member_a", "sec_b", "outsider"])
async def test_only_the_issuers_people_publish(world: World, as_user, who: str) -> None:  # type: ignore[no-untyped-def]
    notice = await draft(world, to=[to_members_of(world.society_a)])
    async with as_user(who) as client:
        response = await publish(client, notice)

    assert response.status_code == 404
    kept = await stored(notice)
    assert kept.state == NoticeState.DRAFT
    assert kept.document_number is None


async def test_a_society_publishes_its_own_notices(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    notice = await make_notice(
        world.society_a, to=[to_members_of(world.society_a)], prefix="辽计会字", publish=False
    )
    async with as_user("sec_b") as sec_b:
        assert (await publish(sec_b, notice)).status_code == 404
    async with as_user("sec_a") as sec_a:
        assert (await publish(sec_a, notice)).status_code == 303
    assert (await stored(notice)).document_number == f"辽计会字〔{this_year()}〕1号"


async def test_anonymous_publishing_is_sent_to_log_in(
    world: World, client: httpx.AsyncClient
) -> None:
    notice = await draft(world)
    response = await post(client, f"/notices/{notice.id}/publish", token_from="/login")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert (await stored(notice)).state == NoticeState.DRAFT


# -- withdrawing ------------------------------------------------------------------------


async def withdraw(client: httpx.AsyncClient, notice: Notice, reason: str | None) -> httpx.Response:
    data = {} if reason is None else {"reason": reason}
    return await post(client, f"/notices/{notice.id}/withdraw", data)


@pytest.mark.parametrize("reason", [None, "", "   ", "\r\n"])
async def test_withdrawing_needs_a_reason(
    world: World, as_english_user, reason: str | None
) -> None:  # type: ignore[no-untyped-def]
    notice = await make_notice(world.association, to=[ALL_SOCIETIES], prefix="辽科协发")
    async with as_english_user("staff") as staff:
        response = await withdraw(staff, notice, reason)

    assert response.status_code == 400
    page = soup(response)
    assert "Give the reason for withdrawing the notice." in page.select_one("#error-reason").text
    form = page.select_one(f"form[action='/notices/{notice.id}/withdraw']")
    assert form is not None and form.select_one("input[name=reason]") is not None
    kept = await stored(notice)
    assert kept.state == NoticeState.PUBLISHED
    assert kept.withdrawn_at is None


async def test_a_reason_too_long_is_refused(world: World, as_english_user) -> None:  # type: ignore[no-untyped-def]
    notice = await make_notice(world.association, to=[ALL_SOCIETIES], prefix="辽科协发")
    async with as_english_user("staff") as staff:
        response = await withdraw(staff, notice, "错" * 501)
    assert response.status_code == 400
    assert "At most 500 characters" in soup(response).select_one("#error-reason").text
    assert (await stored(notice)).state == NoticeState.PUBLISHED


async def test_it_withdraws_a_published_notice_with_its_reason(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    notice = await make_notice(world.association, to=[ALL_SOCIETIES], prefix="辽科协发")
    async with as_user("admin") as admin:
        response = await withdraw(admin, notice, "  发送对象有误，\n将重新发布  ")

    assert response.status_code == 303
    assert response.headers["location"] == f"/notices/{notice.id}?done=withdrawn"
    kept = await stored(notice)
    assert kept.state == NoticeState.WITHDRAWN
    assert kept.withdrawn_reason == "发送对象有误， 将重新发布"
    assert kept.withdrawn_at is not None
    assert kept.document_number == notice.document_number


async def test_only_a_published_notice_is_withdrawn(world: World, as_english_user) -> None:  # type: ignore[no-untyped-def]
    notice = await draft(world)
    async with as_english_user("staff") as staff:
        response = await withdraw(staff, notice, "不需要了")
    assert response.status_code == 400
    assert "Only a published notice can be withdrawn." in alert_text(response)
    assert (await stored(notice)).state == NoticeState.DRAFT


@pytest.mark.parametrize("who", ["sec_a", "member_a", "sec_b"])
async def test_only_the_issuers_people_withdraw(world: World, as_user, who: str) -> None:  # type: ignore[no-untyped-def]
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_user(who) as client:
        response = await withdraw(client, notice, "篡改")
    assert response.status_code == 404
    assert (await stored(notice)).state == NoticeState.PUBLISHED


async def test_a_withdrawn_notice_is_no_longer_read_by_its_addressees(
    world: World, as_user
) -> None:  # type: ignore[no-untyped-def]
    notice = await make_notice(
        world.association, to=[to_members_of(world.society_a), to_organisation(world.society_b)]
    )
    member_roles = await Membership.filter(user=world.member_a).select_related("organisation")
    async with as_user("member_a") as member:
        assert (await member.get(f"/notices/{notice.id}")).status_code == 200
        async with as_user("staff") as staff:
            assert (await withdraw(staff, notice, "内容有误")).status_code == 303
            # The issuer still sees it, as withdrawn.
            assert (await staff.get(f"/notices/{notice.id}")).status_code == 200
        # The addressee is told it was withdrawn and why, but no longer reads it.
        told = await member.get(f"/notices/{notice.id}")
        assert told.status_code == 200
        assert "内容有误" in told.text and "notice-paper" not in told.text

    kept = await Notice.get(id=notice.id).select_related("issuer")
    assert not await policy.can_read_notice(member_roles, kept)
    assert await policy.can_see_withdrawal(member_roles, kept)
