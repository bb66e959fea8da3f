"""Role matrix entries for the public app (merged by ketaflow/core/tests/test_url_matrix.py).

``public:home`` is listed in the core matrix. Public pages are open to everyone; content editing is for
managers (Perm.MANAGE_CONTENT) only.
"""

from __future__ import annotations

from typing import Any

from ketaflow.core.tests.test_url_matrix import EVERYONE, Entry

MANAGERS: set[str | None] = {"mia"}


def _page(clinic: Any) -> dict[str, Any]:
    from ketaflow.public.models import ContentPage

    page, _ = ContentPage.objects.get_or_create(
        slug="matrix-page", defaults={"title": "Matrix", "summary": "s", "body": "b", "published": True}
    )
    return {"slug": page.slug}


def _page_uuid(clinic: Any) -> dict[str, Any]:
    from ketaflow.public.models import ContentPage

    return {"page_uuid": ContentPage.objects.get(slug=_page(clinic)["slug"]).uuid}


def _faq_uuid(clinic: Any) -> dict[str, Any]:
    from ketaflow.public.models import FaqEntry

    entry, _ = FaqEntry.objects.get_or_create(
        question="Matrix?", defaults={"answer": "Yes.", "published": True}
    )
    return {"faq_uuid": entry.uuid}


MATRIX: dict[str, Entry] = {
    "public:page_index": Entry(allowed=EVERYONE),
    "public:page": Entry(allowed=EVERYONE, kwargs=_page),
    "public:faq": Entry(allowed=EVERYONE),
    "public:locations": Entry(allowed=EVERYONE),
    "public:screening": Entry(allowed=EVERYONE),
    "public:screening_questions": Entry(allowed=EVERYONE, kwargs=lambda c: {"path": "depression"}),
    # Without a shared screening in the session the page says there is nothing to show.
    "public:screening_result": Entry(allowed=EVERYONE),
    "public:content_list": Entry(allowed=MANAGERS),
    "public:page_new": Entry(allowed=MANAGERS),
    "public:page_edit": Entry(allowed=MANAGERS, kwargs=_page_uuid),
    "public:faq_new": Entry(allowed=MANAGERS),
    "public:faq_edit": Entry(allowed=MANAGERS, kwargs=_faq_uuid),
    "public:content_preview": Entry(allowed=MANAGERS, method="post", data=lambda c: {"body": "**Preview**"}),
}
