"""Opening rounds without HTTP: the roster's responses, each round exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet.models import Organisation
from surveys import rounds
from surveys.models import Campaign, Form, FormVersion, Response, Round
from surveys.round_calendar import ScheduleKind
from surveys.schema import FormDefinition, Respondent
from tests.conftest import World

ZONE = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2020, 09:00 in Shenyang: the fourth weekly round from 10 February
# opened at midnight.
NOW = datetime(2020, 3, 2, 9, 0, tzinfo=ZONE)
PERIODS = [
    (date(2020, 2, 10), date(2020, 2, 16)),
    (date(2020, 2, 17), date(2020, 2, 23)),
    (date(2020, 2, 24), date(2020, 3, 1)),
    (date(2020, 3, 2), date(2020, 3, 8)),
]


@dataclass
class Roster:
    campaign: Campaign
    expected: set[int]  # the organisations that must get a response


async def make_campaign(
    world: World, respondent: Respondent = Respondent.ORGANISATION, **roster: list[int]
) -> Campaign:
    form = await Form.create(
        title="疫情防控工作进展周报", respondent=respondent, owner=world.association
    )
    definition = FormDefinition(title=form.title, respondent=respondent)
    version = await FormVersion.create(form=form, number=1, definition=definition.to_dict())
    return await Campaign.create(
        title=form.title,
        form_version=version,
        organiser=world.association,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=date(2020, 2, 10),
        due_offset_days=2,
        **roster,
    )


@pytest.fixture
async def weekly(world: World) -> Roster:
    # Society C is both listed and in the category: it must get one response, not two.
    society_c = await Organisation.create_under(world.association, name="辽宁省药学会")
    await society_c.categories.add(world.medicine)
    closed = await Organisation.create_under(world.association, name="已停用学会", is_active=False)
    await closed.categories.add(world.medicine)
    campaign = await make_campaign(
        world,
        roster_organisations=[world.society_a.id, society_c.id],
        roster_categories=[world.medicine.id],
    )
    return Roster(campaign, {world.society_a.id, world.society_b.id, society_c.id})


async def responding(round_: Round) -> list[int]:
    return sorted(
        await Response.filter(round=round_).values_list("organisation_id", flat=True)  # type: ignore[arg-type]
    )


async def test_it_opens_the_missed_rounds_in_order_with_the_roster(weekly: Roster) -> None:
    opened = await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE)

    assert [r.number for r in opened] == [1, 2, 3, 4]
    assert [(r.period_start, r.period_end) for r in opened] == PERIODS
    assert opened[0].opens_at == datetime(2020, 2, 10, tzinfo=ZONE)
    assert opened[0].due_at == datetime(2020, 2, 18, 23, 59, 59, tzinfo=ZONE)
    for round_ in opened:
        assert await responding(round_) == sorted(weekly.expected)
    response = await Response.filter(round=opened[0]).first()
    assert response is not None
    assert (response.state, response.version, response.answers) == ("not_started", 0, {})


async def test_it_freezes_the_form_version_when_a_round_opens(weekly: Roster) -> None:
    await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE)
    version = await FormVersion.get(id=weekly.campaign.form_version_id)
    assert version.frozen


async def test_it_opens_nothing_before_the_first_round(weekly: Roster) -> None:
    before = datetime(2020, 2, 9, 23, 59, tzinfo=ZONE)
    assert await rounds.open_due_rounds(weekly.campaign, before, zone=ZONE) == []
    assert not await Round.exists()


async def test_calling_twice_opens_nothing_new(weekly: Roster) -> None:
    await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE)

    assert await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE) == []
    assert await Round.filter(campaign=weekly.campaign).count() == 4
    assert await Response.all().count() == 4 * len(weekly.expected)


async def test_next_week_opens_only_the_next_round(weekly: Roster) -> None:
    await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE)
    next_week = datetime(2020, 3, 9, 0, 0, 1, tzinfo=ZONE)

    opened = await rounds.open_due_rounds(weekly.campaign, next_week, zone=ZONE)

    assert [r.number for r in opened] == [5]


async def test_two_workers_open_each_round_exactly_once(
    weekly: Roster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither worker inserts anything before both have read which rounds are open, so
    # they race for every round, as two processes waking on the same minute would.
    both_have_read = asyncio.Barrier(2)
    waited: set[object] = set()
    open_round = rounds._open_round

    async def after_both_have_read(*args: Any, **kwargs: Any) -> Round | None:
        if asyncio.current_task() not in waited:
            waited.add(asyncio.current_task())
            await both_have_read.wait()
        return await open_round(*args, **kwargs)

    monkeypatch.setattr(rounds, "_open_round", after_both_have_read)
    # Each worker loads the campaign itself, as two processes would.
    first, second = [await Campaign.get(id=weekly.campaign.id) for _ in range(2)]

    results = await asyncio.gather(
        rounds.open_due_rounds(first, NOW, zone=ZONE),
        rounds.open_due_rounds(second, NOW, zone=ZONE),
    )

    assert sorted(r.number for result in results for r in result) == [1, 2, 3, 4]
    numbers = await Round.filter(campaign=weekly.campaign).values_list("number", flat=True)
    assert sorted(numbers) == [1, 2, 3, 4]
    for round_ in await Round.filter(campaign=weekly.campaign):
        assert await responding(round_) == sorted(weekly.expected)


async def test_a_round_opened_by_another_worker_is_skipped_without_responses(
    weekly: Roster, monkeypatch: pytest.MonkeyPatch
) -> None:
    await rounds.open_due_rounds(weekly.campaign, datetime(2020, 2, 18, tzinfo=ZONE), zone=ZONE)
    # A worker that read the opened rounds just before the other one committed.
    unaware = rounds.due_to_open
    monkeypatch.setattr(rounds, "due_to_open", lambda s, now, _: unaware(s, now, set()))

    opened = await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE)

    assert [r.number for r in opened] == [3, 4]
    assert await Round.filter(campaign=weekly.campaign).count() == 4
    assert await Response.all().count() == 4 * len(weekly.expected)


async def test_an_inactive_or_unlisted_organisation_gets_nothing(
    weekly: Roster, world: World
) -> None:
    opened = await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE)
    inactive = await Organisation.get(name="已停用学会")
    assert not await Response.filter(organisation=inactive).exists()
    assert not await Response.filter(organisation=world.association).exists()
    assert not await Response.filter(organisation=world.branch_a).exists()
    assert len(opened) == 4


async def test_the_roster_is_read_again_when_each_round_opens(weekly: Roster, world: World) -> None:
    await rounds.open_due_rounds(weekly.campaign, datetime(2020, 2, 11, tzinfo=ZONE), zone=ZONE)
    newcomer = await Organisation.create_under(world.association, name="辽宁省护理学会")
    await newcomer.categories.add(world.medicine)

    [second] = await rounds.open_due_rounds(
        weekly.campaign, datetime(2020, 2, 18, tzinfo=ZONE), zone=ZONE
    )

    assert await responding(second) == sorted(weekly.expected | {newcomer.id})


async def test_a_per_person_form_gets_no_responses_in_advance(world: World) -> None:
    campaign = await make_campaign(
        world, Respondent.PERSON, roster_organisations=[world.society_a.id]
    )
    opened = await rounds.open_due_rounds(campaign, NOW, zone=ZONE)
    assert len(opened) == 4
    assert not await Response.exists()


# -- how the responses are inserted --------------------------------------------------------


@pytest.fixture
async def inserts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """Every INSERT sent while the test runs, as (method, SQL, rows sent as parameter
    lists). bulk_create sends one statement with many rows through execute_many, which the
    `queries` fixture does not see; the roster's responses go as one INSERT ... SELECT
    through execute_query; transactions run on their own client class, so that is
    patched too."""
    sent: list[tuple[str, str, int]] = []
    async with in_transaction() as transaction:
        clients = (type(connections.get("default")), type(transaction))
    # Each method is patched once, on the class that defines it.
    defining = {
        (next(c for c in client.__mro__ if name in vars(c)), name)
        for client in clients
        for name in ("execute_insert", "execute_many", "execute_query")
    }
    for client_class, name in defining:
        original = getattr(client_class, name)

        async def counting(
            self: Any, query: str, values: Any, _name: str = name, _original: Any = original
        ) -> Any:
            if str(query).lstrip().upper().startswith("INSERT"):
                rows = len(values) if _name == "execute_many" else 1
                sent.append((_name, str(query), rows))
            return await _original(self, query, values)

        monkeypatch.setattr(client_class, name, counting)
    return sent


def into(table: str, sent: list[tuple[str, str, int]]) -> Iterator[tuple[str, int]]:
    for method, query, rows in sent:
        if f'"{table}"' in query.split("(")[0]:
            yield method, rows


async def test_each_round_inserts_its_responses_in_one_statement(
    weekly: Roster, inserts: list[tuple[str, str, int]]
) -> None:
    await rounds.open_due_rounds(weekly.campaign, NOW, zone=ZONE)

    assert list(into("survey_round", inserts)) == [("execute_insert", 1)] * 4
    assert list(into("survey_response", inserts)) == [("execute_query", 1)] * 4
    for round_ in await Round.filter(campaign=weekly.campaign):
        assert await responding(round_) == sorted(weekly.expected)


# -- what the database refuses -------------------------------------------------------------


async def test_a_second_response_for_the_same_organisation_is_refused(
    weekly: Roster, world: World
) -> None:
    [round_] = await rounds.open_due_rounds(
        weekly.campaign, datetime(2020, 2, 11, tzinfo=ZONE), zone=ZONE
    )
    with pytest.raises(IntegrityError):
        await Response.create(round=round_, organisation=world.society_a)


async def test_a_second_response_for_the_same_person_is_refused(world: World) -> None:
    campaign = await make_campaign(world, Respondent.PERSON)
    [round_] = await rounds.open_due_rounds(campaign, datetime(2020, 2, 11, tzinfo=ZONE), zone=ZONE)
    await Response.create(round=round_, user=world.member_a)
    await Response.create(round=round_, user=world.secretary_a)  # another person: fine

    with pytest.raises(IntegrityError):
        await Response.create(round=round_, user=world.member_a)


async def test_a_round_number_is_refused_twice(weekly: Roster) -> None:
    [round_] = await rounds.open_due_rounds(
        weekly.campaign, datetime(2020, 2, 11, tzinfo=ZONE), zone=ZONE
    )
    with pytest.raises(IntegrityError):
        await Round.create(
            campaign=weekly.campaign,
            number=1,
            period_start=round_.period_start,
            period_end=round_.period_end,
            opens_at=round_.opens_at,
            due_at=round_.due_at,
        )
