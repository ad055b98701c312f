"""The demo's notices: the real fixtures, forwarded, numbered and partly read."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from intranet import demo
from intranet.models import AuditEvent, Organisation
from intranet.notices import audience
from intranet.notices.models import (
    Notice,
    NoticeAddressee,
    NoticeAttachment,
    NoticeAudience,
    NoticeCategory,
    NoticeRead,
    NoticeReminder,
    NoticeState,
)
from intranet.settings import Settings
from intranet.storage import LocalStorage
from tests.conftest import World
from tests.databases import Database, drop_postgres_database, throwaway_database

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = "辽科协发〔2020〕3号"
FORWARDING = "辽计会字〔2020〕第001号"
UNIVERSITY = "科大组织部〔2020〕6号"


@pytest.fixture
async def loaded(app: Any, settings: Settings) -> Settings:
    assert await demo.load(settings)
    return settings


async def by_number(number: str) -> Notice:
    return await Notice.get(document_number=number).select_related("issuer")


async def table_counts() -> dict[str, int]:
    models = [
        Organisation,
        Notice,
        NoticeAddressee,
        NoticeAudience,
        NoticeAttachment,
        NoticeRead,
        NoticeReminder,
        AuditEvent,
    ]
    return {model.__name__: await model.all().count() for model in models}


async def test_it_loads_the_associations_notice_from_the_fixture(loaded: Settings) -> None:
    notice = await by_number(ORIGINAL)
    assert notice.issuer.name == demo.ASSOCIATION
    assert notice.state == NoticeState.PUBLISHED
    assert notice.title == "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知"
    assert notice.addressee_line == "各省级学会（协会、研究会）"
    assert notice.signature == "辽宁省科学技术协会办公室"
    assert str(notice.issued_on) == "2020-01-30"
    assert "建立网上值班制度" in notice.body_html
    assert "<strong>一、提高政治站位" in notice.body_html
    societies = await Organisation.filter(kind="society").count()
    assert await NoticeAudience.filter(notice=notice).count() == societies


async def test_the_society_forwards_it_to_all_its_members(loaded: Settings) -> None:
    forwarding = await by_number(FORWARDING)
    original = await by_number(ORIGINAL)
    assert forwarding.issuer.name == demo.COMPUTER_SOCIETY
    assert forwarding.state == NoticeState.PUBLISHED
    assert forwarding.chain() == [FORWARDING, ORIGINAL]
    assert forwarding.forwarded_from_id == original.id
    assert forwarding.title.startswith("关于转发省科协")
    assert forwarding.addressee_line == "各会员单位及个人会员"
    [addressee] = await NoticeAddressee.filter(notice=forwarding).select_related("organisation")
    assert (addressee.target, addressee.organisation.name) == ("members_of", "辽宁省计算机学会")


async def test_the_university_notice_has_its_own_issuer(loaded: Settings) -> None:
    notice = await by_number(UNIVERSITY)
    assert notice.issuer.name == "中共辽宁科技大学委员会组织部"
    assert notice.state == NoticeState.PUBLISHED
    assert "爱心员" in notice.body_html


async def test_the_short_notices_cover_every_state(loaded: Settings) -> None:
    association = await Organisation.get(name=demo.ASSOCIATION)
    notices = [n for n in await Notice.filter(issuer=association) if n.document_number != ORIGINAL]
    states = {notice.state for notice in notices}
    assert states == {NoticeState.DRAFT, NoticeState.PUBLISHED, NoticeState.WITHDRAWN}
    assert any(notice.pinned for notice in notices)
    public = [n for n in notices if n.is_public and n.state == NoticeState.PUBLISHED]
    assert public and public[0].category == NoticeCategory.ANNOUNCEMENT
    numbered = [n for n in notices if n.state != NoticeState.DRAFT]
    assert all(n.document_number and n.document_number.startswith("辽科协发〔") for n in numbered)
    assert len({n.document_number for n in numbered}) == len(numbered)


async def test_one_notice_has_a_stored_text_attachment(loaded: Settings) -> None:
    [attachment] = await NoticeAttachment.all()
    assert attachment.kind == "txt"
    stored = b"".join(
        [
            chunk
            async for chunk in await LocalStorage.for_settings(loaded).open(attachment.storage_key)
        ]
    )
    assert "选题参考" in stored.decode("utf-8")


async def test_read_receipts_are_partly_filled(loaded: Settings) -> None:
    rows = {r.organisation.name: r for r in await audience.receipts(await by_number(ORIGINAL))}
    assert [r.user.username for r in rows["辽宁省计算机学会"].read] == ["secretary"]
    assert [r.user.username for r in rows["辽宁省医学会"].unread] == ["secretary-med"]
    reminder = await NoticeReminder.get().select_related("user", "sent_by")
    assert (reminder.user.username, reminder.sent_by.username) == ("secretary-med", "staff")
    forwarding = await audience.receipts(await by_number(FORWARDING))
    society = next(r for r in forwarding if r.organisation.name == demo.COMPUTER_SOCIETY)
    assert [r.user.username for r in society.unread] == ["member"]


async def test_loading_twice_changes_nothing(loaded: Settings) -> None:
    before = await table_counts()

    assert not await demo.load(loaded)

    assert await table_counts() == before


async def test_a_demo_loaded_before_notices_gets_them(loaded: Settings) -> None:
    before = await table_counts()
    await Notice.all().delete()

    assert not await demo.load(loaded)

    assert (await by_number(FORWARDING)).chain() == [FORWARDING, ORIGINAL]
    after = await table_counts()
    assert {k: v for k, v in after.items() if k != "AuditEvent"} == {
        k: v for k, v in before.items() if k != "AuditEvent"
    }


async def test_a_real_site_gets_no_demo_notices(world: World, settings: Settings) -> None:
    assert not await demo.load(settings)

    assert await Notice.all().count() == 0


# -- from the command line, as an operator runs it ---------------------------------------


@pytest.fixture
async def command_database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path, "receipts_demo")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


def huibao_demo(database: Database) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "intranet", "demo"],
        cwd=ROOT,
        env=database.env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_the_demo_command_loads_the_notices_once(command_database: Database) -> None:
    database = command_database
    huibao_demo(database)
    numbers = "SELECT document_number FROM notice WHERE document_number IS NOT NULL"
    counts = "SELECT (SELECT COUNT(*) FROM notice), (SELECT COUNT(*) FROM notice_read)"
    before = await database.rows(counts)

    huibao_demo(database)

    assert {ORIGINAL, FORWARDING, UNIVERSITY} <= set(await database.column(numbers))
    assert await database.rows(counts) == before
