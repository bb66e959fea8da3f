"""Shared pytest fixtures: the demo clinic and its personas (design.md §7), logged-in clients."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from ketaflow.accounts.models import User
from ketaflow.accounts.services import totp_device_for

PERSONA_NAMES = [
    "frank",
    "fran",
    "nina",
    "noah",
    "paul",
    "priya",
    "carl",
    "cora",
    "mia",
    "audrey",
    "pat",
    "oscar",
]


@dataclass
class Clinic:
    wdm: Any
    dsm: Any
    users: dict[str, User]

    def user(self, name: str) -> User:
        return self.users[name]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Rate-limit counters and other cached values never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clinic(db: Any) -> Clinic:
    """The demo clinic with 6 synthetic patients, plus `oscar`, a staff member with no location."""
    from ketaflow.accounts.roles import Role
    from ketaflow.accounts.services import totp_device_set
    from ketaflow.clinics.models import Location
    from ketaflow.core.demo import DEMO_TOTP_HEX, load_demo

    load_demo(patients=6, extras=False)
    oscar = User.objects.create_user(username="oscar", password="ketaflow-demo-2026", role=Role.NURSE)
    totp_device_set(user=oscar, key_hex=DEMO_TOTP_HEX)
    users = {u.username: u for u in User.objects.all()}
    return Clinic(
        wdm=Location.objects.get(slug="west-des-moines"),
        dsm=Location.objects.get(slug="des-moines"),
        users=users,
    )


def login(client: Client, user: User, *, verified: bool = True) -> Client:
    """Log ``client`` in as ``user``; staff also pass their second factor unless ``verified`` is False."""
    client.force_login(user)
    device = totp_device_for(user)
    if verified and device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def as_persona(clinic: Clinic) -> Any:
    def make(name: str | None) -> Client:
        client = Client()
        if name is None:
            return client
        return login(client, clinic.user(name))

    return make


# ---------------------------------------------------------------------------------------------------
# Browser journeys: Playwright driving Debian's Chromium (Playwright cannot download browsers here).

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def chromium() -> Any:
    import os

    from playwright.sync_api import sync_playwright

    # The ORM is called from test code while Playwright's sync loop is alive in the same thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def _new_page(chromium: Any, request: Any, viewport: dict[str, int]) -> Any:
    context = chromium.new_context(
        viewport=viewport, bypass_csp=False, locale="en-US", timezone_id="America/Chicago"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    return context, page


@pytest.fixture
def page(chromium: Any, request: Any, live_server: Any) -> Any:
    """A fresh browser tab at a tablet-sized viewport; a screenshot lands in var/test-artifacts on failure."""
    context, tab = _new_page(chromium, request, {"width": 1024, "height": 768})
    tab.base_url = live_server.url
    yield tab
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core in the page (through CDP, so the CSP is untouched) and return serious/critical findings."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def browser_login(page: Any, username: str, password: str = "ketaflow-demo-2026") -> None:
    """Log in through the real form, including the TOTP step for staff."""
    from ketaflow.accounts.services import totp_current_code, totp_device_for

    page.goto(f"{page.base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    user = User.objects.get(username=username)
    device = totp_device_for(user)
    if device is not None:
        page.wait_for_url("**/accounts/otp/**")
        page.get_by_label("6-digit code").fill(totp_current_code(device))
        page.get_by_role("button", name="Verify").click()


# Every staff page: 1. session, 2. user, 3. TOTP device (django-otp).
STAFF_QUERIES = 3


def pinned_reads(
    django_assert_num_queries: Any, client: Client, url: str, expected: int, grow: Any
) -> tuple[str, str]:
    """Read ``url`` with little data and after ``grow()``: both reads take exactly ``expected`` queries.

    Before each measured read one unmeasured read refreshes what is legitimately refreshed once: the session's
    last-seen time (at most once a minute) and caches keyed by a schedule version that ``grow()`` may change.
    Returns both pages' HTML so a test can also check that the second shows more rows.
    """
    assert client.get(url).status_code == 200
    with django_assert_num_queries(expected):
        small = client.get(url)
    grow()
    assert client.get(url).status_code == 200
    with django_assert_num_queries(expected):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    return small.content.decode(), large.content.decode()
