"""Managers edit public pages and the FAQ in the staff UI: preview (htmx), audit, errors, permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.core.models import AuditEvent
from ketaflow.public.models import ContentPage, FaqEntry
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


def page_post(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Parking",
        "slug": "parking",
        "summary": "Where to park.",
        "body": "## Garage\n\nUse the **Locust Street** garage.",
        "published": "on",
        "order": "50",
    }
    data.update(overrides)
    return data


def test_manager_creates_a_page_that_is_live_at_once_and_audited(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    response = client.post(reverse("public:page_new"), page_post())
    assert response.status_code == 302
    page = ContentPage.objects.get(slug="parking")
    assert page.created_by == clinic.user("mia") and page.updated_by == clinic.user("mia")
    event = AuditEvent.objects.get(object_uuid=page.uuid)
    assert event.action == "create" and event.actor_label == "mia"
    html = Client().get(reverse("public:page", args=["parking"])).content.decode()
    assert "<h2>Garage</h2>" in html and "<strong>Locust Street</strong>" in html


def test_manager_edits_and_unpublishes_a_page(clinic: Any, content: None) -> None:
    client = login(Client(), clinic.user("mia"))
    page = ContentPage.objects.get(slug="what-to-expect")
    data = page_post(title=page.title, slug=page.slug, summary=page.summary, body=page.body + "\n\nNew line.")
    data.pop("published")
    assert client.post(reverse("public:page_edit", args=[page.uuid]), data).status_code == 302
    page.refresh_from_db()
    assert page.published is False and page.body.endswith("New line.")
    assert AuditEvent.objects.filter(object_uuid=page.uuid, action="update").exists()
    assert Client().get(reverse("public:page", args=["what-to-expect"])).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("slug", "Not a slug!", "Enter a valid “slug”"),
        ("slug", "depression", "Content page with this Slug already exists."),
        ("order", "-1", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_bad_page_input_shows_the_field_error_and_saves_nothing(
    clinic: Any, content: None, field: str, value: str, message: str
) -> None:
    client = login(Client(), clinic.user("mia"))
    before = list(ContentPage.objects.values())
    response = client.post(reverse("public:page_new"), page_post(**{field: value}))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'aria-invalid="true"' in html
    assert list(ContentPage.objects.values()) == before


def test_preview_button_renders_without_saving(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    response = client.post(reverse("public:page_new"), {**page_post(), "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<section id="preview"' in html and "<strong>Locust Street</strong>" in html
    assert not ContentPage.objects.filter(slug="parking").exists()


def test_htmx_preview_returns_only_the_fragment_with_the_public_renderer(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    client = login(Client(), clinic.user("mia"))
    client.get(reverse("public:content_list"))  # warm the session
    # Expect 3 queries: session, user, the user's OTP device. Rendering the preview touches no table.
    with django_assert_num_queries(3):
        response = client.post(
            reverse("public:content_preview"),
            {"body": "Hello <script>x</script> **world**"},
            headers={"HX-Request": "true"},
        )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="preview"')
    assert "<strong>world</strong>" in html and "&lt;script&gt;" in html
    assert "<html" not in html


def test_manager_adds_an_faq_entry(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    data = {
        "question": "Is there parking?",
        "answer": "Yes, [see here](/locations/).",
        "published": "on",
        "order": "5",
    }
    assert client.post(reverse("public:faq_new"), data).status_code == 302
    entry = FaqEntry.objects.get(question="Is there parking?")
    assert AuditEvent.objects.filter(object_uuid=entry.uuid, action="create").exists()
    html = Client().get(reverse("public:faq")).content.decode()
    assert '<a href="/locations/">see here</a>' in html


def test_bad_faq_input_saves_nothing(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    response = client.post(reverse("public:faq_new"), {"question": "", "answer": "", "order": "1"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert FaqEntry.objects.filter(question="").count() == 0


def test_content_list_shows_drafts_and_published(clinic: Any, content: None) -> None:
    FaqEntry.objects.create(question="Draft question?", answer="x")
    html = login(Client(), clinic.user("mia")).get(reverse("public:content_list")).content.decode()
    assert "What ketamine is" in html and "Draft question?" in html and "Draft</td>" in html


@pytest.mark.parametrize("persona", ["nina", "frank", "audrey", "pat"])
def test_non_managers_cannot_change_content_and_nothing_changes(
    clinic: Any, content: None, persona: str
) -> None:
    client = login(Client(), clinic.user(persona))
    page = ContentPage.objects.get(slug="depression")
    before = list(ContentPage.objects.values())
    response = client.post(reverse("public:page_edit", args=[page.uuid]), page_post(slug="depression"))
    assert response.status_code == 403
    assert client.post(reverse("public:page_new"), page_post()).status_code == 403
    assert list(ContentPage.objects.values()) == before


def test_services_check_the_permission_themselves(clinic: Any) -> None:
    from django.core.exceptions import PermissionDenied

    from ketaflow.public.forms import ContentPageForm
    from ketaflow.public.services import content_page_save

    form = ContentPageForm(page_post())
    assert form.is_valid()
    with pytest.raises(PermissionDenied):
        content_page_save(form=form, saved_by=clinic.user("nina"))
    assert not ContentPage.objects.filter(slug="parking").exists()
