"""The round report and the campaign trend pages: the figures, the filters, who sees
what, the charts and the downloads.

The campaign is the weekly report sent to society A, its branch and society B: staff
see every row and the 合计; society A's secretary sees A's and the branch's rows only,
with no figure mixing in B's; B's secretary sees nothing of a campaign B is not on.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from bs4 import BeautifulSoup, Tag

from surveys.models import Campaign, Round
from surveys.states import ResponseState
from tests.conftest import World
from tests.helpers import ok_soup
from tests.survey_helpers import make_campaign, open_round, weekly_answers

S = ResponseState


def report_path(round_: Round) -> str:
    return f"/reports/rounds/{round_.id}/totals"


def trend_path(campaign: Campaign) -> str:
    return f"/reports/campaigns/{campaign.id}/trend"


def row_names(page: BeautifulSoup) -> list[str]:
    return [
        th.get_text(strip=True) for th in page.select("table.survey-totals tbody th.survey-org")
    ]


def cell(page: BeautifulSoup, organisation_id: int, key: str) -> str:
    found = page.select_one(
        f'table.survey-totals tr[data-organisation="{organisation_id}"] td[data-key="{key}"]'
    )
    assert found is not None
    return found.get_text(strip=True)


def total(page: BeautifulSoup, key: str) -> str:
    found = page.select_one(f'table.survey-totals tr.survey-total td[data-key="{key}"]')
    assert found is not None
    return found.get_text(strip=True)


def figure(page: BeautifulSoup, name: str) -> str:
    found = page.select_one(f'[data-figure="{name}"]')
    assert isinstance(found, Tag)
    return found.get_text(" ", strip=True)


async def weekly_round(world: World, number: int = 1, **answers: Any) -> Round:
    campaign = await Campaign.get_or_none(title="周报测试")
    if campaign is None:
        roster = [world.society_a, world.branch_a, world.society_b]
        campaign = await make_campaign(world.association, roster, title="周报测试")
    return await open_round(campaign, number, **answers)


async def first_round(world: World) -> Round:
    """A approved (3 meetings), B submitted (4 meetings), the branch not started."""
    return await weekly_round(
        world,
        answers={
            world.society_a.id: weekly_answers(
                online_meetings=3,
                funds="1.5",
                channels=["wechat", "video"],
                difficulties="缺少经费",
            ),
            world.society_b.id: weekly_answers(
                online_meetings=4, funds="2.25", channels=["wechat"], duty_roster="no"
            ),
        },
        states={world.society_a.id: S.APPROVED, world.society_b.id: S.SUBMITTED},
    )


# -- the round report, as staff --------------------------------------------------------------


async def test_staff_see_every_row_and_the_total(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(report_path(round_)))

    assert row_names(page) == [
        "辽宁省计算机学会",
        "辽宁省计算机学会人工智能专业委员会",
        "辽宁省医学会",
    ]
    assert cell(page, world.society_a.id, "online_meetings") == "3"
    assert cell(page, world.society_b.id, "online_meetings") == "4"
    assert cell(page, world.branch_a.id, "online_meetings") == ""
    assert total(page, "online_meetings") == "7"
    assert total(page, "funds") == "3.75"
    assert cell(page, world.society_b.id, "duty_roster") == "否"
    assert figure(page, "roster") == "3"
    assert figure(page, "submitted") == "2"
    assert figure(page, "approved") == "1"
    assert "辽宁省计算机学会人工智能专业委员会" in figure(page, "not_submitted")
    [header] = page.select("table.survey-totals thead th[data-key=online_meetings]")
    assert "次" in header.get_text()


async def test_approved_only_leaves_out_the_submitted_rows(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(report_path(round_) + "?include=approved"))

    assert total(page, "online_meetings") == "3"
    assert cell(page, world.society_b.id, "online_meetings") == ""
    assert page.select_one("#field-include option[selected]")["value"] == "approved"  # type: ignore[index]
    assert len(row_names(page)) == 3  # every roster organisation still listed


async def test_a_filter_it_does_not_know_counts_submitted_and_approved(
    world: World, as_user
) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(report_path(round_) + "?include=%3Cx%3E"))

    assert total(page, "online_meetings") == "7"


async def test_subtotals_by_category_on_request(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        plain = ok_soup(await c.get(report_path(round_)))
        page = ok_soup(await c.get(report_path(round_) + "?subtotals=1"))

    assert not plain.select("tr.survey-subtotal")
    subtotals = {
        tr.th.get_text(strip=True): tr.select_one("td[data-key=online_meetings]").get_text(
            strip=True
        )  # type: ignore[union-attr]
        for tr in page.select("tr.survey-subtotal")
    }
    assert any("医药卫生类" in name and value == "4" for name, value in subtotals.items())
    # Society A has no category: it counts under "Uncategorised".
    assert sorted(subtotals.values()) == ["3", "4"]


async def test_charts_draw_a_bar_per_counted_organisation_and_per_choice(
    world: World, as_user
) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(report_path(round_)))

    charts = {
        f.figcaption.get_text(" ", strip=True): f for f in page.select("figure.survey-chart-card")
    }  # type: ignore[union-attr]
    meetings = charts["召开线上会议"]
    assert len(meetings.select("svg rect")) == 2  # A and B counted, the branch not
    channels = charts["主要工作渠道"]
    labels = [t.get_text() for t in channels.select("svg text")]
    assert "微信公众号" in labels and "2" in labels  # chosen by both
    assert len(channels.select("svg rect")) == 5  # one bar per choice
    assert not page.select("svg [style]")  # the CSP allows no style attributes


async def test_text_answers_are_listed_with_their_organisation(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(report_path(round_)))

    listed = [
        (dt.get_text(), dt.find_next_sibling("dd").get_text())
        for dt in page.select(".survey-texts dt")
    ]  # type: ignore[union-attr]
    assert ("辽宁省计算机学会", "缺少经费") in listed


async def test_hostile_names_are_shown_as_text(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    world.society_b.name = '<script>alert("x")</script>'
    await world.society_b.save()
    round_ = await first_round(world)

    async with as_user("staff") as c:
        response = await c.get(report_path(round_))

    assert "<script>alert" not in response.text
    assert '<script>alert("x")</script>' in row_names(ok_soup(response))


async def test_a_round_nobody_answered(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await weekly_round(world)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(report_path(round_)))

    assert figure(page, "submitted") == "0"
    assert len(row_names(page)) == 3
    assert not page.select("figure.survey-chart-card")


# -- who sees what ---------------------------------------------------------------------------


async def test_a_secretary_sees_only_their_own_rows(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("sec_a") as c:
        page = ok_soup(await c.get(report_path(round_)))

    assert row_names(page) == ["辽宁省计算机学会", "辽宁省计算机学会人工智能专业委员会"]
    assert not page.select("tr.survey-total, tr.survey-subtotal")
    assert "辽宁省医学会" not in page.get_text()
    assert figure(page, "roster") == "2"
    assert figure(page, "submitted") == "1"
    meetings = [
        f for f in page.select("figure.survey-chart-card") if "召开线上会议" in f.get_text()
    ]
    assert len(meetings[0].select("svg rect")) == 1
    assert not page.select('input[name="subtotals"]')


async def test_a_secretarys_subtotals_request_is_ignored(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("sec_a") as c:
        page = ok_soup(await c.get(report_path(round_) + "?subtotals=1"))

    assert not page.select("tr.survey-subtotal")
    assert "4" not in [
        td.get_text(strip=True) for td in page.select("td[data-key=online_meetings]")
    ]


@pytest.mark.parametrize("username", ["sec_b", "member_a", "outsider"])
async def test_others_get_404_on_a_campaign_they_are_not_on(
    world: World, as_user, username: str
) -> None:  # type: ignore[no-untyped-def]
    campaign = await make_campaign(world.association, [world.society_a, world.branch_a])
    round_ = await open_round(campaign)

    async with as_user(username) as c:
        for path in (
            report_path(round_),
            report_path(round_) + ".xlsx",
            report_path(round_) + ".csv",
            trend_path(campaign),
            trend_path(campaign) + ".xlsx",
        ):
            assert (await c.get(path)).status_code == 404, path


async def test_a_missing_round_is_404(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    async with as_user("staff") as c:
        assert (await c.get("/reports/rounds/999999/totals")).status_code == 404
        assert (await c.get("/reports/campaigns/999999/trend")).status_code == 404


async def test_signed_out_people_are_sent_to_sign_in(
    world: World, client: httpx.AsyncClient
) -> None:
    round_ = await first_round(world)

    response = await client.get(report_path(round_))

    assert response.status_code == 303
    assert "/login" in response.headers["location"]


# -- the campaign trend ----------------------------------------------------------------------


async def three_rounds(world: World) -> Campaign:
    a, b = world.society_a.id, world.society_b.id
    for number, (mine, theirs) in enumerate([(2, 3), (4, 6), (1, 1)], start=1):
        await weekly_round(
            world,
            number,
            answers={
                a: weekly_answers(online_meetings=mine),
                b: weekly_answers(online_meetings=theirs),
            },
            states={a: S.APPROVED, b: S.SUBMITTED},
        )
    return await Campaign.get(title="周报测试")


def trend_rows(page: BeautifulSoup, key: str) -> list[list[str]]:
    section = page.select_one(f'section.survey-trend[data-key="{key}"]')
    assert section is not None
    return [
        [td.get_text(strip=True) for td in tr.select("td")] for tr in section.select("tbody tr")
    ]


async def test_the_trend_shows_each_round_cumulative_and_change(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    campaign = await three_rounds(world)

    async with as_user("staff") as c:
        # Every round is still open before its deadline with 2 of 3 reported: marked in
        # progress and left out of 环比 unless asked for.
        page = ok_soup(await c.get(trend_path(campaign) + "?open=1"))
        plain = ok_soup(await c.get(trend_path(campaign)))

    rows = trend_rows(page, "online_meetings")
    assert [r[1:3] for r in rows] == [["5", "5"], ["10", "15"], ["2", "17"]]
    assert [r[3] for r in rows] == ["", "+100.0%", "-80.0%"]
    assert [r[3] for r in trend_rows(plain, "online_meetings")] == ["—", "—", "—"]
    marks = plain.select('section.survey-trend[data-key="online_meetings"] .survey-in-progress')
    assert [m.get_text() for m in marks] == ["进行中（已报 2/3）"] * 6  # two per round
    section = page.select_one('section.survey-trend[data-key="online_meetings"]')
    assert len(section.select("svg circle")) == 3  # type: ignore[union-attr]
    assert len(section.select("svg polyline")) == 1  # type: ignore[union-attr]
    keys = [s["data-key"] for s in page.select("section.survey-trend")]
    assert "funds" in keys and "channels" not in keys  # numbers only


async def test_the_trend_filters_approved_only(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    campaign = await three_rounds(world)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(trend_path(campaign) + "?include=approved"))

    assert [r[1] for r in trend_rows(page, "online_meetings")] == ["2", "4", "1"]


async def test_a_secretarys_trend_is_their_own_figures(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    campaign = await three_rounds(world)

    async with as_user("sec_a") as c:
        page = ok_soup(await c.get(trend_path(campaign)))

    assert [r[1:3] for r in trend_rows(page, "online_meetings")] == [
        ["2", "2"],
        ["4", "6"],
        ["1", "7"],
    ]
    assert "辽宁省医学会" not in page.get_text()


async def test_the_campaign_and_tracker_pages_link_to_the_reports(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)
    campaign_id = round_.campaign_id

    async with as_user("staff") as c:
        campaign_page = ok_soup(await c.get(f"/reports/campaigns/{campaign_id}"))
        tracker = ok_soup(await c.get(f"/reports/rounds/{round_.id}"))

    assert campaign_page.select_one(f'a[href="/reports/campaigns/{campaign_id}/trend"]')
    assert campaign_page.select_one(f'a[href="{report_path(round_)}"]')
    assert tracker.select_one(f'a[href="{report_path(round_)}"]')


async def test_a_secretarys_reports_list_links_to_the_totals(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("sec_a") as c:
        page = ok_soup(await c.get("/reports"))

    assert page.select_one(f'a[href="{report_path(round_)}"]')


# -- downloads -------------------------------------------------------------------------------


def workbook(response: httpx.Response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-disposition"].startswith("attachment;")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def cells(book: openpyxl.Workbook) -> list[Any]:
    return [
        c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
    ]


async def test_staff_download_the_round_workbook(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        response = await c.get(report_path(round_) + ".xlsx")

    book = workbook(response)
    assert ".xlsx" in response.headers["content-disposition"]
    assert "辽宁省医学会" in cells(book)
    assert 7 in cells(book) or Decimal(7) in cells(book)


async def test_the_round_csv_is_an_attachment_with_a_bom(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("staff") as c:
        response = await c.get(report_path(round_) + ".csv?include=approved")

    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ".csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "辽宁省计算机学会" in text and "辽宁省医学会" in text


async def test_staff_download_the_campaign_workbook(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    campaign = await three_rounds(world)

    async with as_user("staff") as c:
        book = workbook(await c.get(trend_path(campaign) + ".xlsx"))

    assert 17 in cells(book) or Decimal(17) in cells(book)  # the cumulative meetings


async def test_a_secretarys_downloads_hold_only_their_rows(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("sec_a") as c:
        book = workbook(await c.get(report_path(round_) + ".xlsx"))
        csv = await c.get(report_path(round_) + ".csv")

    assert "辽宁省计算机学会" in cells(book)
    assert not any("辽宁省医学会" in str(v) for v in cells(book) if v)
    assert "辽宁省医学会" not in csv.content.decode("utf-8-sig")


async def test_a_per_person_campaign_still_reports(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from surveys.examples import weekly_progress_form
    from surveys.schema import Respondent

    form = replace(weekly_progress_form(), respondent=Respondent.PERSON)
    campaign = await make_campaign(world.association, [], form, title="个人填报")
    round_ = await open_round(campaign)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(report_path(round_)))
        assert (await c.get(trend_path(campaign))).status_code == 200

    assert figure(page, "roster") == "0"


async def test_a_secretary_may_download_their_own_rows_from_the_pages(
    world: World, as_user
) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)

    async with as_user("sec_a") as c:
        page = ok_soup(await c.get(report_path(round_)))

    assert page.select_one(f'a[href^="{report_path(round_)}.xlsx"]')
    assert page.select_one(f'a[href^="{report_path(round_)}.csv"]')
    assert not page.select_one('a[href*="subtotals"]')


async def test_the_page_follows_every_change_of_the_answers(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    from surveys.models import Response

    round_ = await first_round(world)
    async with as_user("staff") as c:
        before = ok_soup(await c.get(report_path(round_)))
        assert total(before, "online_meetings") == "7"
        # A reviewer returns B's report: it no longer counts.
        b = await Response.get(round=round_, organisation=world.society_b)
        await Response.filter(id=b.id).update(state=S.RETURNED, version=b.version + 1)
        after = ok_soup(await c.get(report_path(round_)))
    assert total(after, "online_meetings") == "3"
    assert cell(after, world.society_b.id, "online_meetings") == ""


async def test_a_secretary_never_gets_the_staffs_page(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    round_ = await first_round(world)
    async with as_user("staff") as c:
        assert len(row_names(ok_soup(await c.get(report_path(round_))))) == 3
    async with as_user("sec_b") as c:
        page = ok_soup(await c.get(report_path(round_)))
    assert row_names(page) == ["辽宁省医学会"]
