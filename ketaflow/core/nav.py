"""The staff navigation: one list, filtered by the user's permissions. URLs not (yet) registered are skipped."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.urls import NoReverseMatch, reverse

from ketaflow.accounts.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str
    section: str  # the app namespace or url name that marks the item current


NAV = [
    NavItem("Today", "core:dashboard", Perm.VIEW_DASHBOARD, "dashboard"),
    NavItem("Day board", "treatment:board", Perm.VIEW_SCHEDULE, "treatment"),
    NavItem("Schedule", "scheduling:calendar", Perm.VIEW_SCHEDULE, "scheduling"),
    NavItem("Inbox", "scheduling:inbox", Perm.MANAGE_SCHEDULE, "inbox"),
    NavItem("Patients", "patients:list", Perm.VIEW_PATIENT, "patients"),
    NavItem("Stock", "ledger:home", Perm.VIEW_LEDGER, "ledger"),
    NavItem("Follow-up", "outcomes:worklist", Perm.VIEW_CLINICAL, "worklist"),
    NavItem("Analytics", "analytics:dashboard", Perm.VIEW_ANALYTICS, "analytics"),
    NavItem("Site content", "public:content_list", Perm.MANAGE_CONTENT, "public"),
    NavItem("Consent forms", "intake:template_list", Perm.MANAGE_CLINIC, "intake"),
    NavItem("Settings", "clinics:settings", Perm.MANAGE_CLINIC, "clinics"),
    NavItem("Audit log", "core:audit_log", Perm.VIEW_AUDIT, "audit_log"),
    NavItem("Admin", "admin:index", Perm.USE_ADMIN, "admin"),
]


@cache
def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def nav_for(perms: frozenset[str], match: object) -> list[dict[str, object]]:
    app = getattr(match, "app_name", "") or ""
    url_name = getattr(match, "url_name", "") or ""
    items = []
    for item in NAV:
        url = _url(item.url_name)
        if url is None or item.perm not in perms:
            continue
        current = item.section in {app, url_name} or item.url_name == f"{app}:{url_name}"
        items.append({"label": item.label, "url": url, "current": current})
    return items
