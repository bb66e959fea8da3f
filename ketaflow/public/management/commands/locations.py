"""``ketaflow locations nearest --zip 50266 [--json]``: active locations nearest first, in miles.

Great-circle distance from the ZIP code's centroid (``zipcodes`` package) to each active location's
coordinates, via ``ketaflow.domain.geo``. An invalid or unknown ZIP is one line on stderr and exit code 2.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ketaflow.core.commands import KetaflowCommand
from ketaflow.domain import geo
from ketaflow.public.selectors import nearest_to_zip


class Command(KetaflowCommand):
    help = (
        "Clinic locations: `nearest --zip ZIP` lists active locations nearest first with distances in miles."
    )
    json_output = False  # --json lives on the subcommand so it can follow the subcommand's options

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{nearest}")
        nearest = sub.add_parser("nearest", help="active locations nearest to a US ZIP code")
        nearest.add_argument("--zip", dest="zip_code", required=True, help="5-digit US ZIP code, e.g. 50266")
        nearest.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = nearest_to_zip(options["zip_code"])
        except geo.GeoError as error:
            self.fail(str(error))
        lines = [f"Nearest to ZIP {data['zip']}:"]
        lines += [
            f"{rank}. {item['name']}: {item['distance_miles']:.2f} miles"
            for rank, item in enumerate(data["locations"], start=1)
        ]
        if not data["locations"]:
            lines.append("(no active locations)")
        self.emit(data, "\n".join(lines), as_json=options["json"])
