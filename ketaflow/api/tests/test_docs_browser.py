"""The Swagger UI page works under the strict CSP (no inline script, no console errors)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.browser
def test_api_docs_render_under_the_csp(page: Any) -> None:
    violations: list[str] = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.goto(f"{page.base_url}/api/v1/docs")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert page.locator(".opblock-tag").count() >= 5
    assert page.get_by_text("Ketaflow API").first.is_visible()
    assert [v for v in violations if "script" in v.lower()] == []
