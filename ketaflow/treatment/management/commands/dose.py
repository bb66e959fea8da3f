"""``ketaflow dose``: calculate an IV ketamine order (mg/kg over minutes) from the command line.

A thin wrapper over ``ketaflow.domain.dosing.calculate_iv_infusion``; every hard stop of the engine
becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.domain import dosing

DEFAULT = dosing.IV_DEPRESSION_DEFAULT


class Command(KetaflowCommand):
    help = (
        "Calculate an IV ketamine infusion: dose (mg), rate (mg/h), drug volume (mL) and pump rate (mL/h). "
        f"Defaults follow the '{DEFAULT.name}' protocol ({DEFAULT.mg_per_kg:g} mg/kg over {DEFAULT.minutes:g} min)."
    )
    requires_system_checks: list[str] = []  # pure arithmetic: no database, no checks needed

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--mg-per-kg", type=float, default=DEFAULT.mg_per_kg, help="dose in mg/kg")
        parser.add_argument("--minutes", type=float, default=DEFAULT.minutes, help="infusion time in minutes")
        parser.add_argument("--weight-kg", type=float, required=True, help="today's weight in kg")
        parser.add_argument(
            "--concentration-mg-per-ml", type=float, required=True, help="vial concentration in mg/mL"
        )
        parser.add_argument(
            "--bag-ml",
            type=float,
            default=None,
            help="final volume after dilution in mL (drug included); omit for an undiluted syringe",
        )
        parser.add_argument(
            "--weight-basis",
            choices=[basis.value for basis in dosing.WeightBasis],
            default=DEFAULT.weight_basis.value,
            help="weight to dose on; ideal and adjusted need --height-cm and --sex",
        )
        parser.add_argument("--height-cm", type=float, default=None, help="height in cm")
        parser.add_argument("--sex", choices=[sex.value for sex in dosing.Sex], default=None)
        parser.add_argument(
            "--max-dose-mg",
            type=float,
            default=None,
            help=f"maximum single dose in mg (default {DEFAULT.max_dose_mg:g} mg, a placeholder the medical "
            "director must confirm; see docs/dosing.md)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        inputs = dosing.IvInfusionInputs(
            mg_per_kg=options["mg_per_kg"],
            minutes=options["minutes"],
            weight_kg=options["weight_kg"],
            concentration_mg_per_ml=options["concentration_mg_per_ml"],
            bag_ml=options["bag_ml"],
            weight_basis=dosing.WeightBasis(options["weight_basis"]),
            height_cm=options["height_cm"],
            sex=dosing.Sex(options["sex"]) if options["sex"] else None,
            max_dose_mg=options["max_dose_mg"],
        )
        try:
            order = dosing.calculate_iv_infusion(inputs)
        except dosing.DoseError as exc:
            self.fail(str(exc))
        shown = order.display()
        self.emit(shown, self._text(shown), as_json=options["json"])

    @staticmethod
    def _text(shown: dict[str, Any]) -> str:
        lines = [
            f"{shown['protocol']}: {shown['mg_per_kg']:g} mg/kg over {shown['minutes']:g} min",
            f"Dosing weight: {shown['dosing_weight_kg']} kg ({shown['weight_basis']})",
            f"Dose:          {shown['dose_mg']} mg",
            f"Rate:          {shown['rate_mg_per_h']} mg/h",
            f"Drug volume:   {shown['drug_volume_ml']} mL of {shown['concentration_mg_per_ml']:g} mg/mL",
            f"Final volume:  {shown['final_volume_ml']} mL ({shown['final_concentration_mg_per_ml']} mg/mL)",
            f"Pump rate:     {shown['pump_rate_ml_per_h']} mL/h",
        ]
        lines += [f"Warning: {warning}" for warning in shown["warnings"]]
        lines.append(f"Engine: {shown['engine_version']}")
        return "\n".join(lines)
