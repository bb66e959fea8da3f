"""The ``ketaflow dose`` command: figures from clinical.md, hard stops as one stderr line and exit 2."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ketaflow.domain.dosing import VERSION, errors

KETAFLOW = Path(sys.executable).parent / "ketaflow"
BASE = [
    "--mg-per-kg",
    "0.5",
    "--minutes",
    "40",
    "--weight-kg",
    "80",
    "--concentration-mg-per-ml",
    "10",
    "--bag-ml",
    "100",
]


def run_json(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("dose", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_json_output_gives_dose_rate_volume_and_pump_rate() -> None:
    data = run_json(*BASE)
    assert data["dose_mg"] == 40.0
    assert data["rate_mg_per_h"] == 60.0
    assert data["drug_volume_ml"] == 4.0
    assert data["pump_rate_ml_per_h"] == 150.0
    assert data["weight_basis"] == "actual"
    assert data["dosing_weight_kg"] == 80.0
    assert data["max_dose_mg"] == 100.0
    assert data["engine_version"] == VERSION
    assert data["warnings"] == []


def test_adjusted_weight_basis_uses_height_and_sex() -> None:
    data = run_json(
        *BASE[:4],
        "--weight-kg",
        "120",
        "--concentration-mg-per-ml",
        "10",
        "--bag-ml",
        "100",
        "--weight-basis",
        "adjusted",
        "--height-cm",
        "177.8",
        "--sex",
        "male",
    )
    assert data["dosing_weight_kg"] == 91.8
    assert data["dose_mg"] == 45.9


def test_text_output_is_readable() -> None:
    out = StringIO()
    call_command("dose", *BASE, stdout=out)
    assert "Pump rate:     150.0 mL/h" in out.getvalue()


def test_dose_above_cap_fails_with_the_engine_message() -> None:
    with pytest.raises(CommandError) as excinfo:
        call_command("dose", *BASE, "--max-dose-mg", "30", stdout=StringIO())
    assert str(excinfo.value) == errors.DOSE_ABOVE_CAP.format(dose_mg=40.0, cap_mg=30.0)
    assert excinfo.value.returncode == 2


def test_ideal_weight_without_height_fails() -> None:
    with pytest.raises(CommandError) as excinfo:
        call_command("dose", *BASE, "--weight-basis", "ideal", stdout=StringIO())
    assert errors.HEIGHT_REQUIRED in str(excinfo.value)


def test_command_line_hard_stop_exits_2_with_one_stderr_line() -> None:
    env = {**os.environ, "KETAFLOW_TESTING": "1"}
    args = [str(KETAFLOW), "dose", *BASE[:4], "--weight-kg", "120", *BASE[6:], "--mg-per-kg", "1.0", "--json"]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert errors.DOSE_ABOVE_CAP.format(dose_mg=120.0, cap_mg=100.0) in lines[0]
