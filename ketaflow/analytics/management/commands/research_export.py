"""``ketaflow research_export --format csv|fhir --out PATH``: the de-identified dataset (docs/research-export.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from ketaflow.analytics import research
from ketaflow.clinics.models import Location
from ketaflow.core.audit import Action, audit
from ketaflow.core.commands import KetaflowCommand


class Command(KetaflowCommand):
    help = "Write the de-identified research dataset as a zip of CSV tables or one FHIR R4 Bundle."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--format", choices=["csv", "fhir"], required=True)
        parser.add_argument("--out", required=True, help="file to write (.zip for csv, .json for fhir)")
        parser.add_argument(
            "--location", action="append", default=[], help="location slug (repeatable; default all)"
        )
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if out.exists() and not options["force"]:
            self.fail(f"{out} already exists (use --force to overwrite).")
        if not out.parent.is_dir():
            self.fail(f"The directory {out.parent} does not exist.")
        location_ids = None
        if options["location"]:
            found = dict(Location.objects.filter(slug__in=options["location"]).values_list("slug", "id"))
            unknown = sorted(set(options["location"]) - set(found))
            if unknown:
                self.fail(f"Unknown location: {', '.join(unknown)}.")
            location_ids = list(found.values())
        partial = out.with_name(out.name + ".partial")
        try:
            with partial.open("wb") as target:
                if options["format"] == "csv":
                    counts = research.write_csv_zip(target, location_ids=location_ids)
                else:
                    counts = research.write_fhir(target, location_ids=location_ids)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
        audit(
            Action.EXPORT,
            object_type="analytics.research_export",
            actor_label="research_export command",
            detail=f"research export {options['format']} ({research.EXPORT_VERSION}) to {out.name}: "
            + ", ".join(f"{k} {v}" for k, v in counts.items()),
        )
        summary = {"format": options["format"], "out": str(out), "rows": counts}
        text = f"Wrote {out} ({', '.join(f'{k}: {v}' for k, v in counts.items())})."
        self.emit(summary, text, as_json=options["json"])
