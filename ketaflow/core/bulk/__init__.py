"""Bulk synthetic history for scale tests: ``ketaflow demo --patients 100000`` (issue #11).

Three years of an invented clinic group (the two demo sites, then one more site per 3,500 patients; see
``ketaflow.core.bulk_sites``): consultations (``patients``), treatment courses, infusion sessions with their
vitals, dose orders and adverse events (``sessions``), questionnaires with the measurement requests that asked
for them (``outcomes``), and the controlled-substance ledger (``ledger``: receipts, draws, administrations and
witnessed waste). Everything is synthetic (names from short word lists, ``example.invalid`` emails) and the
same ``seed`` and end date give the same rows on SQLite and PostgreSQL.

Speed (docs/scaling.md, "Bulk synthetic history"): rows are plain tuples written with PostgreSQL ``COPY`` or
SQLite ``executemany``, never through the ORM (``writing``); ids are reserved up front, uuids are derived from
the table and the id, times are minutes on a grid formatted from lookup tables (``context``), and the biggest
table, vitals, is built column by column with NumPy. The whole load is one transaction, written by a writer
thread while the next batch is generated, with the big tables' secondary indexes built once at the end.
"""

from ketaflow.core.bulk.context import CHART_PREFIX
from ketaflow.core.bulk.load import generate, generate_with_progress
from ketaflow.core.bulk.specs import table_specs
from ketaflow.core.bulk.writing import DanglingReference, secondary_indexes, verify_foreign_keys

__all__ = [
    "CHART_PREFIX",
    "DanglingReference",
    "generate",
    "generate_with_progress",
    "secondary_indexes",
    "table_specs",
    "verify_foreign_keys",
]
