"""The notice core without HTTP: numbering, audience and read receipts."""

from __future__ import annotations

import asyncio

from intranet import policy
from intranet.models import Membership
from intranet.notices import audience
from intranet.notices.models import Notice
from tests.conftest import World
from tests.notice_helpers import ALL_SOCIETIES, make_notice, to_category, to_members_of


async def held_by(user) -> list[Membership]:  # type: ignore[no-untyped-def]
    return await Membership.filter(user=user).select_related("organisation")


async def test_it_numbers_notices_in_order_per_prefix_and_year(world: World) -> None:
    first = await make_notice(world.association, prefix="辽科协发")
    second = await make_notice(world.association, prefix="辽科协发")
    assert first.document_number == "辽科协发〔" + str(first.year) + "〕1号"
    assert second.document_number == "辽科协发〔" + str(second.year) + "〕2号"


async def test_it_never_gives_a_number_twice_when_published_at_once(world: World) -> None:
    drafts = [
        await make_notice(world.association, f"通知{i}", prefix="辽科协发", publish=False)
        for i in range(8)
    ]
    from intranet.notices import workflow

    await asyncio.gather(*(workflow.publish(d, None) for d in drafts))
    numbers = sorted(
        await Notice.filter(id__in=[d.id for d in drafts]).values_list("document_number", flat=True)
    )
    assert len(set(numbers)) == 8
    year = drafts[0].year
    assert set(numbers) == {f"辽科协发〔{year}〕{n}号" for n in range(1, 9)}


async def test_it_skips_a_number_already_typed_by_hand(world: World) -> None:
    import datetime

    day = datetime.date(2020, 2, 1)
    await make_notice(world.association, number="辽科协发〔2020〕第001号", issued_on=day)
    allocated = await make_notice(world.association, prefix="辽科协发", issued_on=day)
    assert allocated.document_number == "辽科协发〔2020〕2号"


async def test_a_category_reaches_only_its_societies_secretariat(world: World) -> None:
    notice = await make_notice(world.association, to=[to_category(world.medicine)])
    assert await policy.is_addressed_to(await held_by(world.secretary_b), notice)
    assert not await policy.is_addressed_to(await held_by(world.secretary_a), notice)


async def test_all_societies_reach_secretaries_but_not_members(world: World) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    assert await policy.is_addressed_to(await held_by(world.secretary_a), notice)
    assert not await policy.is_addressed_to(await held_by(world.member_a), notice)


async def test_all_members_of_reaches_members_and_counts_each_read_once(world: World) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    assert await policy.is_addressed_to(await held_by(world.member_a), notice)
    assert await audience.mark_read(notice, world.member_a)
    assert not await audience.mark_read(notice, world.member_a)
    by_org = {r.organisation.id: r for r in await audience.receipts(notice)}
    society = by_org[world.society_a.id]
    assert [r.user.username for r in society.read] == ["member_a"]
    assert [r.user.username for r in society.unread] == ["sec_a"]
    assert world.branch_a.id in by_org
