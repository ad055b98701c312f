"""The report pages' SVG charts: well-formed, escaped, one mark per figure, no style."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree

import pytest

from surveys.charts import Bar, Point, bar_chart, format_number, line_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>\' onload="alert(1)'


def parsed(markup: str) -> ElementTree.Element:
    """The chart as XML: raises if any label broke out of its element or attribute."""
    return ElementTree.fromstring(str(markup))


def test_it_draws_one_bar_per_figure_with_its_value() -> None:
    bars = [Bar("甲学会", 3), Bar("乙学会", 10), Bar("丙学会", Decimal("2.5"))]

    svg = parsed(bar_chart(bars, title="召开线上会议", unit="次"))

    rects = svg.findall(f".//{SVG}rect")
    assert len(rects) == 3
    widths = [float(r.get("width", 0)) for r in rects]
    assert widths[1] > widths[0] > widths[2] > 0
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "甲学会" in texts and "10 次" in texts and "2.5 次" in texts
    assert svg.get("aria-label") == "召开线上会议"


def test_it_escapes_hostile_labels_in_bars() -> None:
    markup = str(bar_chart([Bar(HOSTILE, 1)], title=HOSTILE, unit=HOSTILE))

    assert "<script" not in markup
    svg = parsed(markup)  # still one well-formed document
    assert svg.get("aria-label") == HOSTILE
    assert svg.get("onload") is None
    assert all(not list(e.attrib.keys() & {"onload", "style"}) for e in svg.iter())


def test_it_escapes_hostile_labels_in_lines() -> None:
    points = [Point(HOSTILE, 1), Point("#2", 2)]

    markup = str(line_chart(points, title=HOSTILE, x_label=HOSTILE, y_label=HOSTILE))

    assert "<script" not in markup
    svg = parsed(markup)
    assert svg.find(f"{SVG}title").text == HOSTILE  # type: ignore[union-attr]
    assert not any("style" in e.attrib or "onload" in e.attrib for e in svg.iter())


def test_it_draws_one_point_per_round_joined_by_a_line() -> None:
    points = [Point(f"#{n}", v) for n, v in enumerate([5, 8, 3, 12, 0, 7], start=1)]

    svg = parsed(line_chart(points, title="t", x_label="轮次", y_label="次"))

    circles = svg.findall(f".//{SVG}circle")
    assert len(circles) == 6
    [line] = svg.findall(f".//{SVG}polyline")
    assert len(line.get("points", "").split()) == 6
    heights = [float(c.get("cy", 0)) for c in circles]
    assert heights[3] == min(heights)  # 12 is highest on the page (smallest y)
    assert heights[4] == max(heights)  # 0 lowest
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "轮次" in texts and "次" in texts


def test_a_round_without_figures_breaks_the_line() -> None:
    points = [Point("#1", 1), Point("#2", 2), Point("#3", None), Point("#4", 4), Point("#5", 5)]

    svg = parsed(line_chart(points, title="t", x_label="x"))

    assert len(svg.findall(f".//{SVG}circle")) == 4
    assert len(svg.findall(f".//{SVG}polyline")) == 2


def test_the_y_axis_has_round_ticks_covering_the_figures() -> None:
    svg = parsed(line_chart([Point("#1", 0), Point("#2", 1234)], title="t", x_label="x"))

    ticks = [
        float((t.text or "").replace(",", ""))
        for t in svg.iter(f"{SVG}text")
        if t.get("text-anchor") == "end"  # the y axis labels
    ]
    assert ticks[0] == 0
    assert ticks[-1] >= 1234
    assert all(t % 100 == 0 for t in ticks)


def test_many_rounds_thin_out_the_x_labels_but_keep_the_last() -> None:
    points = [Point(f"#{n}", n) for n in range(1, 53)]

    svg = parsed(line_chart(points, title="t", x_label="x"))

    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert "#52" in labels
    assert len(labels) < 20
    assert len(svg.findall(f".//{SVG}circle")) == 52


def test_negative_figures_draw_left_of_zero() -> None:
    svg = parsed(bar_chart([Bar("a", -5), Bar("b", 5)], title="t"))

    first, second = svg.findall(f".//{SVG}rect")
    assert float(first.get("x", 0)) < float(second.get("x", 0))
    assert float(first.get("x", 0)) + float(first.get("width", 0)) == pytest.approx(
        float(second.get("x", 0)), abs=0.2
    )


def test_nothing_to_draw_is_no_chart() -> None:
    assert str(bar_chart([], title="t")) == ""
    assert str(line_chart([], title="t", x_label="x")) == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [(3, "3"), (Decimal("2.50"), "2.5"), (Decimal("100.00"), "100"), (None, "")],
)
def test_figures_are_shown_without_trailing_zeros(value: int | Decimal | None, shown: str) -> None:
    assert format_number(value) == shown


def test_long_names_are_cut_but_kept_whole_in_the_tooltip() -> None:
    name = "辽宁省" * 20

    svg = parsed(bar_chart([Bar(name, 1)], title="t"))

    shown = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert any(s.endswith("…") and len(s) < len(name) for s in shown)
    assert any(name in (t.text or "") for t in svg.iter(f"{SVG}title"))
