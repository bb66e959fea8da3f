"""Questionnaires along one symptom trajectory per course, and the measurement requests that asked for them."""

from __future__ import annotations

import math
import random

from ketaflow.core.bulk.context import (
    Batch,
    BulkContext,
    Scores,
)


# -- questionnaires and the requests that asked for them -----------------------------------------------------------
class Trajectory:
    """A course's symptom scores: improve towards a plateau, may relapse after the course ends.

    Depression courses score PHQ-9 (and GAD-7 alongside); pain courses NRS (and PEG-3 alongside).
    """

    def __init__(self, rng: random.Random, pain: bool, plateau: float) -> None:
        self.rng = rng
        self.pain = pain
        self.plateau = plateau
        self.base = rng.randint(6, 9) if pain else min(27, max(12, round(rng.gauss(19, 3.5))))
        self.end: int | None = None
        self.relapse_after: int | None = None

    def course_end(self, end: int, relapse_after: int | None) -> None:
        self.end, self.relapse_after = end, relapse_after

    def level(self, days: int) -> float:
        base = self.base
        x = max(days, 0)
        level = base * (1 - (1 - self.plateau) * (1 - math.exp(-x / 10)))
        if self.end is not None and self.relapse_after is not None and x > self.end + self.relapse_after:
            level += (base * 0.95 - level) * (1 - math.exp(-(x - self.end - self.relapse_after) / 21))
        return level

    def primary(self, scores: Scores, days: int) -> tuple[str, str, str]:
        rng = self.rng
        if self.pain:
            total = max(0, min(10, round(self.level(days) + (rng.random() - 0.5) * 2)))
            return ("nrs", *scores.table["nrs"][total])
        total = max(0, min(27, round(self.level(days) + (rng.random() - 0.5) * 4)))
        if total >= 15 and rng.random() < 0.08:
            return ("phq9", *scores.phq9_item9[total])
        return ("phq9", *scores.table["phq9"][total])

    def secondary(self, scores: Scores, days: int) -> tuple[str, str, str]:
        rng = self.rng
        if self.pain:
            total = max(0, min(10, round(self.level(days) * 0.9 + (rng.random() - 0.5) * 2)))
            return ("peg3", *scores.table["peg3"][total])
        total = max(0, min(21, round(self.level(days) * 0.7 + (rng.random() - 0.5) * 4)))
        return ("gad7", *scores.table["gad7"][total])


BASELINE, PRE_INFUSION, FOLLOW_UP = '["baseline"]', '["pre_infusion"]', '["follow_up"]'
EMAIL = '["email"]'


def _answer(ctx: BulkContext, batch: Batch, pid: int, scored: tuple[str, str, str], at: int) -> int:
    qid = ctx.take("questionnaires")
    when = ctx.clock.text(at)
    instrument, answers, result = scored
    batch.add(
        "questionnaires",
        (
            qid,
            ctx.uuid("questionnaires", qid),
            when,
            when,
            pid,
            instrument,
            answers,
            result,
            ctx.scores.version,
            when,
        ),
    )
    return qid


def _request(
    ctx: BulkContext,
    batch: Batch,
    pid: int,
    cid: int,
    sid: int | None,
    instrument: str,
    timepoints: str,
    due: int,
    expires: int,
    status: str,
    completed: int | None,
    response: int | None,
) -> None:
    text = ctx.clock.text
    mid = ctx.take("measurement_requests")
    batch.add(
        "measurement_requests",
        (
            mid,
            ctx.uuid("measurement_requests", mid),
            text(due),
            text(completed if completed is not None else expires),
            pid,
            cid,
            sid,
            instrument,
            timepoints,
            text(due),
            text(expires),
            status,
            EMAIL if status != "cancelled" else "[]",
            text(due) if status != "cancelled" else None,
            text(completed) if completed is not None else None,
            response,
        ),
    )


def pre_infusion_request(
    ctx: BulkContext,
    batch: Batch,
    pid: int,
    cid: int,
    sid: int,
    starts: int,
    scale: Trajectory,
    days: int,
    status: str,
) -> None:
    """The primary score the day before each infusion (PHQ-9 or NRS), answered before arriving (most of the time)."""
    rng = ctx.rng
    scored = scale.primary(ctx.scores, days)
    due = starts - 1440
    if status == "completed" and rng.random() < 0.07:
        status = "expired"
    if status != "completed":
        _request(ctx, batch, pid, cid, sid, scored[0], PRE_INFUSION, due, starts, status, None, None)
        return
    at = starts - rng.randint(30, 900)
    qid = _answer(ctx, batch, pid, scored, at)
    _request(ctx, batch, pid, cid, sid, scored[0], PRE_INFUSION, due, starts, "completed", at, qid)


def baseline(ctx: BulkContext, batch: Batch, pid: int, cid: int, first_start: int, scale: Trajectory) -> None:
    rng = ctx.rng
    due = first_start - 7 * 1440
    for scored in (scale.primary(ctx.scores, -7), scale.secondary(ctx.scores, -7)):
        at = due + rng.randint(60, 5 * 1440)
        qid = _answer(ctx, batch, pid, scored, at)
        _request(ctx, batch, pid, cid, None, scored[0], BASELINE, due, first_start, "completed", at, qid)


def follow_up(
    ctx: BulkContext, batch: Batch, pid: int, cid: int, due: int, scale: Trajectory, days: int, stopped: bool
) -> None:
    rng = ctx.rng
    expires = due + 3 * 1440
    answered = rng.random() < (0.55 if stopped else 0.8)
    for scored in (scale.primary(ctx.scores, days), scale.secondary(ctx.scores, days)):
        if not answered:
            _request(ctx, batch, pid, cid, None, scored[0], FOLLOW_UP, due, expires, "expired", None, None)
            continue
        at = due + rng.randint(30, 3 * 1440 - 1)
        qid = _answer(ctx, batch, pid, scored, at)
        _request(ctx, batch, pid, cid, None, scored[0], FOLLOW_UP, due, expires, "completed", at, qid)
