"""The trajectory SVG renderer: well-formed, accessible, one element per score and infusion, thresholds drawn."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

from ketaflow.outcomes import charts

SVG = "{http://www.w3.org/2000/svg}"
TZ = ZoneInfo("America/Chicago")
START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def _chart(**overrides: object) -> charts.TrajectoryChart:
    base = {
        "instrument_id": "phq9",
        "label": "PHQ-9",
        "y_max": 27.0,
        "tz": TZ,
        "points": tuple(
            charts.ChartPoint(START + dt.timedelta(days=d), s, "Course 1")
            for d, s in ((-3, 20), (1, 14), (5, 8), (12, 6), (30, 12))
        ),
        "markers": tuple(
            charts.ChartMarker(START + dt.timedelta(days=2 * i), f"Infusion {i + 1}", done=i < 5)
            for i in range(6)
        ),
        "phases": (
            charts.ChartPhase("induction", START, START + dt.timedelta(days=11)),
            charts.ChartPhase("follow_up", START + dt.timedelta(days=11), None),
        ),
        "lines": (
            charts.ChartLine("baseline", 20.0, START - dt.timedelta(days=3)),
            charts.ChartLine("response", 10.0, START - dt.timedelta(days=3)),
            charts.ChartLine("remission", 4.0),
        ),
        "missed": (START + dt.timedelta(days=20),),
        "until": START + dt.timedelta(days=35),
    }
    base.update(overrides)
    return charts.TrajectoryChart(**base)  # type: ignore[arg-type]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_svg_is_well_formed_with_title_and_description_for_screen_readers() -> None:
    root = _parse(charts.trajectory_svg(_chart()))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "PHQ-9 over time"
    assert desc is not None and "5 PHQ-9 score(s) from Feb 27, 2026 to Apr 1, 2026" in (desc.text or "")
    assert "5 infusion(s) given, 1 booked." in (desc.text or "")
    assert "1 measure(s) missed." in (desc.text or "")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_one_circle_per_score_with_its_value_and_local_date_as_test_hooks() -> None:
    root = _parse(charts.trajectory_svg(_chart()))
    assert root.get("data-instrument") == "phq9"
    assert root.get("data-points") == "5"
    circles = root.findall(f".//{SVG}circle[@data-score]")
    assert [c.get("data-score") for c in circles] == ["20", "14", "8", "6", "12"]
    assert circles[0].get("data-date") == "2026-02-27"  # 15:00 UTC on Feb 27 is 09:00 in Chicago
    # Lower scores sit lower on the chart: y grows downwards in SVG.
    ys = [float(c.get("cy") or 0) for c in circles]
    assert ys[0] < ys[3]


def test_one_tick_per_infusion_and_booked_ones_dashed() -> None:
    root = _parse(charts.trajectory_svg(_chart()))
    ticks = root.findall(f".//{SVG}line[@data-kind='infusion']")
    assert len(ticks) == 6
    assert [t.get("data-done") for t in ticks] == ["true"] * 5 + ["false"]
    assert ticks[-1].get("stroke-dasharray") and not ticks[0].get("stroke-dasharray")
    assert len(root.findall(f".//{SVG}path[@data-kind='missed']")) == 1


def test_thresholds_are_drawn_at_their_scores() -> None:
    root = _parse(charts.trajectory_svg(_chart()))
    lines = {
        line.get("data-kind"): line for line in root.findall(f".//{SVG}g[@class='thresholds']/{SVG}line")
    }
    assert set(lines) == {"baseline", "response", "remission"}
    assert lines["response"].get("data-value") == "10"
    y = {kind: float(line.get("y1") or 0) for kind, line in lines.items()}
    plot_bottom = charts.TOP + charts.PLOT_H
    assert y["remission"] > y["response"] > y["baseline"]
    assert abs((plot_bottom - y["response"]) - charts.PLOT_H * 10 / 27) < 0.1
    # The remission line spans the whole plot; the baseline starts at the baseline score.
    assert float(lines["remission"].get("x1") or 0) == charts.LEFT
    assert float(lines["baseline"].get("x1") or 0) > charts.LEFT


def test_phases_are_shaded_in_order() -> None:
    root = _parse(charts.trajectory_svg(_chart()))
    phases = root.findall(f".//{SVG}rect[@data-kind='phase']")
    assert [p.get("data-phase") for p in phases] == ["induction", "follow_up"]
    follow_up = phases[1]
    assert float(follow_up.get("x") or 0) + float(follow_up.get("width") or 0) == charts.LEFT + charts.PLOT_W


def test_text_is_escaped_and_style_attributes_are_never_used() -> None:
    svg = charts.trajectory_svg(_chart(label="A<B & C", points=(charts.ChartPoint(START, 3, 'x"y'),)))
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == "A<B & C over time"  # type: ignore[union-attr]
    assert "style=" not in svg  # the strict CSP refuses inline styles; presentation attributes are allowed


def test_an_empty_chart_says_so() -> None:
    root = _parse(charts.trajectory_svg(_chart(points=(), markers=(), phases=(), missed=(), lines=())))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "No PHQ-9 scores or sessions yet" in texts
    assert root.get("data-points") == "0"


def test_scores_above_the_scale_are_clipped_to_the_plot() -> None:
    root = _parse(charts.trajectory_svg(_chart(y_max=10.0, points=(charts.ChartPoint(START, 40.0),))))
    circle = root.find(f".//{SVG}circle[@data-score]")
    assert circle is not None and float(circle.get("cy") or 0) >= charts.TOP


def test_nice_steps() -> None:
    assert [charts.nice_step(v) for v in (27, 60, 10, 21)] == [10.0, 20.0, 2.0, 5.0]
