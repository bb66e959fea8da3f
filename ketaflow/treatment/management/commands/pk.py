"""``ketaflow pk``: list the ketamine PK models, or simulate plasma and effect-site concentrations.

A thin wrapper over ``ketaflow.domain.pk``. Any bad input (unknown model, weight outside 20-300 kg, negative
rate, overlapping segments) becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.domain import pk

#: Plausible weights for anyone the clinic doses; outside this the input is almost surely a typo.
MIN_WEIGHT_KG = 20.0
MAX_WEIGHT_KG = 300.0
DEFAULT_TIMES_MIN = "10,20,40,60,120,240"


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {text!r}")
    return value


def parse_times(text: str) -> list[float]:
    """``"10,20,40"`` -> [10.0, 20.0, 40.0] (minutes, not negative)."""
    times = [_number(part.strip(), "--at time") for part in text.split(",") if part.strip()]
    if not times:
        raise ValueError("--at needs at least one time in minutes")
    if any(t < 0 for t in times):
        raise ValueError("--at times must not be negative")
    return times


def parse_segment(text: str) -> tuple[float, float, float]:
    """``"0-40:52.5"`` -> (0.0, 40.0, 52.5 / 60) i.e. start min, end min, rate mg/min (input in mg/h)."""
    span, sep, rate_text = text.partition(":")
    start_text, dash, end_text = span.partition("-")
    if not sep or not dash:
        raise ValueError(f"segment {text!r} must look like START-END:MG_PER_H, e.g. 0-40:52.5")
    start = _number(start_text, "segment start")
    end = _number(end_text, "segment end")
    rate = _number(rate_text, "segment rate")
    if rate < 0:
        raise ValueError(f"segment {text!r}: rate must not be negative")
    if end <= start:
        raise ValueError(f"segment {text!r}: end must be after start")
    return start, end, rate / 60.0


class Command(KetaflowCommand):
    help = "Ketamine PK models: list them, or simulate plasma and effect-site concentrations for a schedule."
    requires_system_checks: list[str] = []  # pure arithmetic: no database, no checks needed
    json_output = False  # --json lives on each subcommand so it can follow the subcommand's options

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{models,simulate}")
        models = sub.add_parser("models", help="list the models with citations and validity ranges")
        models.add_argument("--json", action="store_true", help="print one JSON document on stdout")

        simulate = sub.add_parser("simulate", help="predict concentrations for a dosing schedule")
        simulate.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        simulate.add_argument(
            "--model", default=pk.DEFAULT_MODEL_ID, help="model id (see `ketaflow pk models`)"
        )
        simulate.add_argument("--weight-kg", type=float, required=True, help="body weight in kg")
        simulate.add_argument("--age", type=float, default=None, help="age in years")
        simulate.add_argument("--height-cm", type=float, default=None, help="height in cm")
        simulate.add_argument("--sex", choices=["male", "female"], default=None)
        simulate.add_argument("--dose-mg-per-kg", type=float, default=None, help="dose in mg/kg")
        simulate.add_argument("--over-min", type=float, default=40.0, help="infusion time in minutes")
        simulate.add_argument(
            "--segments",
            action="append",
            default=[],
            help="infusion segment START-END:MG_PER_H in minutes, e.g. 0-40:52.5 (repeatable)",
        )
        simulate.add_argument(
            "--at", default=DEFAULT_TIMES_MIN, help=f"comma-separated minutes (default {DEFAULT_TIMES_MIN})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "models":
            self._models(as_json=options["json"])
        else:
            self._simulate(options)

    def _models(self, *, as_json: bool) -> None:
        data = [model.describe() for model in pk.list_models()]
        lines = []
        for item in data:
            low_w, high_w = item["weight_kg_range"]  # type: ignore[misc]
            low_a, high_a = item["age_years_range"]  # type: ignore[misc]
            marker = " (default)" if item["default"] else ""
            lines.append(
                f"{item['id']}{marker}: {item['name']}; {low_w:g}-{high_w:g} kg, {low_a:g}-{high_a:g} y; "
                f"ke0 {item['ke0_status']}\n    {item['citation']}"
            )
        self.emit({"models": data}, "\n".join(lines), as_json=as_json)

    def _simulate(self, options: dict[str, Any]) -> None:
        try:
            model = pk.get_model(options["model"])
        except pk.PKModelError as exc:
            self.fail(str(exc))
        weight = options["weight_kg"]
        if not (math.isfinite(weight) and MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG):
            self.fail(
                f"--weight-kg must be between {MIN_WEIGHT_KG:g} and {MAX_WEIGHT_KG:g} kg, got {weight:g}"
            )
        try:
            times = parse_times(options["at"])
            schedule = self._schedule(options, weight)
            covariates = pk.Covariates(
                weight_kg=weight, age_years=options["age"], height_cm=options["height_cm"], sex=options["sex"]
            )
        except (ValueError, pk.ScheduleError, pk.PKModelError) as exc:
            self.fail(str(exc))
        result = pk.simulate(model, covariates, schedule, times)
        data = result.as_dict()
        self.emit(data, self._text(result), as_json=options["json"])

    def _schedule(self, options: dict[str, Any], weight: float) -> pk.Schedule:
        dose = options["dose_mg_per_kg"]
        segments = options["segments"]
        if segments and dose is not None:
            raise ValueError("give either --dose-mg-per-kg (with --over-min) or --segments, not both")
        if segments:
            return pk.Schedule.from_segments([parse_segment(text) for text in segments])
        if dose is None:
            raise ValueError("give --dose-mg-per-kg (with --over-min) or at least one --segments")
        if not math.isfinite(dose) or dose < 0:
            raise ValueError(f"--dose-mg-per-kg must not be negative, got {dose:g}")
        over = options["over_min"]
        if not math.isfinite(over) or over <= 0:
            raise ValueError(f"--over-min must be a positive number of minutes, got {over:g}")
        return pk.Schedule.constant_infusion(dose_mg=dose * weight, start_min=0.0, duration_min=over)

    @staticmethod
    def _text(result: pk.SimulationResult) -> str:
        lines = [f"Model: {result.model_id}", f"{'min':>8} {'plasma ng/mL':>14} {'effect ng/mL':>14}"]
        for t, cp, ce in zip(result.times_min, result.plasma_ng_per_ml, result.effect_ng_per_ml, strict=True):
            lines.append(f"{t:8g} {cp:14.3f} {ce:14.3f}")
        lines += [f"Warning: {warning}" for warning in result.warnings]
        return "\n".join(lines)
