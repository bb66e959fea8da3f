from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.core.demo import load_demo


class Command(KetaflowCommand):
    help = "Load the demo clinic (two locations, staff personas, synthetic patients). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--patients", type=int, default=20, help="how many synthetic patients (default 20)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] < 0:
            self.fail("--patients must be zero or more")
        summary = load_demo(patients=options["patients"])
        if options["json"]:
            self.emit(summary, as_json=True)
            return
        lines = [
            f"Demo clinic ready: {summary['clinic']} ({', '.join(summary['locations'])}), "  # type: ignore[arg-type]
            f"{summary['patients']} synthetic patients.",
            "",
            "Demo logins (password for all: " + str(summary["password"]) + "):",
        ]
        for staff in summary["staff"]:  # type: ignore[attr-defined]
            lines.append(f"  {staff['username']:<8} {staff['role']:<11} {', '.join(staff['locations'])}")
        lines.append("  pat      patient     (patient portal)")
        lines += [
            "",
            f"Staff TOTP secret (add to any authenticator app): {summary['totp_secret_base32']}",
            "Or print the current code with: .venv/bin/ketaflow totp_code nina",
        ]
        self.stdout.write("\n".join(lines))
