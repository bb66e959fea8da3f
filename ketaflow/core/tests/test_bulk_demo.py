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

from ketaflow.core.bulk_demo import generate
from ketaflow.core.demo import load_demo
from ketaflow.domain import instruments
from ketaflow.domain import ledger as dl
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.ledger.demo import load_demo_ledger
from ketaflow.ledger.models import Container, LedgerLine, StockBalance
from ketaflow.ledger.services import domain_container, domain_entry
from ketaflow.outcomes.models import MeasurementRequest
from ketaflow.patients.models import Patient
from ketaflow.scheduling.models import Appointment
from ketaflow.treatment.models import AdverseEvent, Course, DoseOrder, InfusionSession, VitalsReading

KETAFLOW = str(Path(sys.executable).with_name("ketaflow"))
END = dt.date(2026, 11, 25)


def _fk_violations() -> list[Any]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_key_check")
            return list(cursor.fetchall())
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # raises on any pending violation
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return []


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
    for instrument, answers, result in responses.values_list("instrument", "answers", "result"):
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
    lines = list(LedgerLine.objects.select_related("corrects").order_by("id"))
    assert {line.kind for line in lines} >= {"receipt", "draw", "administration"}
    # Replayed by the domain from empty containers, every line is accepted and ends where the rows are.
    initial = []
    for container in Container.objects.select_related("product", "lot"):
        container.on_hand, container.in_use, container.state, container.received = (
            Decimal(0),
            {},
            "sealed",
            False,
        )
        initial.append(domain_container(container))
    state = dl.replay(initial, [domain_entry(line) for line in lines])
    assert all(report.holds for report in dl.identity_report(state))
    stored = {str(c.pk): c for c in Container.objects.all()}
    for key, replayed in state.containers.items():
        assert replayed.on_hand == stored[key].on_hand
        assert replayed.in_use_total == sum((Decimal(q) for q in stored[key].in_use.values()), Decimal(0))
        assert replayed.state.value == stored[key].state
    # Per product and location: the chain of balances is unbroken and ends at the running balance.
    last: dict[tuple[int, int], LedgerLine] = {}
    for line in lines:
        key = (line.location_id, line.product_id)
        if key in last:
            assert line.product_before == last[key].product_after
        assert line.product_after >= 0 and line.container_after >= 0
        last[key] = line
    for balance in StockBalance.objects.all():
        assert balance.on_hand >= 0 and balance.in_use >= 0
        assert (
            balance.on_hand + balance.in_use == last[(balance.location_id, balance.product_id)].product_after
        )
        held = Container.objects.filter(location=balance.location, product=balance.product)
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


def test_negative_patient_count_exits_2_with_one_line() -> None:
    env = {**os.environ, "KETAFLOW_TESTING": "1"}
    result = subprocess.run(
        [KETAFLOW, "demo", "--patients", "-3"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --patients must be zero or more"
