"""Property: for any infusion calendar, one instrument's windows never overlap and each window is non-empty."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.outcomes import Pathway, ScheduledCourse, default_plan, measurement_schedule

from .trajectories import at

infusion_days = st.lists(st.integers(0, 60), min_size=1, max_size=12, unique=True)


@given(
    days=infusion_days,
    hours=st.integers(0, 12),
    pathway=st.sampled_from(list(Pathway)),
    qids=st.booleans(),
    follow_up_days=st.none() | st.integers(0, 200),
)
def test_windows_of_one_instrument_never_overlap(
    days: list[int], hours: int, pathway: Pathway, qids: bool, follow_up_days: int | None
) -> None:
    infusions = tuple(at(d) + timedelta(hours=hours) for d in sorted(days))
    induction_end = infusions[min(5, len(infusions) - 1)] + timedelta(days=1)
    ends = max(infusions[-1], induction_end) + timedelta(days=1)
    course = ScheduledCourse(
        course_id="c",
        infusions=infusions,
        induction_ends_at=induction_end,
        ends_at=ends,
        follow_up_until=None if follow_up_days is None else ends + timedelta(days=follow_up_days),
    )
    schedule = measurement_schedule(course, default_plan(pathway, include_qids=qids))
    assert schedule == sorted(schedule, key=lambda d: (d.due_at, d.instrument_id))
    last_expiry: dict[str, object] = {}
    for item in schedule:
        assert item.due_at < item.expires_at
        previous = last_expiry.get(item.instrument_id)
        if previous is not None:
            assert item.due_at >= previous  # type: ignore[operator]
        last_expiry[item.instrument_id] = item.expires_at
    # Every infusion keeps a pre-infusion measure of the pathway's main instrument expiring at its start.
    main = "phq9" if pathway is Pathway.DEPRESSION else "nrs"
    expiries = {d.expires_at for d in schedule if d.instrument_id == main}
    assert all(start in expiries for start in infusions)
