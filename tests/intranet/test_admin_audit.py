"""The audit log page: who reads which events, filters, local times and paging.

Personas: `admin` administers the whole association and reads the whole log; `admin_a`
administers society A only and must read nothing of society B's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from intranet import audit
from intranet.models import AuditEvent, Membership, Organisation, Role, User
from tests.conftest import World, post


async def event(
    action: str,
    summary: str,
    *,
    actor: User | None = None,
    organisation: Organisation | None = None,
    about: User | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    recorded = await audit.record(
        None, action, actor=actor, organisation=organisation, target=about, summary=summary
    )
    if at is not None:
        await AuditEvent.filter(id=recorded.id).update(created_at=at)
    return recorded


def summaries(response: httpx.Response) -> list[str]:
    soup = BeautifulSoup(response.text, "html.parser")
    return [cell.get_text(strip=True) for cell in soup.select("table.audit-table td.audit-summary")]


def field_error(response: httpx.Response, name: str) -> str:
    error = BeautifulSoup(response.text, "html.parser").select_one(f"#error-{name}")
    return error.get_text(strip=True) if error else ""


@pytest.fixture
async def log(world: World) -> None:
    """A small log across the tree, at known times (UTC)."""
    await event(
        "role.assign",
        "sec_a in A",
        actor=world.admin,
        organisation=world.society_a,
        about=world.secretary_a,
        at=datetime(2020, 2, 10, 1, 0, tzinfo=UTC),
    )
    await event(
        "notice.publish",
        "branch notice",
        actor=world.secretary_a,
        organisation=world.branch_a,
        at=datetime(2020, 2, 10, 15, 59, tzinfo=UTC),
    )
    await event(
        "notice.publish",
        "medical notice",
        actor=world.secretary_b,
        organisation=world.society_b,
        at=datetime(2020, 2, 10, 16, 0, tzinfo=UTC),
    )
    await event(
        "organisation.update",
        "association renamed",
        actor=world.admin,
        organisation=world.association,
        at=datetime(2020, 2, 11, 3, 0, tzinfo=UTC),
    )
    await event(
        "login",
        "",
        actor=world.member_a,
        about=world.member_a,
        at=datetime(2020, 2, 12, 3, 0, tzinfo=UTC),
    )
    await event(
        "login",
        "",
        actor=world.secretary_b,
        about=world.secretary_b,
        at=datetime(2020, 2, 12, 4, 0, tzinfo=UTC),
    )
    await event("login.failed", "sec_a", at=datetime(2020, 2, 12, 5, 0, tzinfo=UTC))


async def audit_page(as_english_user: Any, username: str, **params: Any) -> httpx.Response:
    async with as_english_user(username) as c:
        return await c.get("/admin/audit", params=params)


async def test_it_lists_newest_first_in_local_time(
    world: World, log: None, as_english_user: Any
) -> None:
    response = await audit_page(as_english_user, "admin", action="notice.publish")
    assert response.status_code == 200
    assert summaries(response) == ["medical notice", "branch notice"]
    soup = BeautifulSoup(response.text, "html.parser")
    times = [t.get_text() for t in soup.select("table.audit-table time")]
    # 16:00 UTC is midnight of the next day in Asia/Shanghai.
    assert times == ["2020-02-11 00:00:00", "2020-02-10 23:59:00"]
    first_row = soup.select_one("table.audit-table tbody tr")
    assert first_row is not None
    assert "医学会秘书" in first_row.get_text()
    assert "Notice published" in first_row.get_text()  # the action's label, not its code


async def test_a_root_admin_reads_every_event(
    world: World, log: None, as_english_user: Any
) -> None:
    response = await audit_page(as_english_user, "admin", actor="", q="")
    # The seven of the log, and the root admin's own login on the way in.
    assert len(summaries(response)) == 8


async def test_an_admin_of_a_reads_only_what_concerns_a(
    world: World, admin_a: User, log: None, as_english_user: Any
) -> None:
    # sec_a also holds a role in B now: events about them alone no longer belong to A.
    await event("login", "sec_a in two places", actor=world.secretary_a, about=world.secretary_a)
    await Membership.create(user=world.secretary_a, organisation=world.society_b, role=Role.MEMBER)
    response = await audit_page(as_english_user, "admin_a")
    shown = summaries(response)
    assert "sec_a in A" in shown and "branch notice" in shown
    assert "medical notice" not in shown
    assert "association renamed" not in shown
    assert "sec_a in two places" not in shown
    assert "sec_a" not in shown  # the failed login belongs to nobody in reach
    soup = BeautifulSoup(response.text, "html.parser")
    who = [row.get_text() for row in soup.select("table.audit-table tbody tr")]
    assert any("计算机学会会员" in text for text in who)  # member_a's login, a person in A
    assert not any("医学会秘书" in text for text in who)
    options = {o.get_text(strip=True) for o in soup.select("#field-organisation option")}
    assert "辽宁省医学会" not in options
    actions = {o["value"] for o in soup.select("#field-action option")}
    assert actions == {"", "login", "notice.publish", "role.assign"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "sec_a"}, ["branch notice"]),
        ({"actor": "医学会"}, ["", "medical notice"]),
        ({"action": "role.assign"}, ["sec_a in A"]),
        ({"organisation": "society_a"}, ["branch notice", "sec_a in A"]),
        ({"organisation": "branch_a"}, ["branch notice"]),
        ({"from": "2020-02-11", "to": "2020-02-11"}, ["association renamed", "medical notice"]),
        ({"to": "2020-02-10"}, ["branch notice", "sec_a in A"]),
        ({"q": "NOTICE"}, ["medical notice", "branch notice"]),
        ({"q": "notice", "organisation": "society_b"}, ["medical notice"]),
    ],
)
async def test_filters_find_the_right_events(
    world: World, log: None, as_english_user: Any, params: dict[str, str], expected: list[str]
) -> None:
    if "organisation" in params:
        params = {**params, "organisation": str(getattr(world, params["organisation"]).id)}
    params.setdefault("to", "2020-12-31")  # leave out the logins of this test itself
    response = await audit_page(as_english_user, "admin", **params)
    assert response.status_code == 200
    assert summaries(response) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2020-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2020-2-1"}, "to"),
        ({"from": "2020-02-12", "to": "2020-02-11"}, "to"),
        ({"organisation": "abc"}, "organisation"),
        ({"actor": "x" * 65}, "actor"),
        ({"q": "x" * 101}, "q"),
    ],
)
async def test_bad_filters_are_refused_beside_the_field(
    world: World, log: None, as_english_user: Any, params: dict[str, str], field: str
) -> None:
    response = await audit_page(as_english_user, "admin", **params)
    assert response.status_code == 400
    assert field_error(response, field)
    assert summaries(response) == []


async def test_an_admin_of_a_cannot_filter_on_b(
    world: World, admin_a: User, log: None, as_english_user: Any
) -> None:
    response = await audit_page(as_english_user, "admin_a", organisation=str(world.society_b.id))
    assert response.status_code == 400
    assert "Choose an organisation" in field_error(response, "organisation")
    assert summaries(response) == []


async def test_it_pages_back_in_time_without_gaps_or_repeats(
    world: World, as_english_user: Any
) -> None:
    same_moment = datetime(2021, 5, 1, 8, 0, tzinfo=UTC)
    for number in range(120):
        await event("notice.publish", f"n{number:03}", organisation=world.society_a, at=same_moment)
    seen: list[str] = []
    async with as_english_user("admin") as c:
        url = "/admin/audit?action=notice.publish"
        while url:
            response = await c.get(url)
            seen.extend(summaries(response))
            older = BeautifulSoup(response.text, "html.parser").select_one("a[rel=next]")
            url = str(older["href"]) if older else ""
    assert seen == [f"n{number:03}" for number in reversed(range(120))]


async def test_htmx_gets_only_the_rows(world: World, log: None, as_english_user: Any) -> None:
    async with as_english_user("admin") as c:
        response = await c.get(
            "/admin/audit", params={"action": "login.failed"}, headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert summaries(response) == ["sec_a"]
    assert "HX-Request" in response.headers["vary"]


async def test_the_people_pages_write_to_the_log(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        await post(c, f"/admin/people/{world.member_a.id}/deactivate")
        response = await c.get("/admin/audit", params={"action": "person.deactivate"})
    soup = BeautifulSoup(response.text, "html.parser")
    row = soup.select_one("table.audit-table tbody tr")
    assert row is not None
    text = row.get_text(" ", strip=True)
    assert "Person deactivated" in text
    assert "计算机学会管理员 (admin_a)" in text
    assert "计算机学会会员 (member_a)" in text
    assert "127.0.0.1" in text


@pytest.mark.parametrize("username", ["staff", "sec_a", "member_a", "sec_b", "outsider"])
async def test_non_admins_get_404(
    world: World, log: None, as_english_user: Any, username: str
) -> None:
    response = await audit_page(as_english_user, username)
    assert response.status_code == 404


async def test_htmx_is_shown_a_bad_filter_in_place_of_the_rows(
    world: World, log: None, as_english_user: Any
) -> None:
    async with as_english_user("admin") as c:
        response = await c.get(
            "/admin/audit",
            params={"from": "2020-02-12", "to": "2020-02-11"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200  # htmx swaps in only successful answers
    assert "<html" not in response.text
    summary = BeautifulSoup(response.text, "html.parser").select_one(".error-summary")
    assert summary is not None and "before the start date" in summary.get_text()
    assert summaries(response) == []
