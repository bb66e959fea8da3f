from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.scheduling.notifications import reminders_send_due


class Command(KetaflowCommand):
    help = "Send the appointment reminders that are due (idempotent; run from cron or with --every)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--every", type=int, default=0, help="keep running, sweeping every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["every"] < 0:
            self.fail("--every must be zero or more seconds")
        while True:
            sent = reminders_send_due()
            self.emit({"sent": sent}, f"{sent} reminder(s) sent", as_json=options["json"])
            if not options["every"]:
                return
            time.sleep(options["every"])
