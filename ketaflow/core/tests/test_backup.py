"""Backup → new empty database → restore: every table (row count and checksum) and every file equal.

SQLite runs in process on the test database; PostgreSQL runs the real commands against a fresh database on
the local server (skipped when none is reachable), or in process when the suite itself runs on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ketaflow.core.backup import (
    BackupError,
    create_backup,
    fingerprints,
    media_checksums,
    restore_backup,
)

KETAFLOW = Path(sys.executable).parent / "ketaflow"
PG_URL = os.environ.get("KETAFLOW_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _media(root: Path) -> None:
    (root / "patient-documents").mkdir(parents=True, exist_ok=True)
    (root / "patient-documents" / f"{uuid.uuid4()}.pdf").write_bytes(
        b"%PDF-1.4 synthetic\n" + os.urandom(2048)
    )
    (root / "consents").mkdir(exist_ok=True)
    (root / "consents" / "signed.pdf").write_bytes(b"%PDF-1.4 consent\n")


def _pg_admin() -> Any:
    import psycopg

    try:
        conn = psycopg.connect(
            PG_URL.replace("postgres://", "postgresql://"), autocommit=True, connect_timeout=3
        )
    except Exception:  # noqa: BLE001 - no server: the PostgreSQL test is skipped
        return None
    return conn


def _pg_settings(name: str) -> dict[str, Any]:
    import dj_database_url

    base = dj_database_url.parse(PG_URL)
    return {**base, "NAME": name}


def _new_empty(tmp_path: Path, engine: str) -> tuple[dict[str, Any], Any]:
    if engine == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}, None
    admin = _pg_admin()
    name = f"kf_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return _pg_settings(name), (admin, name)


def _drop(handle: Any) -> None:
    if handle:
        admin, name = handle
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.xdist_group("backup")
def test_round_trip_in_process_on_the_test_database(
    transactional_db: Any, clinic: Any, tmp_path: Path
) -> None:
    source = dict(connection.settings_dict)
    engine = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    media = tmp_path / "media"
    _media(media)
    archive = tmp_path / "backup.tar.gz"
    manifest = create_backup(archive, db=source, media_root=media)
    assert manifest["method"] in {"sqlite-backup-api", "pg_dump"}
    assert manifest["tables"]["patients_patient"][0] == 6

    target, handle = _new_empty(tmp_path, engine)
    try:
        restored_media = tmp_path / "restored-media"
        restore_backup(archive, db=target, media_root=restored_media)
        assert fingerprints(target) == fingerprints(source)
        assert media_checksums(restored_media) == media_checksums(media)
        assert len(media_checksums(media)) == 2
    finally:
        _drop(handle)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KETAFLOW), *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.xdist_group("backup")
def test_round_trip_with_the_commands_on_postgresql(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    admin = _pg_admin()
    if admin is None:
        pytest.skip("no PostgreSQL server reachable at KETAFLOW_TEST_PG_URL")
    source_name = f"kf_backup_src_{os.getpid()}"
    target_name = f"kf_backup_dst_{os.getpid()}"
    for name in (source_name, target_name):
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    media = tmp_path / "media"
    _media(media)
    env = {**os.environ, "DEBUG": "1", "KETAFLOW_VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": str(media)}
    source_env = {**env, "DATABASE_URL": f"{base}/{source_name}"}
    target_media = tmp_path / "restored-media"
    target_env = {**env, "DATABASE_URL": f"{base}/{target_name}", "MEDIA_ROOT": str(target_media)}
    archive = tmp_path / "pg.tar.gz"
    try:
        assert _run("migrate", "-v", "0", env=source_env).returncode == 0
        assert _run("demo", "--patients", "2", env=source_env).returncode == 0
        done = _run("backup", "--out", str(archive), "--json", env=source_env)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["method"] == "pg_dump"
        assert summary["media_files"] == 2
        done = _run("restore", str(archive), env=target_env)
        assert done.returncode == 0, done.stderr
        assert fingerprints(_pg_settings(target_name)) == fingerprints(_pg_settings(source_name))
        assert media_checksums(target_media) == media_checksums(media)
        again = _run("restore", str(archive), env=target_env)
        assert again.returncode == 2
        assert again.stderr.strip().splitlines() == [again.stderr.strip()]
        assert "not empty" in again.stderr
    finally:
        for name in (source_name, target_name):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _rewrite(archive: Path, out: Path, change: Any) -> None:
    """Copy ``archive`` to ``out`` with ``change(name, bytes) -> bytes`` applied to each member."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            data = change(member.name, data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.fixture
def sqlite_backup(tmp_path: Path) -> Path:
    import sqlite3

    db = tmp_path / "source.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE django_migrations (id integer primary key, app text, name text, applied text)")
    conn.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('core', '0001_initial', 'now')")
    conn.commit()
    conn.close()
    media = tmp_path / "media"
    _media(media)
    archive = tmp_path / "small.tar.gz"
    create_backup(archive, db={"ENGINE": "django.db.backends.sqlite3", "NAME": str(db)}, media_root=media)
    return archive


def _target(tmp_path: Path) -> dict[str, Any]:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "target.sqlite3")}


def test_a_corrupt_member_is_refused_before_anything_is_written(sqlite_backup: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar.gz"
    _rewrite(
        sqlite_backup, bad, lambda name, data: data[:-1] + b"X" if name.startswith("media/consents") else data
    )
    with pytest.raises(BackupError, match="corrupt: checksum mismatch for media/consents/signed.pdf"):
        restore_backup(bad, db=_target(tmp_path), media_root=tmp_path / "m")
    assert not (tmp_path / "target.sqlite3").exists()


def test_a_backup_of_another_engine_is_refused(sqlite_backup: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.tar.gz"

    def to_pg(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["engine"], manifest["method"] = "postgresql", "pg_dump"
        return json.dumps(manifest).encode()

    _rewrite(sqlite_backup, other, to_pg)
    with pytest.raises(BackupError, match="holds a postgresql backup; this site uses sqlite"):
        restore_backup(other, db=_target(tmp_path), media_root=tmp_path / "m")


def test_a_backup_from_a_newer_version_is_refused(sqlite_backup: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.tar.gz"

    def add_migration(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"].append("core.9999_future")
        return json.dumps(manifest).encode()

    _rewrite(sqlite_backup, newer, add_migration)
    with pytest.raises(BackupError, match="unknown migration core.9999_future"):
        restore_backup(newer, db=_target(tmp_path), media_root=tmp_path / "m")


def test_restore_command_gives_one_line_and_exit_2(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a backup")
    with pytest.raises(CommandError, match="is not a Ketaflow backup") as caught:
        call_command("restore", str(garbage))
    assert caught.value.returncode == 2
    env = {**os.environ, "KETAFLOW_TESTING": "1", "KETAFLOW_VAR_DIR": str(tmp_path)}
    done = _run("restore", str(garbage), env=env)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith("error: ")
