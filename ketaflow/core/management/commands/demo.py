from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.core.demo import load_demo

BULK_THRESHOLD = 200


class Command(KetaflowCommand):
    help = "Load the demo clinic (two locations, staff personas, synthetic patients). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--patients", type=int, default=20, help="how many synthetic patients (default 20)"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed of the bulk history (above 200 patients)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] < 0:
            self.fail("--patients must be zero or more")
        if options["patients"] > BULK_THRESHOLD:
            self._bulk(options)
            return
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

    def _bulk(self, options: dict[str, Any]) -> None:
        """Large synthetic histories for scale tests, written in bulk with a progress bar (rows/s)."""
        from ketaflow.core.bulk import generate_with_progress

        load_demo(patients=20)
        summary = generate_with_progress(
            patients=options["patients"], seed=options["seed"], quiet=options["json"]
        )
        rows = ", ".join(f"{count:,} {table}" for table, count in summary["rows"].items())
        text = f"Created {rows} in {summary['seconds']} s ({summary['rows_per_second']:,} rows/s)."
        self.emit(summary, text, as_json=options["json"])
