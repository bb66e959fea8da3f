"""Outcomes URLs in the role matrix (ketaflow/core/tests/test_url_matrix.py).

Two engineers add entries here: keep each block to its own section (workflow: links, check-ins, worklist;
progress: trajectories, reports, boosters).
"""

from __future__ import annotations

from ketaflow.core.tests.test_url_matrix import Entry

MATRIX: dict[str, Entry] = {}

# --- workflow (urls_workflow.py) -------------------------------------------------------------------------
WORKFLOW: dict[str, Entry] = {}
MATRIX.update(WORKFLOW)
# --- end workflow ----------------------------------------------------------------------------------------
