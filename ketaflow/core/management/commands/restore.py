"""``ketaflow restore FILE``: verify a backup's checksums, restore it into an empty database, verify again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.db import connections

from ketaflow.core.backup import BackupError, restore_backup
from ketaflow.core.commands import KetaflowCommand


class Command(KetaflowCommand):
    help = (
        "Restore a `ketaflow backup` archive into a new empty database (refuses corrupt or mismatched files)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", help="the archive written by `ketaflow backup`")
        parser.add_argument("--force", action="store_true", help="overwrite a database that is not empty")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            self.fail(f"{path} does not exist")
        connections.close_all()  # the restore writes through its own connections
        try:
            manifest = restore_backup(
                path,
                db=settings.DATABASES["default"],
                media_root=Path(settings.MEDIA_ROOT),
                force=options["force"],
            )
        except (BackupError, OSError) as exc:
            self.fail(str(exc))
        summary = {
            "file": str(path),
            "engine": manifest["engine"],
            "method": manifest["method"],
            "tables": len(manifest["tables"]),
            "created_at": manifest["created_at"],
        }
        self.emit(
            summary,
            f"Restored {path} ({manifest['method']}, made {manifest['created_at']}); every table verified",
            as_json=options["json"],
        )
