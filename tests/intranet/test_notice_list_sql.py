"""The notice list's hand-written statements (intranet/notices/list_query.py) against
the ORM's reading of the same rules: the same notices for every kind of person, in the
same order, found by the same searches, counted the same."""

from __future__ import annotations

import pytest
from tortoise.expressions import Q
from tortoise.functions import Count

from intranet import policy
from intranet.models import Membership, User
from intranet.notices.list_query import Narrowing, page_rows, read_among, readable_groups
from intranet.notices.models import Notice, NoticeRead, NoticeState
from tests.conftest import World
from tests.intranet.test_notice_list_golden import START, golden_data

PEOPLE = ("member_a", "sec_a", "sec_b", "staff", "admin", "outsider")
NARROWINGS = [
    Narrowing(),
    Narrowing(words=["优秀", "通知"]),
    Narrowing(words=["open data"]),
    Narrowing(words=["〔2021〕"]),
    Narrowing(words=["100%", "a_b", "\\"]),  # LIKE's own characters are plain text
    Narrowing(issuer=2),
    Narrowing(category="announcement", year=2021),
    Narrowing(words=["通知"], issuer=1, category="notice", year=2020),
]


async def held_by(username: str) -> list[Membership]:
    user = await User.get(username=username)
    return await Membership.filter(user=user).select_related("organisation")


def orm_rows(held: list[Membership], narrowing: Narrowing):  # type: ignore[no-untyped-def]
    notices = policy.readable_notices(held)
    for word in narrowing.words:
        notices = notices.filter(search_text__contains=word)
    if narrowing.issuer is not None:
        notices = notices.filter(issuer_id=narrowing.issuer)
    if narrowing.category:
        notices = notices.filter(category=narrowing.category)
    if narrowing.year is not None:
        notices = notices.filter(year=narrowing.year)
    return notices.order_by("-pinned", "-published_at", "-id")


async def with_like_characters(world: World) -> None:
    """Public notices whose text holds LIKE's wildcards, and some that only a wildcard
    would match."""
    for number, text in enumerate(["满意率100% a_b c\\d", "满意率1000 axb cd"]):
        await Notice.create(
            id=500 + number,
            issuer=world.association,
            title=text,
            search_text=text,
            state=NoticeState.PUBLISHED,
            published_at=START,
            is_public=True,
        )


@pytest.mark.parametrize("username", PEOPLE)
async def test_it_lists_what_the_orm_lists(world: World, username: str) -> None:
    await golden_data(world)
    await with_like_characters(world)
    held = await held_by(username)
    listed = 0
    for narrowing in NARROWINGS:
        expected = await orm_rows(held, narrowing).values_list("id", flat=True)
        listed += len(expected)
        for offset in (0, 50):
            rows = await page_rows(held, narrowing, offset, 50)
            assert [row.id for row in rows] == expected[offset : offset + 50], narrowing
    assert listed
    wildcards = await page_rows(held, Narrowing(words=["100%", "a_b", "\\"]), 0, 50)
    assert [row.id for row in wildcards] == [500]


@pytest.mark.parametrize("username", PEOPLE)
async def test_it_counts_what_the_orm_counts(world: World, username: str) -> None:
    await golden_data(world)
    held = await held_by(username)
    for words in ([], ["通知"], ["优秀", "通知"], ["nothing at all"]):
        groups = await readable_groups(held, words)
        found = {
            (g["issuer_id"], g["year"], g["category"]): g["found"] for g in groups if g["found"]
        }
        search = Q(*(Q(search_text__contains=word) for word in words))
        expected = (
            await policy.readable_notices(held)
            .filter(search)
            .annotate(found=Count("id"))
            .group_by("issuer_id", "year", "category")
            .values("issuer_id", "year", "category", "found")
        )
        assert found == {(g["issuer_id"], g["year"], g["category"]): g["found"] for g in expected}
        everything = {(g["issuer_id"], g["year"], g["category"]) for g in groups}
        readable = await policy.readable_notices(held).values("issuer_id", "year", "category")
        assert everything == {(g["issuer_id"], g["year"], g["category"]) for g in readable}


async def test_it_finds_the_read_marks_of_one_person(world: World) -> None:
    await golden_data(world)
    ids = list(range(1, 40))
    expected = set(
        await NoticeRead.filter(user=world.member_a, notice_id__in=ids).values_list(
            "notice_id", flat=True
        )
    )
    assert expected
    assert await read_among(world.member_a.id, ids) == expected
    assert await read_among(world.outsider.id, ids) == set()
    assert await read_among(world.member_a.id, []) == set()
