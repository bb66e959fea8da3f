"""Analytics URLs in the role matrix (ketaflow/core/tests/test_url_matrix.py).

Analytics is for managers, prescribers and auditors (Perm.VIEW_ANALYTICS); the research export for managers.
"""

from __future__ import annotations

from ketaflow.core.tests.test_url_matrix import Entry

ANALYSTS = {"paul", "priya", "mia", "audrey"}

MATRIX: dict[str, Entry] = {
    "analytics:dashboard": Entry(allowed=ANALYSTS),
    "analytics:panel": Entry(allowed=ANALYSTS, kwargs=lambda c: {"slug": "no-shows"}),
    "analytics:panel_csv": Entry(allowed=ANALYSTS, kwargs=lambda c: {"slug": "drop-off"}),
    "analytics:durability": Entry(allowed=ANALYSTS),
    "analytics:research_export": Entry(allowed={"mia"}),
}
