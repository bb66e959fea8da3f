"""``ketaflow backup --out FILE``: a consistent snapshot of the database and uploaded files (docs/backup.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser

from ketaflow.core.backup import BackupError, create_backup
from ketaflow.core.commands import KetaflowCommand


class Command(KetaflowCommand):
    help = (
        "Back up the database (consistent snapshot) and MEDIA_ROOT into one archive with a checksum manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--out", required=True, help="archive to write, e.g. backups/ketaflow-2026-11-25.tar.gz"
        )
        parser.add_argument(
            "--no-pg-dump",
            action="store_true",
            help="PostgreSQL: use dumpdata even when pg_dump is installed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            manifest = create_backup(
                out,
                db=settings.DATABASES["default"],
                media_root=Path(settings.MEDIA_ROOT),
                use_pg_dump=False if options["no_pg_dump"] else None,
            )
        except (BackupError, OSError) as exc:
            self.fail(str(exc))
        rows = sum(count for count, _digest in manifest["tables"].values())
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        summary = {
            "out": str(out),
            "engine": manifest["engine"],
            "method": manifest["method"],
            "tables": len(manifest["tables"]),
            "rows": rows,
            "media_files": media,
        }
        text = (
            f"Wrote {out}: {manifest['engine']} via {manifest['method']}, {len(manifest['tables'])} tables, "
            f"{rows} rows, {media} media files"
        )
        self.emit(summary, text, as_json=options["json"])
