from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketaflow.accounts.models import User
from ketaflow.clinics.models import Chair, Location
from ketaflow.patients.models import Patient

KETAFLOW = str(Path(sys.executable).with_name("ketaflow"))


@pytest.mark.django_db
def test_demo_is_idempotent_and_prints_one_json_document() -> None:
    out = StringIO()
    call_command("demo", "--json", stdout=out)
    call_command("demo", "--json", stdout=out)
    documents = out.getvalue().strip().splitlines()
    summary = json.loads(documents[-1])
    assert sorted(summary["locations"]) == ["Des Moines", "West Des Moines"]
    assert Location.objects.count() == 2
    assert Chair.objects.count() == 8
    assert Patient.objects.filter(is_synthetic=True).count() == 20
    assert User.objects.filter(role="nurse").count() == 2
    assert {u.username for u in User.objects.filter(locations__slug="des-moines")} >= {"fran", "nina", "mia"}


@pytest.mark.django_db
def test_demo_rejects_a_negative_patient_count() -> None:
    with pytest.raises(CommandError, match="--patients must be zero or more"):
        call_command("demo", "--patients", "-1")


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "KETAFLOW_TESTING": "1", **env}
    return subprocess.run([KETAFLOW, *args], capture_output=True, text=True, env=full_env, timeout=60)


def test_unknown_option_exits_2_with_one_line() -> None:
    result = _run("demo", "--bogus")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unrecognized arguments: --bogus" in result.stderr


def test_missing_secret_key_in_production_is_one_clear_line(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.pop("KETAFLOW_TESTING", None)
    env["KETAFLOW_VAR_DIR"] = str(tmp_path)
    env["PYTEST_CURRENT_TEST"] = ""
    result = subprocess.run([KETAFLOW, "check"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: environment variable SECRET_KEY is required"


@pytest.mark.django_db
def test_bulk_demo_writes_synthetic_patients_with_their_history() -> None:
    from ketaflow.core.bulk import generate
    from ketaflow.core.demo import load_demo
    from ketaflow.scheduling.models import Appointment

    load_demo(patients=0, extras=False)
    advanced: list[int] = []
    summary = generate(patients=250, progress=advanced.append)
    assert sum(advanced) == 250
    assert Patient.objects.filter(chart_number__startswith="BULK-", is_synthetic=True).count() == 250
    assert Appointment.objects.filter(patient__chart_number__startswith="BULK-").count() == 250
    assert summary["rows"]["patients"] == 250
    generate(patients=10)  # a second run continues the numbering instead of colliding
    assert Patient.objects.filter(chart_number__startswith="BULK-").count() == 260
