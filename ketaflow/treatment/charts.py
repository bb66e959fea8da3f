"""The session chart: vitals and scores over time with the PK predicted curve (matplotlib → SVG).

The same SVG is served to the page and embedded in the session PDF.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone


def session_chart_svg(session: Any) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from ketaflow.domain import pk

    tz = session.location.tz
    vitals = [v for v in session.vitals.all() if not v.entered_in_error]
    fig, (ax, ax_scores) = plt.subplots(
        2, 1, figsize=(8, 4.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}, dpi=100
    )
    times = [timezone.localtime(v.taken_at, tz) for v in vitals]

    def series(attr: str) -> tuple[list[Any], list[float]]:
        pairs = [
            (t, getattr(v, attr)) for t, v in zip(times, vitals, strict=True) if getattr(v, attr) is not None
        ]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    for attr, label, style in (
        ("sbp_mmhg", "SBP", "v-"),
        ("dbp_mmhg", "DBP", "^-"),
        ("hr_per_min", "HR", "o-"),
        ("spo2_pct", "SpO2", "s-"),
    ):
        xs, ys = series(attr)
        if xs:
            ax.plot(xs, ys, style, label=label, markersize=4, linewidth=1.3)
    ax.set_ylabel("mmHg, /min, %")
    ax.grid(True, alpha=0.3)

    forecast = session.forecast or {}
    if forecast.get("schedule") and forecast.get("time_zero"):
        zero = dt.datetime.fromisoformat(forecast["time_zero"])
        schedule = pk.Schedule(infusions=tuple(pk.Infusion(a, b, r) for a, b, r in forecast["schedule"]))
        end_min = max(b for _, b, _ in forecast["schedule"]) + 120
        grid = [i * 2.0 for i in range(int(end_min / 2) + 1)]
        sim = pk.simulate(
            pk.get_model(forecast.get("model", pk.DEFAULT_MODEL_ID)),
            pk.Covariates(weight_kg=forecast["weight_kg"]),
            schedule,
            times_min=grid,
        )
        pk_ax = ax.twinx()
        pk_ax.plot(
            [timezone.localtime(zero + dt.timedelta(minutes=m), tz) for m in grid],
            sim.effect_ng_per_ml,
            "--",
            color="#7a4fa3",
            label="predicted Ce (ng/mL)",
            linewidth=1.2,
        )
        pk_ax.set_ylabel("Ce ng/mL", color="#7a4fa3")
        pk_ax.legend(loc="upper right", fontsize=7, frameon=False)
    if ax.get_lines():
        ax.legend(loc="upper left", fontsize=7, ncol=4, frameon=False)

    for attr, label, style in (("moaas", "MOAA/S", "o"), ("cadss", "CADSS", "D"), ("pain_nrs", "NRS", "s")):
        xs, ys = series(attr)
        if xs:
            ax_scores.plot(xs, ys, style, label=label, markersize=5)
    ax_scores.set_ylabel("score")
    ax_scores.margins(y=0.2)
    ax_scores.grid(True, alpha=0.3)
    if any(v.moaas is not None or v.cadss is not None or v.pain_nrs is not None for v in vitals):
        ax_scores.legend(loc="upper left", fontsize=7, ncol=3, frameon=False)
    ax_scores.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    if not vitals:
        ax.text(0.5, 0.5, "No vitals recorded yet", transform=ax.transAxes, ha="center")
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
