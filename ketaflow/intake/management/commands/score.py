"""``ketaflow score``: score a questionnaire from the command line.

    ketaflow score phq9 --answers 1,2,0,3,1,0,2,1,0 --json
    ketaflow score --list --json

Answers are comma-separated, one per item in item order. An unanswered item (or one skipped by the
instrument's skip logic, e.g. C-SSRS questions 3-5 after a "no" to question 2) is written as an empty
entry or ``-``: ``--answers=1,0,-,-,-,0,-`` (use the ``=`` form when the list starts with ``-``).
Malformed answers exit with code 2 and one line on stderr.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.domain import instruments

ANSWERS_REQUIRED = "give the answers with --answers, e.g. --answers 1,2,0,3 (or use --list)"
INSTRUMENT_REQUIRED = "name an instrument (see `ketaflow score --list`)"
ANSWER_NOT_A_NUMBER = "answer {position} is {text!r}: write a whole number, or leave it empty or '-'"


def parse_answers(text: str) -> list[int | None]:
    """Turn ``"1,,-,3"`` into ``[1, None, None, 3]``; raise ValueError with a one-line message."""
    parsed: list[int | None] = []
    for position, raw in enumerate(text.split(","), start=1):
        entry = raw.strip()
        if entry in ("", "-"):
            parsed.append(None)
            continue
        try:
            parsed.append(int(entry))
        except ValueError:
            raise ValueError(ANSWER_NOT_A_NUMBER.format(position=position, text=entry)) from None
    return parsed


class Command(KetaflowCommand):
    # Pure arithmetic over the domain library: no models, so Django's system checks are not needed.
    requires_system_checks: list[str] = []
    help = "Score a questionnaire or rating scale (PHQ-9, GAD-7, MADRS, C-SSRS, ...) from a list of answers."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("instrument", nargs="?", help="instrument id, e.g. phq9 (see --list)")
        parser.add_argument(
            "--answers",
            help="comma-separated answers in item order; empty or '-' for an unanswered or skipped item",
        )
        parser.add_argument(
            "--list", action="store_true", dest="list_instruments", help="list instrument ids"
        )
        parser.add_argument("--details", action="store_true", help="also print the details (subscales, ...)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = bool(options.get("json"))
        if options.get("list_instruments"):
            ids = instruments.instrument_ids()
            lines = [f"{i:<16} {instruments.get_instrument(i).title}" for i in ids]
            self.emit(ids, "\n".join(lines), as_json=as_json)
            return
        instrument_id = options.get("instrument")
        if not instrument_id:
            self.fail(INSTRUMENT_REQUIRED)
        if options.get("answers") is None:
            self.fail(ANSWERS_REQUIRED)
        try:
            answers = parse_answers(options["answers"])
            result = instruments.score(instrument_id, answers)
        except (ValueError, instruments.InstrumentError) as exc:
            self.fail(str(exc))
        data = result.as_dict() if options.get("details") else result.summary()
        self.emit(data, self._text(result), as_json=as_json)

    @staticmethod
    def _text(result: instruments.ScoreResult) -> str:
        details = ["not scored" if result.total is None else f"total {result.total}"]
        if result.band is not None:
            details.append(f"band {result.band}")
        if result.flags:
            details.append("flags " + ", ".join(result.flags))
        details.append("complete" if result.complete else "incomplete")
        return f"{result.instrument}: " + "; ".join(details)
