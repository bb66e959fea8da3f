"""Writing rows: COPY on PostgreSQL, executemany on SQLite, the fast-load session settings, the writer thread."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import connection, transaction

from ketaflow.core.bulk.specs import WRITE_ORDER, TableSpec, quote


# -- writing rows ------------------------------------------------------------------------------------------------
class Writer:
    """Appends rows to tables: COPY on PostgreSQL, executemany on SQLite. Counts what it wrote."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.counts: dict[str, int] = {}

    def write(self, spec: TableSpec, rows: list[tuple[Any, ...]], label: str) -> None:
        if not rows:
            return
        if self.vendor == "postgresql":
            tail = tuple(value for _, value in spec.constant)
            with connection.cursor() as cursor, cursor.cursor.copy(spec.copy_sql()) as copy:
                write_row = copy.write_row
                if tail:
                    for row in rows:
                        write_row(row + tail)
                else:
                    for row in rows:
                        write_row(row)
        else:
            raw = connection.connection.cursor()
            raw.executemany(spec.insert_sql(), rows)
            raw.close()
        self.counts[label] = self.counts.get(label, 0) + len(rows)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def next_id(model: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608 - model metadata
        return int(cursor.fetchone()[0]) + 1


def reset_sequences(models_: Iterable[Any]) -> None:
    """PostgreSQL identity columns do not see ids written explicitly: move them past the largest id."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            last = f"GREATEST((SELECT MAX(id) FROM {table}), 1)"  # noqa: S608 - names from model metadata
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")


def analyze(specs: Iterable[TableSpec]) -> None:
    """Fresh planner statistics on PostgreSQL: with the estimates from before the load, list pages pick
    sequential scans (docs/scaling.md). SQLite's ANALYZE reads every index in full, so it is left to the user."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(quote(spec.table) for spec in specs))


class FastLoad:
    """Cheaper writes while the load runs; a crash means re-running it.

    SQLite: ``synchronous=OFF``, a bigger page cache and, outside a transaction, ``foreign_keys=OFF`` for this
    connection. PostgreSQL: ``synchronous_commit=off`` and, when the role may, ``session_replication_role=replica``
    for this session only. Either way the per-row foreign-key checks are skipped (on PostgreSQL they cost as much
    as the COPY itself; on SQLite a deferred check scans the child table when a parent row arrives after its
    children, as containers do after their ledger lines, and those indexes are dropped during the load), and
    ``verify_foreign_keys`` checks every new row's references instead with one anti-join per table: the load
    fails if any is dangling (``checks``). No trigger is dropped or changed (the ledger's append-only triggers
    fire on UPDATE and DELETE; the generator only inserts).
    """

    def __init__(self) -> None:
        self.sqlite = self.replica = False

    @property
    def checks(self) -> bool:
        """Whether the load must check its references itself."""
        return self.sqlite or self.replica

    def __enter__(self) -> FastLoad:
        with connection.cursor() as cursor:
            if (
                connection.vendor == "sqlite" and not connection.in_atomic_block
            ):  # refused inside a transaction
                self.sqlite = True
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-262144")
                cursor.execute("PRAGMA foreign_keys=OFF")
            elif connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")
                cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                self.replica = bool(cursor.fetchone()[0])
                if self.replica:
                    cursor.execute("SET session_replication_role = replica")
        return self

    def __exit__(self, *exc: Any) -> None:
        if connection.vendor == "sqlite" and not self.sqlite:
            return
        if connection.connection is None or (connection.in_atomic_block and connection.needs_rollback):
            return
        with connection.cursor() as cursor:
            if self.sqlite:
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
            elif connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")
                cursor.execute("SET synchronous_commit = on")


def secondary_indexes(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of ``tables`` that no constraint needs: not unique, not a primary
    key, not behind a constraint (PostgreSQL exclusion constraints use non-unique indexes). Sorted by name."""
    tables = list(tables)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname), pg_get_indexdef(i.oid)"
                " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_namespace n ON n.oid = i.relnamespace"
                " WHERE x.indrelid = ANY(%s::regclass[]) AND NOT x.indisunique AND NOT x.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
                " ORDER BY 1",
                [tables],
            )
            return [(name, sql) for name, sql in cursor.fetchall()]
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"  # noqa: S608
            f" AND tbl_name IN ({marks}) ORDER BY name",
            tables,
        )
        return [(name, sql) for name, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")]


class SecondaryIndexes:
    """Drops the secondary indexes of the big tables for the load and builds them again at its end.

    Building an index once over sorted rows costs much less than maintaining it row by row. It runs inside the
    load's transaction on both databases (PostgreSQL and SQLite both roll DDL back): on success the indexes are
    created again before the commit; on any failure, including a killed process, the rollback brings the
    dropped indexes back with the rest. Unique indexes, primary keys and the indexes behind constraints stay,
    so every constraint is enforced during the load; no trigger depends on the dropped ones.
    """

    def __init__(self, tables: Iterable[str]) -> None:
        self.tables = tuple(tables)
        self.dropped: list[tuple[str, str]] = []

    def __enter__(self) -> SecondaryIndexes:
        if not connection.in_atomic_block:
            raise RuntimeError("secondary indexes are dropped only inside the load's transaction")
        self.dropped = secondary_indexes(self.tables) if self.tables else []
        with _no_pending_checks() as cursor:
            for name, _sql in self.dropped:
                cursor.execute(f"DROP INDEX {name if '.' in name else quote(name)}")
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:  # on failure the transaction's rollback restores them
            self.restore()

    def restore(self) -> None:
        with _no_pending_checks() as cursor:
            if connection.vendor == "postgresql" and self.dropped:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, sql in self.dropped:
                cursor.execute(sql)
        self.dropped = []


@contextlib.contextmanager
def _no_pending_checks() -> Iterator[Any]:
    """PostgreSQL refuses to drop or create an index on a table with deferred foreign-key checks pending (rows
    written earlier in the transaction without ``session_replication_role=replica``): run them first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def verify_foreign_keys(specs: dict[str, TableSpec], first_ids: dict[str, int]) -> list[str]:
    """Dangling references among rows with ``id >= first_ids[name]``: one anti-join query per table."""
    problems = []
    with connection.cursor() as cursor:
        for name, spec in specs.items():
            if name not in first_ids:
                continue
            checks = []
            joins = []
            for n, f in enumerate(x for x in spec.model._meta.concrete_fields if x.is_relation):
                target = f.related_model._meta.db_table
                joins.append(f"LEFT JOIN {quote(target)} p{n} ON p{n}.id = c.{quote(f.column)}")
                checks.append(f"(c.{quote(f.column)} IS NOT NULL AND p{n}.id IS NULL)")
            if not checks:
                continue
            where = " OR ".join(checks)
            rows = f"{quote(spec.table)} c {' '.join(joins)} WHERE c.id >= %s AND ({where})"
            cursor.execute(f"SELECT COUNT(*) FROM {rows}", [first_ids[name]])  # noqa: S608 - model metadata
            dangling = int(cursor.fetchone()[0])
            if dangling:
                problems.append(f"{spec.table}: {dangling} rows reference missing rows")
    return problems


class DanglingReference(RuntimeError):
    pass


class _Abort(Exception):
    """The generating side failed: roll the whole load back."""


_ABORT = object()
Rows = dict[str, list[tuple[Any, ...]]]


class Sink:
    """Writes the whole load in one transaction, inline or on a writer thread.

    The transaction holds every batch, the ledger and the closing updates, with the big tables' secondary
    indexes dropped and built again at the end (``SecondaryIndexes``): a failure anywhere rolls all of it back.
    The writer thread has its own database connection, so generating the next batch in Python overlaps writing
    this one (SQLite releases the GIL while it steps through rows; PostgreSQL parses COPY in its own process).
    It is used only outside a transaction (never inside a test's): another connection could not see the test's
    rows, and the main thread must not use the database while it runs (SQLite locks the file for the writer).
    The queue holds one batch, so memory stays bounded.
    """

    def __init__(
        self,
        writer: Writer,
        specs: dict[str, TableSpec],
        *,
        threaded: bool,
        rebuild: Iterable[str] = (),
    ) -> None:
        self.writer, self.specs, self.threaded = writer, specs, threaded
        self.rebuild = tuple(rebuild)
        self.error: BaseException | None = None
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        self.stack: contextlib.ExitStack | None = None
        if threaded:
            self.thread = threading.Thread(target=self._run, name="bulk-demo-writer", daemon=True)
            self.thread.start()
        else:
            self.stack = self._open()

    def put(self, rows: Rows, first_ids: dict[str, int] | None = None) -> None:
        """Write ``rows`` (by table name, in ``WRITE_ORDER``); then, if ``first_ids``, check their references."""
        self._send(("rows", rows, first_ids))

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the load's transaction, after everything put before it."""
        self._send(("call", fn, None))

    def close(self, failure: BaseException | None = None) -> None:
        """Commit (or, after a ``failure`` on the generating side, roll back) and wait for the writer."""
        if self.thread is not None:
            self.queue.put(_ABORT if failure is not None else None)
            self.thread.join()
        elif self.stack is not None:
            stack, self.stack = self.stack, None
            if failure is None:
                stack.close()
            else:
                stack.__exit__(_Abort, _Abort(), None)
        if self.error is not None and failure is None:
            raise self.error

    def _send(self, item: tuple[Any, ...]) -> None:
        if not self.threaded:
            self._do(item)
            return
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def _open(self) -> contextlib.ExitStack:
        stack = contextlib.ExitStack()
        try:
            self.fast = stack.enter_context(FastLoad())
            stack.enter_context(transaction.atomic())
            stack.enter_context(SecondaryIndexes(self.specs[name].table for name in self.rebuild))
        except BaseException:
            stack.close()
            raise
        return stack

    def _do(self, item: tuple[Any, ...]) -> None:
        kind, payload, first_ids = item
        if kind == "call":
            payload()
            return
        for name in WRITE_ORDER:
            if name in payload:
                self.writer.write(self.specs[name], payload[name], name)
        if first_ids is not None and self.fast.checks:
            check_references(self.specs, first_ids)

    def _run(self) -> None:
        try:
            with self._open():
                while (item := self.queue.get()) is not None:
                    if item is _ABORT:
                        raise _Abort
                    self._do(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
            self.error = exc
            if not isinstance(exc, _Abort):
                while (item := self.queue.get()) is not None and item is not _ABORT:
                    pass  # let the producer finish its put() and see the error
        finally:
            connection.close()


def check_references(specs: dict[str, TableSpec], first_ids: dict[str, int]) -> None:
    problems = verify_foreign_keys(specs, first_ids)
    if problems:
        raise DanglingReference("; ".join(problems))
