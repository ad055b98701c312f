"""Autosave answers byte for byte as recorded: every kind of answer the route gives
(a save, a repeat, a conflict and keeping one's own version, refused values with their
Chinese messages, table rows, multiple choice, refusals to reviewers, outsiders, read-only
responses and closed rounds) and the rows it leaves (answers, version, state, history,
events) are compared with the files in tests/fixtures/autosave/.

The files were written by the code before the autosave path was hand-written in SQL; a
change to what a save answers or stores fails here. Per-request values are normalised
first: clock times (HH:MM) and the response's id. After a deliberate change of output,
write them again and review the diff:

    HUIBAO_WRITE_GOLDEN=1 .venv/bin/python -m pytest -q tests/surveys/test_autosave_golden.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
from tortoise import connections, timezone

from surveys.answering import form_of, save_answers
from surveys.models import AnswerChange, Response, ResponseEvent, Round
from surveys.states import ResponseState
from tests.conftest import World, csrf_token
from tests.survey_helpers import make_campaign, open_round, response_of

GOLDEN = Path(__file__).parent.parent / "fixtures" / "autosave"
WRITE = os.environ.get("HUIBAO_WRITE_GOLDEN") == "1"
# Headers a save's answer may carry; the rest (cookies, dates, lengths) vary per request.
HEADERS = ("content-type", "x-response-version", "hx-trigger", "hx-reswap", "hx-retarget")
CLOCK = re.compile(r"\b\d\d:\d\d\b")


def normalised(text: str, response_id: int) -> str:
    text = text.replace(f"/reports/responses/{response_id}/", "/reports/responses/ID/")
    return CLOCK.sub("HH:MM", text)


def recorded(reply: httpx.Response, response_id: int) -> str:
    lines = [f"status: {reply.status_code}"]
    lines += [f"{name}: {reply.headers[name]}" for name in HEADERS if name in reply.headers]
    return "\n".join(lines) + "\n\n" + normalised(reply.text, response_id)


def compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if WRITE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from the recorded answer"


async def save(
    c: httpx.AsyncClient,
    token: str,
    response_id: int,
    key: str,
    values: list[str] | None,
    base: list[str] | None = None,
) -> httpx.Response:
    data: dict[str, Any] = {"version": "0"}
    if values is not None:
        data["value"] = values
    if base is not None:
        data["base"] = base
    return await c.post(
        f"/reports/responses/{response_id}/answers/{key}",
        data=data,
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )


async def stored_rows(response_id: int) -> dict[str, Any]:
    response = await Response.get(id=response_id)
    changes = await AnswerChange.filter(response_id=response_id).order_by("id")
    events = await ResponseEvent.filter(response_id=response_id).order_by("id")
    users = {
        c.actor_id: (await c.actor).username  # type: ignore[attr-defined, union-attr]
        for c in [*changes, *events]
        if c.actor_id is not None  # type: ignore[attr-defined]
    }
    return {
        "answers": response.answers,
        "version": response.version,
        "state": str(response.state),
        "history": [
            {
                "key": c.question_key,
                "old": c.old_value,
                "new": c.new_value,
                "by": users.get(c.actor_id),  # type: ignore[attr-defined]
                "at_save": c.created_at == response.updated_at or None,
            }
            for c in changes
        ],
        "events": [
            {
                "action": str(e.action),
                "from": str(e.from_state),
                "to": str(e.to_state),
                "by": users.get(e.actor_id),  # type: ignore[attr-defined]
            }
            for e in events
        ],
    }


async def stored_text(response_id: int) -> str:
    """The SQLite columns' text as written (digits of times as 9): how each value is
    encoded, which the models' reading hides. PostgreSQL's columns are typed instead."""
    connection = connections.get("default")
    response = await connection.execute_query_dict(
        'SELECT "answers", "version", "state", "updated_at" FROM "survey_response" WHERE "id" = ?',
        [response_id],
    )
    changes = await connection.execute_query_dict(
        'SELECT "question_key", "old_value", "new_value", "created_at", "actor_id" '
        'FROM "survey_answer_change" WHERE "response_id" = ? ORDER BY "id"',
        [response_id],
    )
    rows = [*response, *changes]
    text = json.dumps(rows, ensure_ascii=False, indent=1)
    return re.sub(r"\d\d\d\d-\d\d-\d\d[ T][\d:.+-]+", lambda m: re.sub(r"\d", "9", m[0]), text)


EXPERTS = json.dumps(
    [{"name": "王教授", "employer": "东北大学"}, {"name": "赵思源"}], ensure_ascii=False
)
TOO_LONG = json.dumps([{"name": "张" * 21, "employer": "东北大学"}], ensure_ascii=False)


async def test_autosave_answers_and_stores_as_recorded(world: World, as_user) -> None:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(campaign)
    rid = (await response_of(round_, world.society_a)).id
    page = f"/reports/responses/{rid}"
    steps: list[tuple[str, httpx.Response]] = []
    async with as_user("sec_a") as one, as_user("sec_a") as two:
        t1, t2 = await csrf_token(one, page), await csrf_token(two, page)
        steps += [
            ("01-save", await save(one, t1, rid, "online_meetings", [" 12 "], [""])),
            ("02-repeat", await save(one, t1, rid, "online_meetings", ["12"], [""])),
            ("03-conflict", await save(two, t2, rid, "online_meetings", ["5"], [""])),
            ("04-keep-mine", await save(two, t2, rid, "online_meetings", ["5"], ["12"])),
            ("05-negative", await save(one, t1, rid, "online_meetings", ["-3"], ["5"])),
            ("06-not-a-number", await save(one, t1, rid, "online_meetings", ["十二"], ["5"])),
            ("07-bad-base", await save(one, t1, rid, "online_meetings", ["6"], ["x"])),
            ("08-no-value", await save(one, t1, rid, "online_meetings", None, ["5"])),
            ("09-unknown-key", await save(one, t1, rid, "no_such_question", ["1"], [""])),
            ("10-table-rows", await save(one, t1, rid, "experts", [EXPERTS], [""])),
            ("11-table-too-long", await save(one, t1, rid, "experts", [TOO_LONG], [EXPERTS])),
            ("12-choices", await save(one, t1, rid, "channels", ["wechat", "video"], [])),
            ("13-choices-cleared", await save(one, t1, rid, "channels", None, ["wechat", "video"])),
            ("14-decimal", await save(one, t1, rid, "funds", ["12.50"], [""])),
            ("15-cleared", await save(one, t1, rid, "funds", [""], ["12.5"])),
            ("16-yes-no", await save(one, t1, rid, "duty_roster", ["yes"], [""])),
        ]
    for username in ("staff", "sec_b", "member_a"):
        async with as_user(username) as c:
            token = await csrf_token(c, "/profile")
            steps.append((f"17-{username}", await save(c, token, rid, "online_meetings", ["7"])))
    await Response.filter(id=rid).update(state=ResponseState.SUBMITTED)
    async with as_user("sec_a") as c:
        token = await csrf_token(c, "/profile")
        steps.append(("18-submitted", await save(c, token, rid, "online_meetings", ["8"], ["5"])))
        await Response.filter(id=rid).update(state=ResponseState.RETURNED)
        steps.append(("19-returned", await save(c, token, rid, "online_meetings", ["8"], ["5"])))
        await Round.filter(id=round_.id).update(closed_at=timezone.now())
        # A returned report may still be corrected once its round is closed; a draft not.
        steps.append(
            ("20-returned-closed", await save(c, token, rid, "online_meetings", ["9"], ["8"]))
        )
        await Response.filter(id=rid).update(state=ResponseState.DRAFT)
        steps.append(
            ("21-draft-closed", await save(c, token, rid, "online_meetings", ["10"], ["9"]))
        )
    for name, reply in steps:
        compare(f"{name}.txt", recorded(reply, rid))
    rows = json.dumps(await stored_rows(rid), ensure_ascii=False, indent=1, sort_keys=True)
    compare("stored.json", rows + "\n")
    if connections.get("default").capabilities.dialect == "sqlite":
        compare("stored-sqlite.json", await stored_text(rid) + "\n")


async def test_a_save_over_a_response_moved_on_meanwhile_keeps_both(world: World) -> None:
    """The page's response was read before another tab saved another field: the
    conditional UPDATE misses, the stored answers are read again and the save lands on
    them, with one history row and the version counted on from the stored one."""
    campaign = await make_campaign(world.association, [world.society_a])
    round_ = await open_round(campaign, states={world.society_a.id: ResponseState.DRAFT})
    response = await response_of(round_, world.society_a)
    await Response.filter(id=response.id).update(answers={"members_reached": 40}, version=5)
    saved = await save_answers(
        response,
        {"online_meetings": 3},
        {"online_meetings": None},
        form=form_of(response),
        user=world.secretary_a,
        now=timezone.now(),
    )
    assert saved.changed == ["online_meetings"]
    stored = await Response.get(id=response.id)
    assert stored.answers == {"members_reached": 40, "online_meetings": 3}
    assert stored.version == 6 and response.version == 6
    changes = await AnswerChange.filter(response_id=response.id)
    assert [(c.question_key, c.old_value, c.new_value) for c in changes] == [
        ("online_meetings", None, 3)
    ]


async def test_a_save_of_many_answers_writes_their_history_in_order(world: World) -> None:
    campaign = await make_campaign(world.association, [world.society_a])
    round_ = await open_round(campaign, states={world.society_a.id: ResponseState.DRAFT})
    response = await response_of(round_, world.society_a)
    values = {"science_reach": 7, "online_meetings": 3, "duty_roster": "yes", "funds": "2.5"}
    await save_answers(
        response,
        values,
        dict.fromkeys(values),
        form=form_of(response),
        user=world.secretary_a,
        now=timezone.now(),
    )
    changes = await AnswerChange.filter(response_id=response.id).order_by("id")
    assert [(c.question_key, c.new_value, c.actor_id) for c in changes] == [  # type: ignore[attr-defined]
        (key, value, world.secretary_a.id) for key, value in values.items()
    ]
    assert (await Response.get(id=response.id)).answers == values
