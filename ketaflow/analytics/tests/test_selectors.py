"""Each dashboard panel against a small hand-built dataset whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketaflow.analytics import selectors
from ketaflow.analytics.tests.builders import (
    START,
    at,
    consultation,
    course,
    filters,
    patient,
    score,
    session,
)
from ketaflow.clinics.models import Chair, Closure, OpeningHours
from ketaflow.outcomes.models import MeasurementRequest
from ketaflow.treatment.models import AdverseEvent


def _rows(panel: selectors.Panel, **match: Any) -> list[dict[str, Any]]:
    return [r for r in panel.rows if all(r.get(k) == v for k, v in match.items())]


def test_weekday_counts_cover_each_day_of_the_range_once() -> None:
    counts = selectors.weekday_counts(dt.date(2026, 3, 4), dt.date(2026, 3, 17))  # Wed .. Tue, 14 days
    assert counts == dict.fromkeys(range(7), 2)
    assert selectors.weekday_counts(dt.date(2026, 3, 6), dt.date(2026, 3, 8)) == {
        0: 0, 1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 6: 1
    }  # fmt: skip


def test_chair_utilisation_divides_booked_minutes_by_open_chair_minutes(clinic: Any) -> None:
    wdm = clinic.wdm
    OpeningHours.objects.filter(location=wdm).delete()
    Closure.objects.filter(location=wdm).delete()
    OpeningHours.objects.create(location=wdm, weekday=0, opens_at=dt.time(8), closes_at=dt.time(16))
    keep = list(Chair.objects.filter(location=wdm).order_by("id").values_list("id", flat=True)[:2])
    Chair.objects.filter(location=wdm).exclude(id__in=keep).update(is_active=False)
    # Monday 9 March is closed: one open Monday of 8 h × 2 chairs = 960 available minutes.
    Closure.objects.create(
        location=wdm, starts_on=dt.date(2026, 3, 9), ends_on=dt.date(2026, 3, 9), reason="x"
    )
    c = course(wdm, created=at("2026-01-05"))
    session(clinic, c, at("2026-03-02", 9), minutes=100, sequence=1)
    session(clinic, c, at("2026-03-02", 13), minutes=120, status="missed", sequence=2)  # held the chair
    session(clinic, c, at("2026-03-09", 9), minutes=100, status="cancelled", sequence=3)  # freed it
    session(clinic, c, at("2026-03-03", 9), minutes=60, sequence=4)  # Tuesday: closed, still booked
    session(clinic, c, at("2026-03-16", 9), minutes=100, sequence=5)  # after the range
    other = course(clinic.dsm, created=at("2026-01-05"))
    session(clinic, other, at("2026-03-02", 9))  # another location

    panel = selectors.chair_utilisation(filters(wdm))

    monday = _rows(panel, weekday="Monday")[0]
    assert monday["sessions"] == 2
    assert monday["booked_hours"] == round(220 / 60, 1)
    assert monday["available_hours"] == 16.0
    assert monday["utilisation_pct"] == round(100 * 220 / 960, 1)  # 22.9
    tuesday = _rows(panel, weekday="Tuesday")[0]
    assert tuesday["available_hours"] == 0 and tuesday["utilisation_pct"] is None
    assert {r["weekday"] for r in panel.rows} == {"Monday", "Tuesday"}
    assert {r["location"] for r in panel.rows} == {"West Des Moines"}


def test_no_shows_counts_sessions_and_consultations_separately(clinic: Any) -> None:
    wdm = clinic.wdm
    c = course(wdm, created=at("2026-01-05"))
    for n, status in enumerate(["discharged", "missed", "cancelled", "booked"], start=1):
        session(clinic, c, at("2026-03-03", 7 + 2 * n), status=status, sequence=n)
    session(clinic, c, at("2026-02-20"), status="missed", sequence=9)  # before the range
    for hour, status in ((9, "completed"), (10, "no_show"), (11, "cancelled"), (12, "held"), (13, "expired")):
        consultation(clinic, patient(wdm), at("2026-03-04", hour), status)

    panel = selectors.no_shows(filters(wdm))

    infusions = _rows(panel, kind="Infusion sessions")[0]
    assert (infusions["booked"], infusions["cancelled"], infusions["no_show"]) == (4, 1, 1)
    assert infusions["no_show_pct"] == 25.0
    consults = _rows(panel, kind="Consultations")[0]
    assert (consults["booked"], consults["cancelled"], consults["no_show"]) == (3, 1, 1)
    assert consults["cancelled_pct"] == 33.3


def test_drop_off_groups_courses_by_their_last_completed_infusion(clinic: Any) -> None:
    wdm = clinic.wdm
    stopped = course(wdm, created=at("2026-03-02"), status="stopped")
    for n in (1, 2, 3):
        session(clinic, stopped, at("2026-03-03") + dt.timedelta(days=n), sequence=n)
    session(clinic, stopped, at("2026-03-10"), sequence=4, status="missed")  # not completed
    ongoing = course(wdm, created=at("2026-03-03"))
    session(clinic, ongoing, at("2026-03-05"), sequence=1)
    session(clinic, ongoing, at("2026-03-20"), sequence=2, status="booked")
    course(wdm, created=at("2026-03-04"))  # never given
    done = course(wdm, created=at("2026-03-05"), status="completed")
    session(clinic, done, at("2026-03-06"), sequence=1)
    session(clinic, done, at("2026-03-07"), sequence=2, status="recovering")
    course(wdm, created=at("2026-02-01"), status="stopped")  # planned before the range

    panel = selectors.drop_off(filters(wdm))

    assert [(r["infusion"], r["reached"], r["stopped_here"], r["ended"]) for r in panel.rows] == [
        (0, 4, 1, 0),
        (1, 3, 1, 0),
        (2, 2, 1, 1),
        (3, 1, 1, 1),
    ]
    assert [r["reached_pct"] for r in panel.rows] == [100.0, 75.0, 50.0, 25.0]


def test_time_to_care_reports_nearest_rank_median_and_p90_in_days(clinic: Any) -> None:
    wdm = clinic.wdm
    quick = patient(wdm, created=at("2026-03-02"))
    consultation(clinic, quick, at("2026-03-05"), "completed")  # 3 days
    consultation(clinic, quick, at("2026-03-07"), "completed")  # a later one does not count
    c = course(wdm, who=quick)
    session(clinic, c, at("2026-03-12"))  # 10 days to the first infusion
    session(clinic, c, at("2026-03-14"), sequence=2)
    slow = patient(wdm, created=at("2026-03-03"))
    consultation(clinic, slow, at("2026-03-04"), "no_show")
    consultation(clinic, slow, at("2026-03-13"), "completed")  # 10 days
    session(clinic, course(wdm, who=slow), at("2026-03-20"), status="cancelled")  # never given
    patient(wdm, created=at("2026-03-04"))  # no consultation yet
    early = patient(wdm, created=at("2026-02-01"))  # first contact before the range
    consultation(clinic, early, at("2026-03-05"), "completed")

    panel = selectors.time_to_care(filters(wdm))

    consult, infusion = panel.rows
    assert (consult["patients"], consult["reached"], consult["median_days"], consult["p90_days"]) == (
        3,
        2,
        3.0,
        10.0,
    )
    assert (infusion["reached"], infusion["median_days"], infusion["p90_days"]) == (1, 10.0, 10.0)
    assert infusion["reached_pct"] == 33.3


def test_response_rates_apply_the_domain_thresholds_per_protocol(clinic: Any) -> None:
    wdm = clinic.wdm

    def treated(baseline: float | None, followups: list[float], *, slug: str = "iv-depression-standard",
                instrument: str = "phq9", baseline_days_before: int = 1) -> None:  # fmt: skip
        c = course(wdm, slug=slug, created=at("2026-03-02"))
        session(clinic, c, at("2026-03-05"))
        if baseline is not None:
            score(c.patient, instrument, at("2026-03-05") - dt.timedelta(days=baseline_days_before), baseline)
        for n, value in enumerate(followups, start=1):
            score(c.patient, instrument, at("2026-03-05") + dt.timedelta(days=7 * n), value)

    treated(20, [6, 8])  # latest 8 of 20: 60% better → response, not remission
    treated(18, [12, 4])  # latest 4 → remission (≤ 4) and response
    treated(15, [3], baseline_days_before=20)  # baseline outside the 14-day window → not assessable
    treated(20, [12])  # 40% → no response
    treated(None, [])  # nothing measured
    treated(8, [5], slug="iv-pain-crps-4h", instrument="nrs")  # 37.5% → pain ≥ 30% only
    treated(8, [4], slug="iv-pain-crps-4h", instrument="nrs")  # 50% → pain response
    treated(8, [9], slug="iv-pain-crps-4h", instrument="phq9")  # wrong instrument for pain

    panel = selectors.response_rates(filters(wdm))

    depression = _rows(panel, measure="PHQ-9")[0]
    assert (depression["courses"], depression["assessable"]) == (5, 3)
    assert (depression["response"], depression["remission"]) == (2, 1)
    assert (depression["response_pct"], depression["remission_pct"]) == (66.7, 33.3)
    pain = _rows(panel, measure="NRS pain")[0]
    assert (pain["courses"], pain["assessable"], pain["response"], pain["partial"]) == (3, 2, 1, 2)
    assert pain["remission"] == ""
    assert len(panel.rows) == 2  # the esketamine protocol has no course here


def test_adverse_events_are_per_100_given_sessions(clinic: Any) -> None:
    wdm = clinic.wdm
    c = course(wdm, created=at("2026-01-05"))
    given = [session(clinic, c, at("2026-03-02") + dt.timedelta(days=n), sequence=n + 1) for n in range(4)]
    missed = session(clinic, c, at("2026-03-10"), status="missed", sequence=9)
    nina = clinic.user("nina")

    def event(s: Any, kind: str, severity: str) -> None:
        AdverseEvent.objects.create(
            session=s, kind=kind, severity=severity, occurred_at=s.starts_at, recorded_by=nina
        )

    event(given[0], "nausea", "mild")
    event(given[0], "nausea", "mild")
    event(given[1], "nausea", "mild")
    event(given[2], "hypertension", "moderate")
    event(missed, "anxiety", "mild")  # not a given session

    panel = selectors.adverse_events(filters(wdm))

    assert panel.note.startswith("4 sessions given")
    nausea = _rows(panel, kind="Nausea or vomiting")[0]
    assert (nausea["events"], nausea["sessions_affected"], nausea["per_100"]) == (3, 2, 75.0)
    assert _rows(panel, kind="Hypertension")[0]["per_100"] == 25.0
    assert not _rows(panel, kind="Anxiety")


def test_rems_forms_on_time_use_the_clinic_local_session_date(clinic: Any) -> None:
    wdm = clinic.wdm
    c = course(wdm, slug="esketamine-trd", created=at("2026-01-05"))
    session(clinic, c, at("2026-03-02", 22), pmf=dt.date(2026, 3, 9), sequence=1)  # 7 days → on time
    # 22:00 in Chicago on 3 March is 4 March in UTC: 8 days late locally, 7 in UTC — late is right.
    session(clinic, c, at("2026-03-03", 22), pmf=dt.date(2026, 3, 11), sequence=2)
    session(clinic, c, at("2026-03-04"), sequence=3)  # due 11 March, today 12 March → overdue
    session(clinic, c, at("2026-03-05"), sequence=4)  # due 12 March = today → not yet overdue
    session(clinic, c, at("2026-03-06"), sequence=5, status="cancelled")
    iv = course(wdm, created=at("2026-01-05"))
    session(clinic, iv, at("2026-03-02"))  # IV ketamine: no REMS form

    panel = selectors.rems_on_time(filters(wdm), today=dt.date(2026, 3, 12))

    row = panel.rows[0]
    assert (row["sessions"], row["on_time"], row["late"], row["missing"], row["pending"]) == (4, 1, 1, 1, 1)
    assert row["on_time_pct"] == 33.3


def test_measurement_completion_counts_completed_over_completed_and_expired(clinic: Any) -> None:
    wdm = clinic.wdm
    c = course(wdm, created=at("2026-01-05"))
    statuses = ["completed", "completed", "completed", "expired", "sent", "cancelled"]
    for n, status in enumerate(statuses):
        due = at("2026-03-03") + dt.timedelta(hours=n)
        MeasurementRequest.objects.create(
            patient=c.patient, course=c, instrument="phq9", due_at=due, expires_at=due + dt.timedelta(days=3),
            status=status, timepoints=["pre_infusion"],
        )  # fmt: skip
    MeasurementRequest.objects.create(
        patient=c.patient, course=c, instrument="gad7", due_at=at("2026-04-03"), expires_at=at("2026-04-06"),
        status="expired", timepoints=["pre_infusion"],
    )  # fmt: skip

    panel = selectors.measurement_completion(filters(wdm))

    assert panel.rows == [
        {"location": "West Des Moines", "instrument": "phq9", "timepoint": "pre infusion", "completed": 3,
         "expired": 1, "completion_pct": 75.0}
    ]  # fmt: skip


def test_panels_only_count_the_chosen_locations(clinic: Any) -> None:
    for location in (clinic.wdm, clinic.dsm):
        c = course(location, created=at(START))
        session(clinic, c, at("2026-03-03"), status="missed")
    only_dsm = selectors.no_shows(filters(clinic.dsm))
    assert [r["location"] for r in only_dsm.rows] == ["Des Moines", "Des Moines"]
    assert _rows(only_dsm, kind="Infusion sessions")[0]["no_show"] == 1
    both = selectors.drop_off(filters(clinic.wdm, clinic.dsm))
    assert both.rows[0]["reached"] == 2
