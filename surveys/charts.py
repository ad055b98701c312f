"""Charts for the report pages, drawn on the server as SVG: no script, no CDN.

Each function takes plain figures and returns the <svg> markup to put inline in the
page. Every label is user text (organisation names, question labels, choice labels), so
every one is escaped; the site's CSP allows no style attributes, so shapes are coloured
with presentation attributes (fill=, stroke=) and sized by the stylesheet (.survey-chart).
The drawing is 360 units wide, so at a phone's 390 px one unit is about a pixel and the
12-unit text stays readable; on a wide screen the stylesheet caps its width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from intranet.i18n import gettext

Number = int | Decimal

WIDTH = 360
FONT = 13
BAR_ROW = 36  # a label line and a bar under it
BAR_HEIGHT = 12
LABEL_CHARS = 21  # a Chinese character is about one FONT wide; longer names are cut
BRAND = "#0b5cad"
INK = "#1f2933"
MUTED = "#5f6b76"
GRID = "#d9dee3"


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number


@dataclass(frozen=True)
class Point:
    label: str  # the x axis label, e.g. the round number
    value: Number | None  # None: no figure for that round, the line skips it


def format_number(value: Number | None) -> str:
    """A figure as the tables show it: integers plain, decimals without trailing zeros
    beyond two places; thousands are not grouped (the tables do not group them either)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(value.quantize(Decimal(1)))
        return f"{value.normalize():f}"
    return str(value)


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, one per label, the label above its bar and the value at its end.
    Horizontal because organisation names are long and a phone is narrow."""
    if not bars:
        return Markup("")
    low, high = _domain([b.value for b in bars])
    scale = _Scale(low, high, 0, WIDTH - 70)
    top = 8
    height = top + BAR_ROW * len(bars) + 4
    parts = [_open_svg(WIDTH, height, title)]
    zero = scale.at(0)
    for index, bar in enumerate(bars):
        y = top + index * BAR_ROW
        start, end = sorted((zero, scale.at(bar.value)))
        text = format_number(bar.value) + (f" {unit}" if unit else "")
        parts.append(
            f'<g class="survey-chart-bar"><title>{escape(bar.label)}: {escape(text)}</title>'
            f'<text x="0" y="{y + FONT}" font-size="{FONT}" fill="{INK}">'
            f"{escape(shorten(bar.label))}</text>"
            f'<rect x="{start:.1f}" y="{y + FONT + 4}" width="{max(end - start, 1):.1f}" '
            f'height="{BAR_HEIGHT}" fill="{BRAND}"/>'
            f'<text x="{end + 4:.1f}" y="{y + FONT + 4 + BAR_HEIGHT - 2}" font-size="{FONT - 1}" '
            f'fill="{MUTED}">{escape(text)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(points: Sequence[Point], *, title: str, x_label: str, y_label: str = "") -> Markup:
    """A line across the points left to right, with a labelled y axis (nice round ticks)
    and x axis; a point without a figure breaks the line there."""
    if not points:
        return Markup("")
    left, right, top, bottom = 56, WIDTH - 12, 24, 190
    height = bottom + 40
    values = [p.value for p in points if p.value is not None]
    low, high = _domain(values or [0])
    ticks = _ticks(low, high)
    y = _Scale(ticks[0], ticks[-1], bottom, top)
    step = (right - left) / max(len(points) - 1, 1)
    xs = [left + (i * step if len(points) > 1 else (right - left) / 2) for i in range(len(points))]
    parts = [_open_svg(WIDTH, height, title)]
    parts.extend(_y_axis(ticks, y, left, right))
    if y_label:
        parts.append(
            f'<text x="0" y="{top - 10}" font-size="{FONT - 1}" fill="{MUTED}">'
            f"{escape(y_label)}</text>"
        )
    parts.extend(_x_axis(points, xs, bottom))
    parts.append(
        f'<text x="{(left + right) / 2:.1f}" y="{height - 4}" font-size="{FONT - 1}" '
        f'fill="{MUTED}" text-anchor="middle">{escape(x_label)}</text>'
    )
    parts.extend(_line(points, xs, y))
    parts.append("</svg>")
    return Markup("".join(parts))


# -- drawing parts ---------------------------------------------------------------------------


def _open_svg(width: int, height: int, title: str) -> str:
    return (
        f'<svg class="survey-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )


def _y_axis(ticks: list[float], y: _Scale, left: float, right: float) -> list[str]:
    parts = []
    for tick in ticks:
        at = y.at(tick)
        parts.append(
            f'<line x1="{left}" y1="{at:.1f}" x2="{right}" y2="{at:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{at + 4:.1f}" font-size="{FONT - 1}" fill="{MUTED}" '
            f'text-anchor="end">{escape(_tick_text(tick))}</text>'
        )
    return parts


def _x_axis(points: Sequence[Point], xs: list[float], bottom: float) -> list[str]:
    # Every label while they fit (about one per 30 units), else every n-th and the last.
    every = max(1, math.ceil(len(points) * 30 / (WIDTH - 68)))
    parts = [
        f'<line x1="{xs[0]:.1f}" y1="{bottom}" x2="{xs[-1]:.1f}" y2="{bottom}" stroke="{INK}"/>'
    ]
    for index, (point, x) in enumerate(zip(points, xs, strict=True)):
        if index % every and index != len(points) - 1:
            continue
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 17}" font-size="{FONT - 1}" fill="{MUTED}" '
            f'text-anchor="middle">{escape(shorten(point.label, 8))}</text>'
        )
    return parts


def _line(points: Sequence[Point], xs: list[float], y: _Scale) -> list[str]:
    parts = []
    run: list[str] = []
    for point, x in zip(points, xs, strict=True):
        if point.value is None:
            parts.append(_polyline(run))
            run = []
            continue
        run.append(f"{x:.1f},{y.at(point.value):.1f}")
    parts.append(_polyline(run))
    for point, x in zip(points, xs, strict=True):
        if point.value is None:
            continue
        parts.append(
            f'<circle class="survey-chart-point" cx="{x:.1f}" cy="{y.at(point.value):.1f}" r="3.5" '
            f'fill="{BRAND}"><title>{escape(point.label)}: '
            f"{escape(format_number(point.value))}</title></circle>"
        )
    return parts


def _polyline(run: list[str]) -> str:
    if len(run) < 2:
        return ""
    return f'<polyline points="{" ".join(run)}" fill="none" stroke="{BRAND}" stroke-width="2"/>'


# -- scales ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    low: float
    high: float
    start: float
    end: float

    def at(self, value: Number | float) -> float:
        span = self.high - self.low or 1.0
        return self.start + (float(value) - self.low) / span * (self.end - self.start)


def _domain(values: Sequence[Number]) -> tuple[float, float]:
    """From zero (or the lowest negative figure) to the highest figure."""
    low = min(0.0, *(float(v) for v in values))
    high = max(0.0, *(float(v) for v in values))
    return low, high if high > low else low + 1


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering low..high."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def _tick_text(tick: float) -> str:
    # Grouped digits fit the axis up to seven places; beyond, 万 (ten thousands).
    if abs(tick) >= 10_000_000 and tick == int(tick):
        return gettext("%(num)s ten-thousand") % {"num": f"{tick / 10_000:g}"}
    if tick == int(tick):
        return f"{int(tick):,}"
    return f"{round(tick, 6):g}"
