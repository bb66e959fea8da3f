"""Collect the "Sources" section of every docs page into docs/sources.md (run after editing a page)."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
HEADER = """# Sources

Every clinical figure, scoring rule and regulation Ketaflow encodes, with its source, gathered from the
"Sources" section of each documentation page (run `python scripts/build_sources.py` after editing one).
Ketaflow's text is written in its own words; figures and scoring rules carry over from these sources.
Thresholds marked UNVERIFIED in a page are placeholders: they are configurable, and each clinic's medical
director signs off every threshold before use.
"""


def sources_section(text: str) -> str | None:
    match = re.search(r"^##+ Sources[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    return match.group(1).strip() if match else None


def main() -> None:
    parts = [HEADER]
    for page in sorted(DOCS.glob("*.md")):
        if page.name == "sources.md":
            continue
        section = sources_section(page.read_text())
        if section:
            title = page.read_text().splitlines()[0].lstrip("# ").strip()
            parts.append(f"## {title} ([{page.name}]({page.name}))\n\n{section}\n")
    (DOCS / "sources.md").write_text("\n".join(parts))


if __name__ == "__main__":
    main()
