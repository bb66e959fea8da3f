"""Trajectory charts: one instrument's scores over time as a self-contained, accessible SVG.

One renderer for the progress page (inline SVG) and the progress report PDF (WeasyPrint draws the same SVG).
The SVG is written by hand rather than with matplotlib (as ``ketaflow/treatment/charts.py`` does) so that every
element can carry what people and tests read: ``<title>``/``<desc>`` for screen readers, one ``<circle>`` per
score with ``data-score`` and ``data-date``, one infusion tick per session with ``data-kind="infusion"``, and
threshold lines with ``data-kind``. Colours are SVG presentation attributes, never ``style``, so the strict CSP
allows the SVG inline. Input is plain data (``TrajectoryChart``); nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

WIDTH = 760
HEIGHT = 300
LEFT = 46
RIGHT = 16
TOP = 40
BOTTOM = 34
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM

PHASE_FILL = {"induction": "#dcebf7", "maintenance": "#e3f1dc", "follow_up": "#eeeeee"}
PHASE_LABEL = {"induction": "Induction", "maintenance": "Maintenance", "follow_up": "Follow-up"}
LINE_STYLE = {
    # kind: (stroke, dash pattern, legend label)
    "baseline": ("#555555", "", "Baseline"),
    "response": ("#b35c00", "6 4", "Response threshold"),
    "partial": ("#b38f00", "2 4", "Partial response"),
    "remission": ("#1f7a3a", "2 3", "Remission threshold"),
    "relapse": ("#b00020", "8 3 2 3", "Relapse floor"),
}
SCORE_COLOUR = "#1b4f8a"
INFUSION_COLOUR = "#6a3d9a"
TICK_STEPS_DAYS = (1, 2, 7, 14, 28, 56, 91, 182, 364)
MAX_X_TICKS = 8


@dataclass(frozen=True)
class ChartPoint:
    taken_at: dt.datetime
    score: float
    course: str = ""


@dataclass(frozen=True)
class ChartMarker:
    """One infusion session. ``done`` False draws it dashed (booked, not given yet)."""

    at: dt.datetime
    label: str
    done: bool = True


@dataclass(frozen=True)
class ChartPhase:
    kind: str  # induction | maintenance | follow_up
    starts_at: dt.datetime
    ends_at: dt.datetime | None  # None: to the right edge


@dataclass(frozen=True)
class ChartLine:
    """A horizontal reference line over ``starts_at``..``ends_at`` (None: the whole chart)."""

    kind: str  # baseline | response | partial | remission | relapse
    value: float
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


@dataclass(frozen=True)
class TrajectoryChart:
    instrument_id: str
    label: str
    y_max: float
    tz: ZoneInfo
    points: tuple[ChartPoint, ...] = ()
    markers: tuple[ChartMarker, ...] = ()
    phases: tuple[ChartPhase, ...] = ()
    lines: tuple[ChartLine, ...] = ()
    missed: tuple[dt.datetime, ...] = ()
    until: dt.datetime | None = None
    summary: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _num(value: float) -> str:
    return f"{value:.1f}"


def nice_step(span: float, target: int = 5) -> float:
    """A 1/2/5 × 10ⁿ step giving about ``target`` intervals over ``span`` (e.g. 27 → 5, 60 → 10, 10 → 2)."""
    if span <= 0:
        return 1.0
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * magnitude:
            return float(multiple * magnitude)
    return float(10 * magnitude)


def _x_range(chart: TrajectoryChart) -> tuple[dt.datetime, dt.datetime] | None:
    times: list[dt.datetime] = [p.taken_at for p in chart.points]
    times += [m.at for m in chart.markers]
    times += list(chart.missed)
    times += [p.starts_at for p in chart.phases]
    times += [p.ends_at for p in chart.phases if p.ends_at is not None]
    if not times:
        return None
    start, end = min(times), max(times)
    if chart.until is not None and chart.until > end:
        end = chart.until
    pad = max((end - start) * 0.03, dt.timedelta(days=1))
    return start - pad, end + pad


def _date_ticks(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[dt.datetime]:
    days = max((end - start).total_seconds() / 86400, 1)
    step = next((s for s in TICK_STEPS_DAYS if days / s <= MAX_X_TICKS), TICK_STEPS_DAYS[-1])
    first = start.astimezone(tz).date() + dt.timedelta(days=1)
    if step == 7:  # weekly ticks on Mondays read better
        first += dt.timedelta(days=(7 - first.weekday()) % 7)
    elif step >= 28:  # month-ish ticks on the 1st
        first = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    ticks = []
    day = first
    while True:
        moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
        if moment > end:
            break
        ticks.append(moment)
        if step >= 28:
            months = round(step / 30.4)
            month_index = day.month - 1 + months
            day = dt.date(day.year + month_index // 12, month_index % 12 + 1, 1)
        else:
            day += dt.timedelta(days=step)
    return ticks


def _local_date(moment: dt.datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat()


def _short(moment: dt.datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%b} {local.day}"


def _long(moment: dt.datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%b} {local.day}, {local.year}"


def describe(chart: TrajectoryChart) -> str:
    """The chart in one or two sentences (the SVG ``<desc>`` and the PDF caption)."""
    tz = chart.tz
    if not chart.points:
        text = f"No {chart.label} scores yet."
    else:
        first, last = chart.points[0], chart.points[-1]
        text = (
            f"{len(chart.points)} {chart.label} score(s) from {_long(first.taken_at, tz)} to "
            f"{_long(last.taken_at, tz)}; first {_fmt(first.score)}, latest {_fmt(last.score)} "
            f"(scale 0–{_fmt(chart.y_max)}, lower is better)."
        )
    given = sum(1 for m in chart.markers if m.done)
    booked = len(chart.markers) - given
    text += f" {given} infusion(s) given" + (f", {booked} booked." if booked else ".")
    if chart.missed:
        text += f" {len(chart.missed)} measure(s) missed."
    if chart.summary:
        text += f" {chart.summary}"
    return text


def _legend(chart: TrajectoryChart) -> list[str]:
    out = ['<g class="legend" font-size="11" fill="#222222">']
    x = LEFT
    y = 16

    def item(symbol: str, label: str, width: int) -> None:
        nonlocal x
        out.append(f'<g transform="translate({x},{y})">{symbol}<text x="20" y="4">{escape(label)}</text></g>')
        x += width

    item(
        f'<line x1="0" y1="0" x2="14" y2="0" stroke="{SCORE_COLOUR}" stroke-width="2"/>'
        f'<circle cx="7" cy="0" r="3.5" fill="{SCORE_COLOUR}"/>',
        chart.label,
        26 + 7 * len(chart.label),
    )
    item(f'<line x1="7" y1="-6" x2="7" y2="6" stroke="{INFUSION_COLOUR}" stroke-width="2"/>', "Infusion", 78)
    kinds = []
    for line in chart.lines:
        if line.kind not in kinds:
            kinds.append(line.kind)
    for kind in kinds:
        stroke, dash, label = LINE_STYLE[kind]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        item(
            f'<line x1="0" y1="0" x2="16" y2="0" stroke="{stroke}" stroke-width="1.5"{dash_attr}/>',
            label,
            26 + 6 * len(label) + 10,
        )
    phase_kinds = []
    for phase in chart.phases:
        if phase.kind not in phase_kinds:
            phase_kinds.append(phase.kind)
    y = 32
    x = LEFT
    for kind in phase_kinds:
        item(
            f'<rect x="0" y="-5" width="14" height="10" fill="{PHASE_FILL[kind]}" stroke="#bbbbbb"/>',
            PHASE_LABEL[kind],
            40 + 6 * len(PHASE_LABEL[kind]),
        )
    out.append("</g>")
    return out


def trajectory_svg(chart: TrajectoryChart, *, id_prefix: str = "trajectory") -> str:
    """Render ``chart`` as an SVG document fragment (``<svg ...>...</svg>``), well-formed XML."""
    tz = chart.tz
    ident = f"{id_prefix}-{chart.instrument_id}"
    title = f"{chart.label} over time"
    description = describe(chart)
    attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {WIDTH} {HEIGHT}",
        "width": str(WIDTH),
        "height": str(HEIGHT),
        "role": "img",
        "aria-labelledby": f"{ident}-title {ident}-desc",
        "class": "trajectory-chart",
        "data-instrument": chart.instrument_id,
        "data-points": str(len(chart.points)),
        "data-infusions": str(len(chart.markers)),
        "font-family": "DejaVu Sans, Arial, sans-serif",
        **chart.extra,
    }
    head = "<svg " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + ">"
    out = [
        head,
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    x_range = _x_range(chart)
    y_max = max(chart.y_max, max((p.score for p in chart.points), default=0.0), 1.0)

    def y_of(value: float) -> float:
        return TOP + PLOT_H - (min(max(value, 0.0), y_max) / y_max) * PLOT_H

    if x_range is None:
        out.append(
            f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#fafafa" stroke="#cccccc"/>'
        )
        out.append(
            f'<text x="{LEFT + PLOT_W / 2}" y="{TOP + PLOT_H / 2}" text-anchor="middle" font-size="13" '
            f'fill="#555555">No {escape(chart.label)} scores or sessions yet</text>'
        )
        out.append("</svg>")
        return "".join(out)
    x_start, x_end = x_range
    span = (x_end - x_start).total_seconds()

    def x_of(moment: dt.datetime) -> float:
        offset = (moment - x_start).total_seconds() / span
        return LEFT + min(max(offset, 0.0), 1.0) * PLOT_W

    out.extend(_legend(chart))
    # Course phases, shaded behind everything.
    out.append('<g class="phases">')
    for phase in chart.phases:
        x1 = x_of(phase.starts_at)
        x2 = x_of(phase.ends_at) if phase.ends_at is not None else LEFT + PLOT_W
        if x2 - x1 < 0.5:
            continue
        out.append(
            f'<rect data-kind="phase" data-phase="{phase.kind}" x="{_num(x1)}" y="{TOP}" '
            f'width="{_num(x2 - x1)}" height="{PLOT_H}" fill="{PHASE_FILL[phase.kind]}">'
            f"<title>{PHASE_LABEL[phase.kind]} from {_long(phase.starts_at, tz)}"
            + (f" to {_long(phase.ends_at, tz)}" if phase.ends_at else "")
            + "</title></rect>"
        )
    out.append("</g>")
    # Grid and axes.
    step = nice_step(y_max)
    out.append('<g class="axes" font-size="10" fill="#333333">')
    value = 0.0
    while value <= y_max + 1e-9:
        y = y_of(value)
        out.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{LEFT + PLOT_W}" y2="{_num(y)}" stroke="#d9d9d9" '
            f'stroke-width="0.6"/><text x="{LEFT - 6}" y="{_num(y + 3.5)}" text-anchor="end">{_fmt(value)}</text>'
        )
        value += step
    for tick in _date_ticks(x_start, x_end, tz):
        x = x_of(tick)
        out.append(
            f'<line x1="{_num(x)}" y1="{TOP + PLOT_H}" x2="{_num(x)}" y2="{TOP + PLOT_H + 4}" stroke="#333333"/>'
            f'<text x="{_num(x)}" y="{TOP + PLOT_H + 16}" text-anchor="middle">{_short(tick, tz)}</text>'
        )
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#999999"/>'
        f'<text transform="translate(12,{TOP + PLOT_H / 2}) rotate(-90)" text-anchor="middle">'
        f"{escape(chart.label)} score</text>"
    )
    out.append("</g>")
    # Reference lines: baselines and thresholds.
    out.append('<g class="thresholds">')
    for line in chart.lines:
        stroke, dash, label = LINE_STYLE[line.kind]
        x1 = x_of(line.starts_at) if line.starts_at is not None else LEFT
        x2 = x_of(line.ends_at) if line.ends_at is not None else LEFT + PLOT_W
        y = y_of(line.value)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line data-kind="{line.kind}" data-value="{_fmt(line.value)}" x1="{_num(x1)}" y1="{_num(y)}" '
            f'x2="{_num(x2)}" y2="{_num(y)}" stroke="{stroke}" stroke-width="1.4"{dash_attr}>'
            f"<title>{escape(label)}: {_fmt(line.value)}</title></line>"
        )
    out.append("</g>")
    # Infusion markers: a tick rising from the time axis for every session.
    out.append('<g class="infusions">')
    for marker in chart.markers:
        x = x_of(marker.at)
        dash_attr = "" if marker.done else ' stroke-dasharray="2 2"'
        out.append(
            f'<line data-kind="infusion" data-date="{_local_date(marker.at, tz)}" '
            f'data-done="{"true" if marker.done else "false"}" x1="{_num(x)}" y1="{TOP + PLOT_H}" '
            f'x2="{_num(x)}" y2="{TOP + PLOT_H - 14}" stroke="{INFUSION_COLOUR}" stroke-width="2"{dash_attr}>'
            f"<title>{escape(marker.label)}, {_long(marker.at, tz)}"
            + ("" if marker.done else " (booked)")
            + "</title></line>"
        )
    for moment in chart.missed:
        x = x_of(moment)
        y = TOP + PLOT_H - 4
        out.append(
            f'<path data-kind="missed" data-date="{_local_date(moment, tz)}" d="M{_num(x - 3)} {_num(y - 3)} '
            f'l6 6 m0 -6 l-6 6" stroke="#777777" stroke-width="1.2" fill="none">'
            f"<title>{escape(chart.label)} missed, due {_long(moment, tz)}</title></path>"
        )
    out.append("</g>")
    # The scores themselves.
    if chart.points:
        coords = " ".join(f"{_num(x_of(p.taken_at))},{_num(y_of(p.score))}" for p in chart.points)
        out.append(
            f'<polyline class="trajectory-line" points="{coords}" fill="none" stroke="{SCORE_COLOUR}" '
            f'stroke-width="2" stroke-linejoin="round"/>'
        )
        out.append('<g class="points">')
        for point in chart.points:
            out.append(
                f'<circle data-score="{_fmt(point.score)}" data-date="{_local_date(point.taken_at, tz)}" '
                f'data-course={quoteattr(point.course)} cx="{_num(x_of(point.taken_at))}" '
                f'cy="{_num(y_of(point.score))}" r="4" fill="{SCORE_COLOUR}" stroke="#ffffff" stroke-width="1">'
                f"<title>{escape(chart.label)} {_fmt(point.score)} on {_long(point.taken_at, tz)}</title></circle>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
