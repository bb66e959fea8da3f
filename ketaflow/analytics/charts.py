"""Analytics charts (matplotlib → SVG, as ketaflow/treatment/charts.py): a panel's bars or line, and the
Kaplan–Meier step curves. Pages embed them as ``data:`` images, which the CSP allows (img-src data:)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from ketaflow.analytics.selectors import Panel

COLOURS = ["#1f5f8b", "#c26a1b", "#3f8f4f", "#7a4fa3", "#a33a3a", "#5b6b7f"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    plt = _pyplot()
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def panel_chart_svg(panel: Panel) -> str:
    """Grouped bars (``bars``), horizontal bars (``hbars``) or a line (``line``) as the panel's spec says."""
    plt = _pyplot()
    spec = panel.chart
    fig, ax = plt.subplots(figsize=(7.5, 3.2), dpi=100)
    if not panel.rows:
        ax.text(0.5, 0.5, "No data in this range", transform=ax.transAxes, ha="center", va="center")
        ax.set_axis_off()
        return _svg(fig)
    kind = spec.get("kind")
    if kind == "line":
        xs = [r[spec["x"]] for r in panel.rows]
        ys = [_number(r[spec["value"]]) for r in panel.rows]
        ax.step(xs, ys, where="post", color=COLOURS[0], linewidth=1.6)
        ax.plot(xs, ys, "o", color=COLOURS[0], markersize=4)
        ax.set_xlabel(spec["x"].replace("_", " "))
        ax.set_ylabel(spec.get("unit", ""))
        ax.set_ylim(0, 105)
    elif kind == "bars":
        categories = list(dict.fromkeys(r[spec["category"]] for r in panel.rows))
        series = list(dict.fromkeys(r[spec["label"]] for r in panel.rows))
        width = 0.8 / max(len(series), 1)
        for index, name in enumerate(series):
            values = {
                r[spec["category"]]: _number(r[spec["value"]]) for r in panel.rows if r[spec["label"]] == name
            }
            ax.bar(
                [c + index * width for c in range(len(categories))],
                [values.get(c, 0.0) for c in categories],
                width=width,
                label=str(name),
                color=COLOURS[index % len(COLOURS)],
            )
        ax.set_xticks([c + 0.4 - width / 2 for c in range(len(categories))], [str(c)[:3] for c in categories])
        ax.set_ylabel(spec.get("unit", ""))
        ax.legend(fontsize=7, frameon=False)
    else:  # hbars
        labels = [
            " · ".join(str(r[k]) for k in (spec["label"], spec.get("category")) if k) for r in panel.rows
        ]
        values = spec["values"]
        height = 0.8 / len(values)
        for index, key in enumerate(values):
            ax.barh(
                [i + index * height for i in range(len(labels))],
                [_number(r[key]) for r in panel.rows],
                height=height,
                label=dict(panel.columns).get(key, key),
                color=COLOURS[index % len(COLOURS)],
            )
        ax.set_yticks(
            [i + 0.4 - height / 2 for i in range(len(labels))], [lab[:40] for lab in labels], fontsize=7
        )
        ax.invert_yaxis()
        ax.set_xlabel(spec.get("unit", ""))
        if len(values) > 1:
            ax.legend(fontsize=7, frameon=False)
    ax.grid(True, alpha=0.3)
    return _svg(fig)


def km_chart_svg(summaries: Sequence[Any], *, title: str) -> str:
    """Kaplan–Meier step curves (share still free of relapse) with the 95% band of the first (overall) curve."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=100)
    if not summaries:
        ax.text(0.5, 0.5, "No course reached response after induction", transform=ax.transAxes, ha="center")
        ax.set_axis_off()
        return _svg(fig)
    for index, summary in enumerate(summaries):
        days = [0.0, *[p.days for p in summary.curve]]
        survival = [1.0, *[p.survival for p in summary.curve]]
        colour = COLOURS[index % len(COLOURS)]
        ax.step(
            days,
            survival,
            where="post",
            color=colour,
            linewidth=1.6,
            label=f"{summary.group} (n={summary.subjects})",
        )
        if index == 0:
            ax.fill_between(
                days,
                [1.0, *[p.ci_lower for p in summary.curve]],
                [1.0, *[p.ci_upper for p in summary.curve]],
                step="post",
                color=colour,
                alpha=0.15,
            )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("days since the end of induction")
    ax.set_ylabel("still free of relapse")
    ax.set_title(title, fontsize=9)
    ax.axhline(0.5, color="#888", linewidth=0.8, linestyle=":")
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.grid(True, alpha=0.3)
    return _svg(fig)
