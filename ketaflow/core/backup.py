"""Consistent backups of the database and uploaded files, and verified restores (docs/backup.md).

An archive is a gzipped tar with ``manifest.json`` (engine, method, applied migrations, row counts and a
SHA-256 fingerprint per table, a SHA-256 per member), the database snapshot and ``media/``.

- SQLite: the sqlite3 online backup API copies a consistent snapshot while the site runs.
- PostgreSQL: ``pg_dump -Fc`` when it is installed, run on a snapshot exported from a REPEATABLE READ
  transaction in which the manifest's row counts are taken too, so both see the same instant. Without
  pg_dump: Django ``dumpdata`` inside one REPEATABLE READ transaction.

Restore checks every member's SHA-256 and the manifest before touching anything, refuses a non-empty target
unless forced, and after restoring compares every table's row count and fingerprint with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FORMAT = "ketaflow-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"

NOT_A_BACKUP = "{path} is not a Ketaflow backup (no readable manifest)"
CORRUPT = "{path} is corrupt: checksum mismatch for {member}"
MISSING_MEMBER = "{path} is incomplete: {member} is missing"
WRONG_ENGINE = "{path} holds a {engine} backup; this site uses {current}"
UNKNOWN_MIGRATION = "{path} was made by a newer Ketaflow (unknown migration {migration}); upgrade first"
NOT_EMPTY = (
    "the target database is not empty ({tables} tables); restore into a new empty database or pass --force"
)
VERIFY_FAILED = "restore finished but table {table} differs from the backup ({detail})"
UNSAFE_MEMBER = "{path} contains an unsafe path: {member}"


class BackupError(Exception):
    """One readable line, shown by the commands with exit code 2."""


def engine_of(db: dict[str, Any]) -> str:
    engine = db["ENGINE"]
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"unsupported database engine {engine}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- table fingerprints (row counts and checksums) -------------------------------------------------


def _fingerprint_rows(cursor: Any, table: str, quote: str) -> tuple[int, str]:
    cursor.execute(f"SELECT * FROM {quote}{table}{quote}")  # noqa: S608 - table names come from the catalogue
    rows = sorted(repr(tuple(_normal(v) for v in row)) for row in cursor.fetchall())
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return len(rows), digest


def _normal(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    return value


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def sqlite_fingerprints(path: Path) -> dict[str, list[Any]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.cursor()
        return {t: list(_fingerprint_rows(cursor, t, '"')) for t in sqlite_tables(conn)}
    finally:
        conn.close()


def _pg_connect(db: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )


def pg_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [r[0] for r in cursor.fetchall()]


def pg_fingerprints_in(cursor: Any) -> dict[str, list[Any]]:
    return {t: list(_fingerprint_rows(cursor, t, '"')) for t in pg_tables(cursor)}


def fingerprints(db: dict[str, Any]) -> dict[str, list[Any]]:
    """{table: [row count, sha256 of the sorted rows]} for every table of the database."""
    if engine_of(db) == "sqlite":
        return sqlite_fingerprints(Path(db["NAME"]))
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        return pg_fingerprints_in(cursor)


def media_checksums(media_root: Path) -> dict[str, str]:
    if not media_root.exists():
        return {}
    return {
        str(p.relative_to(media_root)): sha256_file(p) for p in sorted(media_root.rglob("*")) if p.is_file()
    }


# --- backup ----------------------------------------------------------------------------------------


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict[str, Any]) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


def _backup_sqlite(db: dict[str, Any], workdir: Path) -> tuple[str, str, dict[str, list[Any]]]:
    target = workdir / "database.sqlite3"
    source = sqlite3.connect(str(db["NAME"]), timeout=30)
    dest = sqlite3.connect(str(target))
    try:
        source.backup(dest)  # the online backup API: a consistent copy while writers continue
    finally:
        dest.close()
        source.close()
    return "database.sqlite3", "sqlite-backup-api", sqlite_fingerprints(target)


def _backup_postgresql(
    db: dict[str, Any], workdir: Path, use_pg_dump: bool
) -> tuple[str, str, dict[str, list[Any]]]:
    with _pg_connect(db) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            if use_pg_dump:
                target = workdir / "database.pgdump"
                done = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                    [
                        shutil.which("pg_dump") or "pg_dump",
                        "-Fc",
                        "--no-owner",
                        "--no-privileges",
                        f"--snapshot={snapshot}",
                        *_pg_args(db),
                        "-f",
                        str(target),
                        str(db["NAME"]),
                    ],
                    env=_pg_env(db),
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    raise BackupError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1:]}")
                tables = pg_fingerprints_in(cursor)
                return "database.pgdump", "pg_dump", tables
            tables = pg_fingerprints_in(cursor)
        conn.rollback()
    # Fallback: dumpdata in one REPEATABLE READ transaction through Django (same snapshot for every model).
    target = workdir / "database.json"
    _dumpdata(target)
    return "database.json", "dumpdata", tables


def _dumpdata(target: Path) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with target.open("w") as out:
            call_command(
                "dumpdata",
                "--natural-foreign",
                "--natural-primary",
                "--exclude=contenttypes",
                "--exclude=auth.permission",
                "--exclude=sessions",
                stdout=out,
            )


def applied_migrations(db: dict[str, Any]) -> list[str]:
    query = "SELECT app, name FROM django_migrations ORDER BY app, name"
    if engine_of(db) == "sqlite":
        conn = sqlite3.connect(f"file:{db['NAME']}?mode=ro", uri=True)
        try:
            return [f"{a}.{n}" for a, n in conn.execute(query).fetchall()]
        finally:
            conn.close()
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        cursor.execute(query)
        return [f"{a}.{n}" for a, n in cursor.fetchall()]


def create_backup(
    out: Path, *, db: dict[str, Any], media_root: Path, use_pg_dump: bool | None = None
) -> dict[str, Any]:
    """Write a backup archive to ``out``; returns the manifest."""
    engine = engine_of(db)
    if use_pg_dump is None:
        use_pg_dump = shutil.which("pg_dump") is not None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if engine == "sqlite":
            member, method, tables = _backup_sqlite(db, workdir)
        else:
            member, method, tables = _backup_postgresql(db, workdir, use_pg_dump)
        files = {member: sha256_file(workdir / member)}
        media = media_checksums(media_root)
        files.update({MEDIA_PREFIX + name: digest for name, digest in media.items()})
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "engine": engine,
            "method": method,
            "database": member,
            "migrations": applied_migrations(db),
            "tables": tables,
            "files": files,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(workdir / member, arcname=member)
            for name in media:
                archive.add(media_root / name, arcname=MEDIA_PREFIX + name)
        partial.replace(out)  # never leave a half-written archive under the final name
    return manifest


# --- restore ---------------------------------------------------------------------------------------


def _safe(name: str) -> bool:
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts


@contextmanager
def open_verified(path: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """Extract ``path`` to a temporary directory after checking it; yields (manifest, directory)."""
    if not tarfile.is_tarfile(path):
        raise BackupError(NOT_A_BACKUP.format(path=path))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        try:
            with tarfile.open(path, "r:gz") as archive:
                for member in archive.getmembers():
                    if not _safe(member.name) or not (member.isfile() or member.isdir()):
                        raise BackupError(UNSAFE_MEMBER.format(path=path, member=member.name))
                archive.extractall(workdir, filter="data")
            manifest = json.loads((workdir / MANIFEST).read_text())
        except (OSError, tarfile.TarError, ValueError, EOFError) as exc:
            raise BackupError(NOT_A_BACKUP.format(path=path)) from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(NOT_A_BACKUP.format(path=path))
        if manifest.get("version") != FORMAT_VERSION:
            raise BackupError(f"{path} has backup format version {manifest.get('version')}; expected 1")
        for member, digest in manifest.get("files", {}).items():
            target = workdir / member
            if not _safe(member) or not target.is_file():
                raise BackupError(MISSING_MEMBER.format(path=path, member=member))
            if sha256_file(target) != digest:
                raise BackupError(CORRUPT.format(path=path, member=member))
        yield manifest, workdir


def _known_migrations() -> set[str]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def _existing_tables(db: dict[str, Any]) -> list[str]:
    if engine_of(db) == "sqlite":
        path = Path(db["NAME"])
        if not path.exists() or path.stat().st_size == 0:
            return []
        conn = sqlite3.connect(str(path))
        try:
            return sqlite_tables(conn)
        finally:
            conn.close()
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        return pg_tables(cursor)


def _restore_sqlite(db: dict[str, Any], source: Path) -> None:
    target = Path(db["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source))
    dest = sqlite3.connect(str(target), timeout=30)
    try:
        src.backup(dest)  # replaces the whole target database, page by page, under its lock
    finally:
        dest.close()
        src.close()


def _restore_pg_dump(db: dict[str, Any], source: Path, force: bool) -> None:
    done = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        [
            shutil.which("pg_restore") or "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *(["--clean", "--if-exists"] if force else []),
            *_pg_args(db),
            "-d",
            str(db["NAME"]),
            str(source),
        ],
        env=_pg_env(db),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise BackupError(f"pg_restore failed: {last}")


def _restore_dumpdata(source: Path) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("loaddata", str(source), verbosity=0)


def restore_backup(
    path: Path, *, db: dict[str, Any], media_root: Path, force: bool = False
) -> dict[str, Any]:
    """Restore ``path`` into the (empty) database ``db`` and ``media_root``; returns the manifest."""
    with open_verified(path) as (manifest, workdir):
        current = engine_of(db)
        method = manifest.get("method")
        if method != "dumpdata" and manifest.get("engine") != current:
            raise BackupError(WRONG_ENGINE.format(path=path, engine=manifest.get("engine"), current=current))
        known = _known_migrations()
        for migration in manifest.get("migrations", []):
            if migration not in known:
                raise BackupError(UNKNOWN_MIGRATION.format(path=path, migration=migration))
        existing = _existing_tables(db)
        if existing and not force:
            raise BackupError(NOT_EMPTY.format(tables=len(existing)))
        database = workdir / manifest["database"]
        if method == "sqlite-backup-api":
            _restore_sqlite(db, database)
        elif method == "pg_dump":
            if shutil.which("pg_restore") is None:
                raise BackupError("this backup needs pg_restore, which is not installed")
            _restore_pg_dump(db, database, force)
        else:
            _restore_dumpdata(database)
        media_root.mkdir(parents=True, exist_ok=True)
        for member in manifest["files"]:
            if member.startswith(MEDIA_PREFIX):
                target = media_root / member[len(MEDIA_PREFIX) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(workdir / member, target)
        if method != "dumpdata":  # dumpdata leaves migrate-created rows (content types): counts differ
            restored = fingerprints(db)
            for table, expected in manifest["tables"].items():
                got = restored.get(table)
                if got != expected:
                    raise BackupError(
                        VERIFY_FAILED.format(table=table, detail=f"expected {expected}, got {got}")
                    )
    return manifest
