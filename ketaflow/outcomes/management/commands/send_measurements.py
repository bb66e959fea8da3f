from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.outcomes.services import outcomes_send_due


class Command(KetaflowCommand):
    help = (
        "Send due questionnaire links and next-day check-ins, one reminder before expiry, expire closed "
        "windows and escalate unacknowledged urgent tasks (idempotent; run from cron or with --every)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--every", type=int, default=0, help="keep running, sweeping every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["every"] < 0:
            self.fail("--every must be zero or more seconds")
        while True:
            counts = outcomes_send_due()
            text = ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())
            self.emit(counts, text, as_json=options["json"])
            if not options["every"]:
                return
            time.sleep(options["every"])
