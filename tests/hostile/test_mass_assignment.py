"""The main edit forms take only the fields they offer.

Each form is read from its page as a browser would submit it (BeautifulSoup: the values
it shows, one field changed), and posted again with every column of the edited row
that the form does not offer, plus the usual forged names (is_admin, organisation_id,
created_by_id ...), set to what an attacker would want: society B's ids, approved,
huge version numbers. The save succeeds; in the edited row only columns the form offers
change, and the few each save derives from them (DERIVED); no other row of that table
changes, and no other table but those the save keeps in step (SIDE_TABLES).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from tortoise import connections

from surveys.models import FormVersion
from tests.conftest import World
from tests.hostile.routes import (
    changed_tables,
    route_of,
    signed_in,
    snapshot,
    targets,
    token_of,
)

FORGED = [
    "id",
    "is_admin",
    "is_staff",
    "is_active",
    "role",
    "organisation",
    "organisation_id",
    "owner",
    "owner_id",
    "issuer",
    "issuer_id",
    "organiser_id",
    "created_by_id",
    "author_id",
    "user_id",
    "state",
    "version",
    "password_hash",
    "username",
]
# Written by every save, whatever was changed.
ALWAYS = {"updated_at", "audit_event"}


@dataclass(frozen=True)
class Case:
    who: str
    page: str  # with {param} from hostile.routes.targets
    table: str
    row: str  # the targets() key (or "staff") whose row is edited
    change: tuple[str, str]  # an offered field and a new value for it
    # Columns the save derives from the offered fields (and field → column names).
    derived: frozenset[str] = frozenset()
    columns: dict[str, str] = field(default_factory=dict)
    side_tables: frozenset[str] = frozenset()


CASES = {
    "profile": Case("staff", "/profile", "user", "staff", ("display_name", "新名字")),
    "person edited by an admin": Case(
        "admin", "/admin/people/{person_id}", "user", "person_id", ("title", "副秘书长")
    ),
    "organisation": Case(
        "admin",
        "/admin/organisations/{organisation_id}/edit",
        "organisation",
        "organisation_id",
        ("short_name", "计算机学会（改）"),
        side_tables=frozenset({"organisation_category"}),
    ),
    "notice": Case(
        "staff",
        "/notices/{notice_id}/edit",
        "notice",
        "notice_id",
        ("title", "关于开展网上值班工作的补充通知"),
        # A published notice's edit keeps the previous text as a version and counts it;
        # the search text follows the title.
        derived=frozenset({"search_text", "version"}),
        columns={"category": "category_id"},
        side_tables=frozenset({"notice_version", "notice_addressee", "notice_audience"}),
    ),
    "campaign": Case(
        "staff",
        "/reports/campaigns/{campaign_id}/edit",
        "survey_campaign",
        "campaign_id",
        ("title", "疫情防控工作进展周报（第二季度）"),
        columns={"organisations": "roster_organisations", "categories": "roster_categories"},
    ),
    "response answers": Case(
        "sec_a",
        "/reports/responses/{response_id}",
        "survey_response",
        "response_id",
        ("q.online_meetings", "7"),
        # The first save makes a draft of a response not started (`version`, the stale-save
        # check, is offered as a hidden field and counts up).
        derived=frozenset({"state"}),
        columns={"q.online_meetings": "answers"},
        side_tables=frozenset({"survey_answer_change", "survey_response_event"}),
    ),
    "form builder settings": Case(
        "staff",
        "/reports/forms/{form_id}",
        "survey_form",
        "form_id",
        ("title", "疫情防控工作进展周报（修订）"),
        # The frozen version in use is never changed: the edit makes the next version.
        side_tables=frozenset({"survey_form_version"}),
    ),
}


def submission(form: Any) -> list[tuple[str, str]]:
    """What a browser sends for `form` as it stands."""
    sent: list[tuple[str, str]] = []
    for element in form.select("input[name], select[name], textarea[name]"):
        name = element["name"]
        if element.name == "textarea":
            sent.append((name, element.text))
        elif element.name == "select":
            chosen = element.select("option[selected]") or element.select("option")[:1]
            if element.has_attr("multiple"):
                chosen = element.select("option[selected]")
            sent.extend((name, option.get("value", option.text)) for option in chosen)
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                sent.append((name, element.get("value", "on")))
        elif element.get("type") not in ("submit", "button", "file", "image", "reset"):
            sent.append((name, element.get("value", "")))
    return sent


def forged_value(column: str, current: Any, world: World) -> str:
    """What an attacker would put in `column`, in a form the view would accept."""
    b = str(world.society_b.id)
    if column == "id" or column.endswith("_id") or column in ("organisation", "owner", "issuer"):
        return b
    if column == "state":
        return "approved"
    if column == "role":
        return "admin"
    if isinstance(current, bool) or column.startswith(("is_", "has_")):
        return "1"
    if isinstance(current, int | Decimal):
        return "999"
    if isinstance(current, date) or column.endswith(("_on", "_at")):
        return "2031-12-31"
    if isinstance(current, list | dict) or (isinstance(current, str) and current[:1] in "[{"):
        return json.dumps([world.society_b.id])
    return "被篡改"


async def row_of(table: str, row_id: int) -> dict[str, Any]:
    rows = await connections.get("default").execute_query_dict(
        f'SELECT * FROM "{table}" WHERE id = $1'
        if connections.get("default").capabilities.dialect == "postgres"
        else f'SELECT * FROM "{table}" WHERE id = ?',
        [row_id],
    )
    return rows[0]


@pytest.mark.parametrize("case_name", sorted(CASES))
async def test_fields_the_form_does_not_offer_change_nothing(
    app: Any, world: World, case_name: str
) -> None:
    case = CASES[case_name]
    found = await targets(app, world)
    row_id = world.staff.id if case.row == "staff" else found[case.row]
    page = case.page.format(**found)
    client = await signed_in(app, case.who)
    try:
        html = (await client.get(page)).text
        field, new_value = case.change
        forms = [
            f
            for f in BeautifulSoup(html, "html.parser").select("form")
            if (f.get("method") or "").lower() == "post" and f.select_one(f'[name="{field}"]')
        ]
        assert forms, f"{page} offers no form with {field}"
        form = forms[0]
        action = form.get("action") or page
        sent = [(n, v) for n, v in submission(form) if n != field] + [(field, new_value)]
        offered = {e["name"] for e in form.select("input[name], select[name], textarea[name]")}
        offered_columns = offered | {case.columns.get(n, n) for n in offered}
        before_row = await row_of(case.table, row_id)
        forged = {
            name: forged_value(name, before_row.get(name), world)
            for name in {*FORGED, *before_row}
            if name not in offered
        }
        before = await snapshot()
        body = [*sent, *forged.items()]
        response = await client.post(action, data=_as_dict(body, await token_of(client)))
        problems = [
            p.get_text(" ", strip=True)
            for p in BeautifulSoup(response.text, "html.parser").select(".error-summary, .error")
        ]
        assert response.status_code in (200, 303), (route_of(app, action), problems, sent)
        after_row = await row_of(case.table, row_id)
        changed = {c for c in before_row if before_row[c] != after_row[c]}
        assert case.columns.get(field, field) in changed, f"the change to {field} was not saved"
        beyond = changed - offered_columns - case.derived - ALWAYS
        assert beyond == set(), f"{case_name}: {sorted(beyond)} changed"
        adopted = {c for c in changed if c in forged and str(after_row[c]) == forged[c]}
        assert adopted == set(), f"{case_name}: took {sorted(adopted)} from the forged fields"
        others = set(changed_tables(before, await snapshot())) - {case.table}
        assert others - case.side_tables - ALWAYS == set()
        assert await other_rows(case.table, row_id, before) == await other_rows(
            case.table, row_id, await snapshot()
        )
    finally:
        await client.aclose()


def _as_dict(body: list[tuple[str, str]], token: str) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {"csrf_token": [token]}
    for name, value in body:
        data.setdefault(name, []).append(value)
    return data


async def other_rows(table: str, row_id: int, taken: Any) -> list[tuple[str, ...]]:
    return [row for row in taken[table][1] if f"id={row_id!r}" not in row]


async def test_a_question_edit_takes_only_the_fields_the_builder_offers(
    app: Any, world: World
) -> None:
    """The builder's question form, sent back with one label changed and every other key
    of a question forged (columns, choices, another type's settings...): the next version
    of the form differs from the last in that label alone."""
    found = await targets(app, world)
    page = f"/reports/forms/{found['form_id']}"
    client = await signed_in(app, "staff")
    try:
        soup = BeautifulSoup((await client.get(page)).text, "html.parser")
        form = next(
            f
            for f in soup.select("form")
            if str(f.get("action", "")).endswith("/questions/online_meetings/edit")
        )
        offered = {e["name"] for e in form.select("input[name], select[name], textarea[name]")}
        sent = [(n, v) for n, v in submission(form) if n != "label"] + [("label", "线上会议场次")]
        forged = {
            "columns": json.dumps([{"key": "x", "type": "integer", "label": "被篡改"}]),
            "choices": "被篡改",
            "visible_if": "1",
            "respondent": "person",
            "sections": "[]",
            "title": "被篡改",
            "form_id": str(world.society_b.id),
            "number": "1",
        }
        forged = {name: value for name, value in forged.items() if name not in offered}
        latest = await FormVersion.filter(form_id=found["form_id"]).order_by("-number").first()
        assert latest is not None
        before = latest.definition
        response = await client.post(
            str(form["action"]), data=_as_dict([*sent, *forged.items()], await token_of(client))
        )
        assert response.status_code in (200, 303), response.text[:500]
        now = await FormVersion.filter(form_id=found["form_id"]).order_by("-number").first()
        assert now is not None and now.form_id == found["form_id"]
        after = now.definition
        assert after != before, "the label was not saved"
        expected = json.loads(json.dumps(before))
        for section in expected["sections"]:
            for question in section["questions"]:
                if question["key"] == "online_meetings":
                    question["label"] = "线上会议场次"
        assert after == expected
    finally:
        await client.aclose()
