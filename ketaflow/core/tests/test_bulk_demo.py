"""The bulk synthetic history (``ketaflow demo --patients N``, issue #11) is consistent at two sizes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F, Q

from ketaflow.core.bulk import generate, secondary_indexes, table_specs, verify_foreign_keys
from ketaflow.core.demo import load_demo
from ketaflow.domain import instruments
from ketaflow.domain import ledger as dl
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.ledger.demo import load_demo_ledger
from ketaflow.ledger.models import Container, LedgerLine, Product, StockBalance
from ketaflow.ledger.services import domain_product
from ketaflow.outcomes.models import MeasurementRequest
from ketaflow.patients.models import Patient
from ketaflow.scheduling.models import Appointment
from ketaflow.treatment.models import AdverseEvent, Course, DoseOrder, InfusionSession, VitalsReading

KETAFLOW = str(Path(sys.executable).with_name("ketaflow"))
END = dt.date(2026, 11, 25)


def _fk_violations() -> list[Any]:
    everything = dict.fromkeys(table_specs(), 0)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_key_check")
            return list(cursor.fetchall()) + verify_foreign_keys(table_specs(), everything)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # raises on any pending violation
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return verify_foreign_keys(table_specs(), everything)


def _check_sessions(n: int) -> None:
    sessions = InfusionSession.objects.filter(patient__chart_number__startswith="BULK-")
    assert sessions.exclude(course__patient=F("patient")).count() == 0
    assert set(sessions.values_list("status", flat=True)) == {"discharged", "cancelled", "missed"}
    treated = (
        Course.objects.filter(patient__chart_number__startswith="BULK-").values("patient").distinct().count()
    )
    assert 0.7 * n <= treated <= 0.9 * n
    assert 8 <= sessions.count() / treated <= 15
    # Sequences are 1..n within each course; a chair never holds two sessions at once.
    by_course: dict[int, list[int]] = defaultdict(list)
    by_chair: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for course_id, sequence, chair_id, starts, ends in sessions.values_list(
        "course_id", "sequence", "chair_id", "starts_at", "ends_at"
    ):
        by_course[course_id].append(sequence)
        by_chair[chair_id].append((starts, ends))
    assert all(sorted(seq) == list(range(1, len(seq) + 1)) for seq in by_course.values())
    for spans in by_chair.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert (
        sessions.filter(
            Q(starts_at__date__gte=END) | Q(starts_at__date__lt=END - dt.timedelta(days=3 * 366))
        ).count()
        == 0
    )
    # Completed sessions: vitals every 15 minutes inside the session, a signed dose order each.
    done = sessions.filter(status="discharged")
    assert done.filter(discharged_at__gt=F("ends_at")).count() == 0
    vitals = VitalsReading.objects.filter(session__in=done)
    assert (
        vitals.filter(
            Q(taken_at__lt=F("session__started_at")) | Q(taken_at__gt=F("session__discharged_at"))
        ).count()
        == 0
    )
    assert 4 <= vitals.count() / done.count() <= 14
    assert VitalsReading.objects.filter(session__status__in=["cancelled", "missed"]).count() == 0
    assert DoseOrder.objects.filter(session__in=done).count() == done.count()
    assert 0.01 <= AdverseEvent.objects.filter(session__in=done).count() / done.count() <= 0.06
    esketamine = done.filter(course__protocol__kind="esketamine")
    assert esketamine.exists()
    assert esketamine.filter(rems_pmf_submitted_on__isnull=False).count() >= 0.9 * esketamine.count()


def _check_questionnaires() -> None:
    responses = QuestionnaireResponse.objects.filter(patient__chart_number__startswith="BULK-")
    assert set(responses.values_list("instrument", flat=True)) == {"phq9", "gad7", "nrs", "peg3"}
    # Every distinct stored answer vector carries exactly the result the domain's scorer gives it.
    for instrument, answers, result in responses.values_list("instrument", "answers", "result").distinct():
        assert instruments.score(instrument, answers).as_dict() == result
    requests = MeasurementRequest.objects.filter(patient__chart_number__startswith="BULK-")
    assert set(requests.values_list("status", flat=True)) <= {"completed", "expired", "cancelled"}
    completed = requests.filter(status="completed")
    assert completed.filter(response__isnull=True).count() == 0
    assert completed.exclude(response__patient=F("patient")).count() == 0
    assert completed.exclude(response__instrument=F("instrument")).count() == 0
    assert (
        completed.filter(Q(completed_at__lt=F("due_at")) | Q(completed_at__gte=F("expires_at"))).count() == 0
    )
    assert requests.filter(status="expired", response__isnull=False).count() == 0
    # Trajectories move: the mean PHQ-9 before the last infusions is well below the baseline mean.
    baseline = [
        r.response.result["total"] for r in completed.filter(instrument="phq9", timepoints=["baseline"])
    ]
    later = [
        r.response.result["total"]
        for r in completed.filter(instrument="phq9", timepoints=["pre_infusion"], session__sequence__gte=5)
    ]
    assert sum(later) / len(later) < 0.8 * sum(baseline) / len(baseline)


def _check_ledger() -> None:
    fields = (
        "id",
        "uuid",
        "kind",
        "container_id",
        "location_id",
        "occurred_at",
        "actor_id",
        "quantity",
        "unit",
    )
    fields += (
        "session_key",
        "witness_id",
        "product_id",
        "product_before",
        "product_after",
        "container_after",
    )
    lines = list(LedgerLine.objects.order_by("id").values_list(*fields))
    assert {line[2] for line in lines} >= {"receipt", "draw", "administration", "waste"}
    # Replayed by the domain from sealed, empty containers, every line is accepted and ends where the rows are.
    products = {p.pk: domain_product(p) for p in Product.objects.all()}
    stored = {c.pk: c for c in Container.objects.select_related("lot")}
    initial = [
        dl.Container(
            str(c.pk),
            products[c.product_id],
            str(c.location_id),
            str(c.storage_id),
            expires_on=c.lot.expires_on,
        )
        for c in stored.values()
    ]
    entries = [
        dl.LedgerEntry(
            entry_id=str(uuid),
            kind=dl.EntryKind(kind),
            container_id=str(container),
            location_id=str(location),
            occurred_at=occurred,
            actor_id=str(actor),
            quantity=quantity,
            unit=dl.Unit(unit),
            session_id=key or None,
            witness_ids=(str(witness),) if witness else (),
            reason="x" if kind == "waste" else "",
        )
        for _, uuid, kind, container, location, occurred, actor, quantity, unit, key, witness, *_ in lines
    ]
    state = dl.replay(initial, entries)
    assert all(report.holds for report in dl.identity_report(state))
    for key, replayed in state.containers.items():
        row = stored[int(key)]
        assert (replayed.on_hand, replayed.state.value, replayed.received) == (row.on_hand, row.state, True)
        assert replayed.in_use_total == sum((Decimal(q) for q in row.in_use.values()), Decimal(0))
    # Per product and location: the chain of balances is unbroken and ends at the running balance.
    last: dict[tuple[int, int], Decimal] = {}
    for line in lines:
        key, (before, after, container_after) = (line[4], line[11]), line[12:15]
        if key in last:
            assert before == last[key]
        assert after >= 0 and container_after >= 0
        last[key] = after
    for balance in StockBalance.objects.all():
        assert balance.on_hand >= 0 and balance.in_use >= 0
        assert balance.on_hand + balance.in_use == last[(balance.location_id, balance.product_id)]
        held = [
            c
            for c in stored.values()
            if (c.location_id, c.product_id) == (balance.location_id, balance.product_id)
        ]
        assert balance.on_hand == sum(c.on_hand for c in held)
    draws = LedgerLine.objects.filter(kind="draw", session_uuid__isnull=False)
    sessions = dict(InfusionSession.objects.values_list("uuid", "status"))
    assert {sessions[d] for d in draws.values_list("session_uuid", flat=True)} == {"discharged"}


@pytest.mark.django_db
@pytest.mark.parametrize("n", [300, 600])
def test_generated_history_is_consistent(n: int) -> None:
    load_demo(patients=0, extras=False)
    load_demo_ledger()
    lines_before = LedgerLine.objects.count()
    summary = generate(patients=n, seed=11, end=END)
    assert Patient.objects.filter(chart_number__startswith="BULK-", is_synthetic=True).count() == n
    assert Appointment.objects.filter(patient__chart_number__startswith="BULK-").count() == n
    rows = summary["rows"]
    assert rows["patients"] == n
    assert (
        rows["sessions"] == InfusionSession.objects.filter(patient__chart_number__startswith="BULK-").count()
    )
    assert rows["ledger_lines"] == LedgerLine.objects.count() - lines_before
    _check_sessions(n)
    _check_questionnaires()
    _check_ledger()
    assert _fk_violations() == []


@pytest.mark.django_db
def test_a_bigger_history_opens_more_sites_instead_of_hundreds_of_chairs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ketaflow.accounts.models import User
    from ketaflow.clinics.models import Chair, Location
    from ketaflow.core import bulk_sites

    monkeypatch.setattr(bulk_sites, "PATIENTS_PER_SITE", 100)
    load_demo(patients=0, extras=False)
    load_demo_ledger()
    generate(patients=300, seed=12, end=END)
    assert Location.objects.filter(is_active=True).count() == 3
    ames = Location.objects.get(slug="ames")
    assert (ames.city, ames.zip_code, ames.opening_hours.count()) == ("Ames", "50010", 5)
    patients = Patient.objects.filter(preferred_location=ames)
    assert patients.count() == 100 and set(patients.values_list("city", flat=True)) == {"Ames"}
    sessions = InfusionSession.objects.filter(location=ames)
    assert sessions.filter(status="discharged").count() > 100
    assert set(sessions.values_list("course__patient__preferred_location", flat=True)) == {ames.pk}
    # Ames's own staff treat there and cannot log in; the group's manager and auditor oversee it.
    staff = User.objects.filter(locations=ames)
    assert {u.username for u in staff} >= {"ames-prescriber", "ames-nurse1", "mia", "audrey"}
    assert not any(u.has_usable_password() for u in staff if u.username.startswith("ames-"))
    assert set(sessions.values_list("prescriber__username", flat=True)) == {"ames-prescriber"}
    given = LedgerLine.objects.filter(location=ames, kind="administration")
    assert set(given.values_list("session_uuid", flat=True)) == set(
        sessions.filter(status="discharged").values_list("uuid", flat=True)
    )
    assert Chair.objects.filter(location=ames).count() <= 12
    assert bulk_sites.ensure_group_sites(3) == 0  # idempotent


@pytest.mark.django_db
def test_same_seed_same_history_and_a_second_run_continues() -> None:
    load_demo(patients=0, extras=False)
    load_demo_ledger()  # the demo's own stock (random uuids) stays outside the comparison

    def snapshot() -> list[Any]:
        return list(
            InfusionSession.objects.order_by("id").values_list(
                "uuid", "patient__chart_number", "sequence", "starts_at", "status", "chair__label"
            )
        ) + list(LedgerLine.objects.order_by("id").values_list("uuid", "kind", "quantity", "product_after"))

    with transaction.atomic():
        first = generate(patients=40, seed=5, end=END)
        taken = snapshot()
        transaction.set_rollback(True)
    again = generate(patients=40, seed=5, end=END)
    assert snapshot() == taken and again["rows"] == first["rows"]
    generate(patients=10, seed=6, end=END)
    assert Patient.objects.filter(chart_number__startswith="BULK-").count() == 50


@pytest.mark.django_db
def test_a_dangling_reference_is_reported() -> None:
    load_demo(patients=0, extras=False)
    generate(patients=30, seed=3, end=END)
    first = dict.fromkeys(table_specs(), 0)
    assert verify_foreign_keys(table_specs(), first) == []
    reading = VitalsReading.objects.order_by("id").last()
    assert reading is not None
    with transaction.atomic(), connection.cursor() as cursor:
        # Deferred constraints let the bad row in until commit; the check sees it before.
        cursor.execute(
            "UPDATE treatment_vitalsreading SET session_id = %s WHERE id = %s",
            [reading.session_id + 10**6, reading.pk],
        )
        assert verify_foreign_keys(table_specs(), first) == [
            "treatment_vitalsreading: 1 rows reference missing rows"
        ]
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_writer_thread_commits_the_same_history() -> None:
    """Outside a transaction the batches go through a writer thread with its own connection."""
    load_demo(patients=0, extras=False)
    summary = generate(patients=60, seed=8, end=END, threaded=True, rebuild_indexes=True)
    assert Patient.objects.filter(chart_number__startswith="BULK-").count() == 60
    sessions = InfusionSession.objects.filter(patient__chart_number__startswith="BULK-")
    assert sessions.count() == summary["rows"]["sessions"] > 0
    assert VitalsReading.objects.filter(session__in=sessions).count() == summary["rows"]["vitals"]
    assert _fk_violations() == []


def test_negative_patient_count_exits_2_with_one_line() -> None:
    env = {**os.environ, "KETAFLOW_TESTING": "1"}
    result = subprocess.run(
        [KETAFLOW, "demo", "--patients", "-3"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --patients must be zero or more"


def _all_indexes() -> set[tuple[str, str]]:
    """Every index of the tables the generator writes, with its definition."""
    tables = [spec.table for spec in table_specs().values()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables])
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})",  # noqa: S608
                tables,
            )
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_rebuilt_indexes_are_all_back_after_the_load() -> None:
    from ketaflow.core.bulk.specs import REBUILT

    load_demo(patients=0, extras=False)
    before = _all_indexes()
    rebuilt = secondary_indexes(table_specs()[name].table for name in REBUILT)
    assert len(rebuilt) > 30  # the foreign-key and query indexes of the big tables
    assert not any("UNIQUE" in sql.upper() for _, sql in rebuilt)
    generate(patients=60, seed=9, end=END, rebuild_indexes=True)
    assert _all_indexes() == before
    assert _fk_violations() == []


@pytest.mark.django_db
def test_a_failed_load_rolls_back_with_its_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    from ketaflow.core.bulk import load

    load_demo(patients=0, extras=False)
    before = _all_indexes()
    patients_before = Patient.objects.count()

    def broken(*args: Any, **kwargs: Any) -> Any:
        assert _all_indexes() < before  # the secondary indexes are gone while the load runs
        raise RuntimeError("the ledger broke")

    monkeypatch.setattr(load, "replay_ledger", broken)
    with pytest.raises(RuntimeError, match="the ledger broke"):
        generate(patients=60, seed=9, end=END, rebuild_indexes=True)
    assert _all_indexes() == before
    assert Patient.objects.count() == patients_before  # no batch was kept either


@pytest.mark.django_db(transaction=True)
def test_a_failed_threaded_load_rolls_back_with_its_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the writer thread a failure on either side rolls back the rows and the dropped indexes."""
    from ketaflow.core.bulk import writing

    load_demo(patients=0, extras=False)
    before = _all_indexes()
    patients_before = Patient.objects.count()
    real = writing.Writer.write

    def write(self: Any, spec: Any, rows: Any, label: str) -> None:
        if label == "ledger_lines":
            raise RuntimeError("the disk is full")
        real(self, spec, rows, label)

    monkeypatch.setattr(writing.Writer, "write", write)
    with pytest.raises(RuntimeError, match="the disk is full"):
        generate(patients=60, seed=9, end=END, threaded=True, rebuild_indexes=True)
    assert _all_indexes() == before
    assert Patient.objects.count() == patients_before
