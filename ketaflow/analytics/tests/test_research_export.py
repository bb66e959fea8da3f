"""Research export: nothing identifying leaves, dates move by the patient's own shift, FHIR validates, audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from ketaflow.analytics import research
from ketaflow.analytics.tests.builders import at, course, patient, score, session
from ketaflow.core.models import AuditEvent
from ketaflow.domain.outcomes import date_shift_days, pseudonym
from ketaflow.testing import login
from ketaflow.treatment.models import AdverseEvent

SECRET = b"a-research-secret-of-some-length"


def _dataset(clinic: Any) -> dict[str, Any]:
    who = patient(clinic.wdm, created=at("2026-03-01"), dob=dt.date(1961, 7, 15))
    c = course(clinic.wdm, who=who, created=at("2026-03-02"))
    first = session(clinic, c, at("2026-03-05", 9), sequence=1)
    session(clinic, c, at("2026-03-07", 9), sequence=2, status="cancelled")
    score(who, "phq9", at("2026-03-04", 18), 19)
    score(who, "phq9", at("2026-03-12", 18), 7)
    AdverseEvent.objects.create(
        session=first,
        kind="nausea",
        severity="mild",
        occurred_at=at("2026-03-05", 10),
        recorded_by=clinic.user("nina"),
    )
    elsewhere = patient(clinic.dsm, created=at("2026-03-01"))
    course(clinic.dsm, who=elsewhere)
    return {"patient": who, "course": c, "elsewhere": elsewhere}


def _tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert "README.txt" in names
        return {
            n.removesuffix(".csv"): list(csv.DictReader(io.StringIO(archive.read(n).decode())))
            for n in names
            if n.endswith(".csv")
        }


def test_csv_tables_hold_no_identifier_and_shift_every_date_by_the_patients_days(clinic: Any) -> None:
    data = _dataset(clinic)
    who = data["patient"]
    buffer = io.BytesIO()
    counts = research.write_csv_zip(buffer, location_ids=[clinic.wdm.pk], secret=SECRET)
    raw = buffer.getvalue()
    tables = _tables(raw)

    assert counts == {"subjects": 1, "courses": 1, "sessions": 2, "scores": 2, "adverse_events": 1}
    code = pseudonym(SECRET, str(who.uuid))
    shift = dt.timedelta(days=date_shift_days(SECRET, str(who.uuid)))
    assert tables["subjects"] == [
        {
            "subject": code,
            "sex": "unknown",
            "age_band": "60-69",
            "first_contact": str(dt.date(2026, 3, 1) + shift),
        }
    ]
    first = next(r for r in tables["sessions"] if r["sequence"] == "1")
    assert dt.datetime.fromisoformat(first["starts_at"]) == at("2026-03-05", 9).astimezone(dt.UTC) + shift
    scores = sorted(tables["scores"], key=lambda r: r["completed_at"])
    assert [float(r["total"]) for r in scores] == [19.0, 7.0]
    # Intervals within a patient survive the shift.
    gap = dt.datetime.fromisoformat(scores[1]["completed_at"]) - dt.datetime.fromisoformat(
        scores[0]["completed_at"]
    )
    elapsed = at("2026-03-12", 18).astimezone(dt.UTC) - at("2026-03-04", 18).astimezone(dt.UTC)
    assert gap == elapsed  # 8 days less the hour of the DST change
    assert tables["courses"][0]["course"] != str(data["course"].uuid)
    assert tables["adverse_events"][0]["kind"] == "nausea"
    text = raw.decode("latin-1") + "".join(json.dumps(t) for t in tables.values())
    for secret_value in (who.first_name, who.last_name, who.chart_number, who.email, who.mobile_phone,
                         who.address_line1, str(who.uuid), "1961-07-15", str(data["course"].uuid)):  # fmt: skip
        assert secret_value not in text
    assert all(r["subject"] != pseudonym(SECRET, str(data["elsewhere"].uuid)) for r in tables["subjects"])


def test_age_bands_pool_ninety_and_over() -> None:
    assert research.age_band(dt.date(1990, 6, 2), dt.date(2026, 6, 1)) == "30-39"  # 35 the day before
    assert research.age_band(dt.date(1936, 1, 1), dt.date(2026, 6, 1)) == "90+"
    assert research.age_band(dt.date(1937, 1, 1), dt.date(2026, 6, 1)) == "80-89"


def test_fhir_bundle_validates_and_uses_the_same_pseudonyms(clinic: Any) -> None:
    data = _dataset(clinic)
    bundle = research.fhir_bundle(location_ids=[clinic.wdm.pk], secret=SECRET)
    kinds = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    # The cancelled session is not an administration.
    assert kinds == [
        "AdverseEvent",
        "CarePlan",
        "MedicationAdministration",
        "Observation",
        "Observation",
        "Patient",
    ]
    patient_resource = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient_resource["id"] == pseudonym(SECRET, str(data["patient"].uuid))
    assert "name" not in patient_resource and "birthDate" not in patient_resource
    text = json.dumps(bundle)
    assert data["patient"].last_name not in text and str(data["patient"].uuid) not in text
    phq9 = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert {o["code"]["coding"][0]["code"] for o in phq9} == {"44261-6"}


def test_the_same_secret_gives_the_same_pseudonyms_and_another_does_not(clinic: Any) -> None:
    _dataset(clinic)
    one, two, other = io.BytesIO(), io.BytesIO(), io.BytesIO()
    research.write_csv_zip(one, secret=SECRET)
    research.write_csv_zip(two, secret=SECRET)
    research.write_csv_zip(other, secret=b"another-secret-also-long-enough")
    assert _tables(one.getvalue())["subjects"] == _tables(two.getvalue())["subjects"]
    assert _tables(one.getvalue())["subjects"] != _tables(other.getvalue())["subjects"]


def test_secret_comes_from_settings_or_is_derived_from_the_secret_key() -> None:
    with override_settings(RESEARCH_EXPORT_SECRET="configured-secret-value"):
        assert research.export_secret() == b"configured-secret-value"
    with override_settings(RESEARCH_EXPORT_SECRET="", SECRET_KEY="k" * 50):
        derived = research.export_secret()
        assert len(derived) == 32 and derived != b"k" * 50


def test_page_is_for_managers_downloads_and_audits(clinic: Any, client: Any) -> None:
    _dataset(clinic)
    url = reverse("analytics:research_export")
    login(client, clinic.user("paul"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"format": "csv", "confirm": "on"}).status_code == 403
    login(client, clinic.user("mia"))
    refused = client.post(url, {"format": "csv"})
    assert refused.status_code == 400
    assert not AuditEvent.objects.filter(object_type="analytics.research_export").exists()
    response = client.post(url, {"format": "csv", "confirm": "on"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert len(_tables(response.content)["subjects"]) == 2  # mia covers both locations
    response = client.post(url, {"format": "fhir", "confirm": "on"})
    assert json.loads(response.content)["resourceType"] == "Bundle"
    details = list(
        AuditEvent.objects.filter(object_type="analytics.research_export", action="export").values_list(
            "detail", flat=True
        )
    )
    assert len(details) == 2 and any("csv" in d for d in details) and any("fhir" in d for d in details)


def test_command_writes_csv_and_fhir_and_refuses_bad_input(clinic: Any, tmp_path: Path) -> None:
    _dataset(clinic)
    out = tmp_path / "export.zip"
    call_command("research_export", "--format", "csv", "--out", str(out), "--location", "west-des-moines")
    assert len(_tables(out.read_bytes())["subjects"]) == 1
    fhir = tmp_path / "export.json"
    call_command("research_export", "--format", "fhir", "--out", str(fhir))
    assert json.loads(fhir.read_text())["type"] == "collection"
    assert AuditEvent.objects.filter(object_type="analytics.research_export").count() == 2
    with pytest.raises(CommandError, match="already exists"):
        call_command("research_export", "--format", "csv", "--out", str(out))
    with pytest.raises(CommandError, match="Unknown location: nowhere"):
        call_command(
            "research_export", "--format", "csv", "--out", str(tmp_path / "x.zip"), "--location", "nowhere"
        )
    with pytest.raises(CommandError, match="does not exist"):
        call_command("research_export", "--format", "csv", "--out", str(tmp_path / "missing" / "x.zip"))
    with pytest.raises(CommandError):
        call_command("research_export", "--format", "xml", "--out", str(tmp_path / "y.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_streamed_fhir_file_is_one_valid_bundle(clinic: Any) -> None:
    from fhir.resources.R4B.bundle import Bundle

    _dataset(clinic)
    buffer = io.BytesIO()
    counts = research.write_fhir(buffer, location_ids=[clinic.wdm.pk], secret=SECRET)
    bundle = json.loads(buffer.getvalue())
    assert counts == {
        "Patient": 1,
        "CarePlan": 1,
        "MedicationAdministration": 1,
        "Observation": 2,
        "AdverseEvent": 1,
    }
    assert len(bundle["entry"]) == 6
    Bundle.model_validate(bundle)  # the whole file, entries included, as a receiver would check it
