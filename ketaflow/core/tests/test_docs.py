"""The documentation the README promises exists, and docs/sources.md gathers every page's sources."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_every_document_linked_from_the_readme_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)#]+)\)", readme):
        assert (ROOT / link).exists(), link


def test_sources_page_is_up_to_date(tmp_path: Path) -> None:
    before = (ROOT / "docs" / "sources.md").read_text()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_sources.py")], check=True)
    after = (ROOT / "docs" / "sources.md").read_text()
    assert after == before, "docs/sources.md is stale: run `python scripts/build_sources.py` and commit it"
