"""Kept for its importers: the bulk synthetic history now lives in ``ketaflow.core.bulk``."""

from ketaflow.core.bulk import (
    CHART_PREFIX,
    DanglingReference,
    generate,
    generate_with_progress,
    secondary_indexes,
    table_specs,
    verify_foreign_keys,
)

__all__ = [
    "CHART_PREFIX",
    "DanglingReference",
    "generate",
    "generate_with_progress",
    "secondary_indexes",
    "table_specs",
    "verify_foreign_keys",
]
