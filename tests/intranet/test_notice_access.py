"""Who may do what with a notice: role × notice state × addressee.

Every notice here is the association's. Its staff and admin act for it and see it in
every state; everyone else sees it only once published, and only when it is addressed
to them or public. A withdrawn notice is the issuer's alone again: those it was addressed
to see only a page saying it was withdrawn (tests/intranet/test_notice_detail.py), nothing of it.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from intranet.notices import workflow
from intranet.notices.models import Notice, NoticeAttachment, NoticeState
from tests.conftest import World, login, new_client
from tests.notice_helpers import Addressee, make_notice, to_category, to_members_of, to_organisation

PEOPLE = ["anonymous", "outsider", "member_a", "sec_a", "sec_b", "staff", "admin"]
ISSUER_PEOPLE = {"staff", "admin"}  # act for the association
CAN_ISSUE = {"sec_a", "sec_b", "staff", "admin"}  # act for some organisation
STATES = [NoticeState.DRAFT, NoticeState.PUBLISHED, NoticeState.WITHDRAWN]
AUDIENCES = ["society A", "members of A", "medical societies", "public"]

# Who, apart from the issuer's people, a published notice reaches.
REACHES = {
    "society A": {"sec_a"},  # the society as a unit: its secretary, not its members
    "members of A": {"sec_a", "member_a"},
    "medical societies": {"sec_b"},  # society B is in 医药卫生类
    "public": set(PEOPLE),
}


def addressees(world: World, audience: str) -> list[Addressee]:
    return {
        "society A": [to_organisation(world.society_a)],
        "members of A": [to_members_of(world.society_a)],
        "medical societies": [to_category(world.medicine)],
        "public": [],
    }[audience]


def may_read(who: str, state: NoticeState, audience: str) -> bool:
    if who in ISSUER_PEOPLE:
        return True
    return state == NoticeState.PUBLISHED and who in REACHES[audience]


def expected(action: str, who: str, state: NoticeState, audience: str) -> int:
    readable = may_read(who, state, audience)
    if who == "anonymous":
        return 200 if readable and action in ("view", "download", "version") else 303
    # Its addressees open a withdrawn notice's address and learn that it was withdrawn.
    told_withdrawn = (
        state == NoticeState.WITHDRAWN and audience != "public" and who in REACHES[audience]
    )
    allowed = {
        "view": readable or told_withdrawn,
        "download": readable,
        "version": readable,
        "edit": who in ISSUER_PEOPLE and state != NoticeState.WITHDRAWN,
        "forward": readable and who in CAN_ISSUE and state == NoticeState.PUBLISHED,
        "receipts": who in ISSUER_PEOPLE and state != NoticeState.DRAFT,
    }[action]
    return 200 if allowed else 404


async def notice_in(world: World, app: Any, state: NoticeState, audience: str) -> Notice:
    notice = await make_notice(
        world.association,
        f"{audience} {state}",
        to=addressees(world, audience),
        is_public=audience == "public",
        publish=state != NoticeState.DRAFT,
    )
    stored = await app.state.storage.save(b"%PDF-1.4\n%test\n", max_bytes=1000)
    await NoticeAttachment.create(
        notice=notice,
        storage_key=stored.key,
        filename="附件.pdf",
        kind="pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    if state != NoticeState.DRAFT:
        await workflow.keep_version(notice, None)  # so there is a version 1 to look at
        notice.title += " (2)"
        await notice.save()
    if state == NoticeState.WITHDRAWN:
        await workflow.withdraw(notice, None, "发错了")
    return notice


@pytest.fixture
async def clients(app: Any, world: World) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    signed_in = {}
    for who in PEOPLE:
        client = new_client(app, cookies={"huibao_lang": "en"})
        if who != "anonymous":
            assert (await login(client, who)).status_code == 303
        signed_in[who] = client
    yield signed_in
    for client in signed_in.values():
        await client.aclose()


def paths(notice: Notice, attachment: NoticeAttachment) -> dict[str, str]:
    base = f"/notices/{notice.id}"
    return {
        "view": base,
        "download": f"{base}/attachments/{attachment.id}",
        "version": f"{base}/versions/1",
        "edit": f"{base}/edit",
        "forward": f"{base}/forward",
        "receipts": f"{base}/receipts",
    }


@pytest.mark.parametrize("state", STATES, ids=str)
async def test_role_state_addressee_matrix(
    app: Any, world: World, clients: dict[str, httpx.AsyncClient], state: NoticeState
) -> None:
    wrong = []
    for audience in AUDIENCES:
        notice = await notice_in(world, app, state, audience)
        attachment = await NoticeAttachment.get(notice=notice)
        for (action, path), who in itertools.product(paths(notice, attachment).items(), PEOPLE):
            if action == "version" and state == NoticeState.DRAFT:
                continue  # a draft has no earlier versions
            response = await clients[who].get(path)
            want = expected(action, who, state, audience)
            if response.status_code != want:
                wrong.append(f"{action} {audience} as {who}: {response.status_code}, not {want}")
            elif want == 303:
                assert response.headers["location"].startswith("/login?next=")
    assert wrong == []


async def csrf_for(client: httpx.AsyncClient) -> str:
    page = await client.get("/profile")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


async def notice_rows() -> list[dict[str, Any]]:
    return await Notice.all().order_by("id").values()


async def test_only_the_issuers_people_change_a_notice(
    app: Any, world: World, clients: dict[str, httpx.AsyncClient]
) -> None:
    """Every state-changing route, posted by everyone who is not the issuer's, changes
    nothing: those who can read the notice are refused like those who cannot."""
    draft = await notice_in(world, app, NoticeState.DRAFT, "members of A")
    published = await notice_in(world, app, NoticeState.PUBLISHED, "members of A")
    before = await notice_rows()
    attachments_before = await NoticeAttachment.all().count()
    outsiders = [who for who in PEOPLE if who not in ISSUER_PEOPLE and who != "anonymous"]
    wrong = []
    for notice in (draft, published):
        attachment = await NoticeAttachment.get(notice=notice)
        base = f"/notices/{notice.id}"
        for who, path in itertools.product(
            outsiders,
            [
                f"{base}/edit",
                f"{base}/publish",
                f"{base}/withdraw",
                f"{base}/delete",
                f"{base}/remind",
                f"{base}/attachments/{attachment.id}/delete",
            ],
        ):
            client = clients[who]
            form = {"title": "被篡改", "reason": "篡改", "csrf_token": await csrf_for(client)}
            response = await client.post(path, data=form)
            if response.status_code != 404:
                wrong.append(f"POST {path} as {who}: {response.status_code}")
        for who in outsiders:
            client = clients[who]
            response = await client.post(
                f"{base}/attachments",
                data={"csrf_token": await csrf_for(client)},
                files={"file": ("x.txt", b"hello", "text/plain")},
            )
            if response.status_code != 404:
                wrong.append(f"upload to {base} as {who}: {response.status_code}")
    assert wrong == []
    assert await notice_rows() == before
    assert await NoticeAttachment.all().count() == attachments_before
