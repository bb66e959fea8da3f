"""The ``ketaflow pk`` command: model list, simulation figures from clinical.md, bad input as exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

KETAFLOW = Path(sys.executable).parent / "ketaflow"
SIMULATE = ["simulate", "--model", "domino", "--weight-kg", "70", "--age", "40", "--height-cm", "170"]


def run_json(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("pk", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_models_lists_ids_citations_and_ranges() -> None:
    models = run_json("models")["models"]
    assert isinstance(models, list)
    ids = [m["id"] for m in models]
    assert ids[0] == "kamp2020"
    assert set(ids) >= {
        "kamp2020",
        "domino",
        "clements1981",
        "hijazi2003",
        "herd2007",
        "hornik2018",
        "otto2021",
    }
    herd = next(m for m in models if m["id"] == "herd2007")
    assert herd["weight_kg_range"] == [10.8, 74.8]
    assert herd["age_years_range"] == [1.0, 14.0]
    assert all(m["citation"] for m in models)


def test_simulate_matches_the_domino_reference_value() -> None:
    data = run_json(
        *SIMULATE,
        "--sex",
        "male",
        "--dose-mg-per-kg",
        "0.5",
        "--over-min",
        "40",
        "--at",
        "10,20,40,60,120,240",
    )
    assert data["model"] == "domino"
    assert data["times_min"] == [10.0, 20.0, 40.0, 60.0, 120.0, 240.0]
    plasma = data["plasma_ng_per_ml"]
    assert isinstance(plasma, list)
    assert plasma[2] == pytest.approx(240.330811, rel=1e-6)
    assert len(data["effect_ng_per_ml"]) == 6  # type: ignore[arg-type]
    assert data["warnings"] == ["domino: effect-site ke0 0.652/min is derived, not published"]


def test_segments_give_the_same_answer_as_mg_per_kg() -> None:
    by_dose = run_json(*SIMULATE, "--dose-mg-per-kg", "0.5", "--over-min", "40")
    by_segments = run_json(*SIMULATE, "--segments", "0-20:52.5", "--segments", "20-40:52.5")
    assert by_segments["plasma_ng_per_ml"] == pytest.approx(by_dose["plasma_ng_per_ml"], rel=1e-12)


def test_paediatric_model_warns_for_an_adult() -> None:
    data = run_json(
        "simulate", "--model", "herd2007", "--weight-kg", "70", "--age", "40", "--dose-mg-per-kg", "0.5"
    )
    assert any("outside the model's range" in w for w in data["warnings"])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--model", "propofol", "--weight-kg", "70", "--dose-mg-per-kg", "0.5"],
            "unknown PK model 'propofol'",
        ),
        (["--weight-kg", "-70", "--dose-mg-per-kg", "0.5"], "--weight-kg must be between 20 and 300 kg"),
        (["--weight-kg", "301", "--dose-mg-per-kg", "0.5"], "--weight-kg must be between 20 and 300 kg"),
        (["--weight-kg", "19", "--dose-mg-per-kg", "0.5"], "--weight-kg must be between 20 and 300 kg"),
        (["--weight-kg", "70", "--segments", "0-40:-5"], "rate must not be negative"),
        (["--weight-kg", "70", "--segments", "0-40:50", "--segments", "30-60:10"], "overlap"),
        (["--weight-kg", "70", "--segments", "40-0:50"], "end must be after start"),
        (["--weight-kg", "70", "--segments", "zero:50"], "START-END:MG_PER_H"),
        (["--weight-kg", "70", "--dose-mg-per-kg", "-0.5"], "must not be negative"),
        (["--weight-kg", "70"], "give --dose-mg-per-kg"),
        (["--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--at", "10,-1"], "must not be negative"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        call_command("pk", "simulate", *args, stdout=StringIO())
    assert caught.value.returncode == 2


def test_command_line_error_is_one_stderr_line_and_exit_2() -> None:
    env = {**os.environ, "KETAFLOW_TESTING": "1"}
    done = subprocess.run(
        [
            str(KETAFLOW),
            "pk",
            "simulate",
            "--model",
            "kamp2020",
            "--weight-kg",
            "70",
            "--segments",
            "0-40:-52.5",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines == ["error: segment '0-40:-52.5': rate must not be negative"]


def test_s_ketamine_model_also_reports_s_norketamine() -> None:
    data = run_json(
        "simulate", "--model", "otto2021", "--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--at", "40"
    )
    assert data["plasma_ng_per_ml"] == [pytest.approx(158.041733, rel=1e-6)]
    assert data["metabolite_ng_per_ml"] == [pytest.approx(47.085424, rel=1e-6)]
