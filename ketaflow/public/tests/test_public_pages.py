"""Public pages render for anyone, show the seeded content and locations, and stay within 5 queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.public.models import ContentPage, FaqEntry

pytestmark = pytest.mark.django_db


def test_home_lists_the_published_pages_and_both_locations_with_tap_to_call(
    clinic: Any, content: None, django_assert_num_queries: Any
) -> None:
    # Expect 4 queries the first time: published pages, the schedule stamp, active locations, their opening
    # hours (prefetch); then 2, the location cards coming from the cache under the same stamp.
    with django_assert_num_queries(4):
        first = Client().get("/")
    with django_assert_num_queries(2):
        response = Client().get("/")
    html = response.content.decode()

    def cards(page: str) -> str:
        return page.split('id="locations-heading"')[1].split("</section>")[0]

    assert cards(html) == cards(first.content.decode())
    assert response.status_code == 200
    assert "Ketamine for chronic pain" in html
    assert 'href="tel:+15155550140"' in html and 'href="tel:+15155550170"' in html
    assert "openstreetmap.org" in html
    assert "Monday" in html and "8:00 AM" in html


def test_home_query_count_does_not_grow_with_more_pages(
    clinic: Any, content: None, django_assert_num_queries: Any
) -> None:
    for n in range(10):
        ContentPage.objects.create(
            slug=f"extra-{n}", title=f"Extra {n}", summary="s", body="b", published=True
        )
    Client().get("/")  # the location cards are cached
    # Expect 2 queries: published pages, the schedule stamp.
    with django_assert_num_queries(2):
        assert Client().get("/").status_code == 200


def test_content_page_renders_its_markdown(
    clinic: Any, content: None, django_assert_num_queries: Any
) -> None:
    # Expect 1 query: all published pages (the side list; the current page is picked from it).
    with django_assert_num_queries(1):
        response = Client().get(reverse("public:page", args=["what-is-ketamine"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>What ketamine is</h1>" in html
    assert "<strong>1970:</strong>" in html
    assert "Why most of the evidence is for IV infusions</h2>" in html
    for form in ["IV infusion", "Injection", "Lozenge", "Nasal spray"]:
        assert f"<strong>{form}:</strong>" in html


@pytest.mark.parametrize(
    ("slug", "phrases"),
    [
        (
            "chronic-pain",
            [
                "Arthritis",
                "neck and back pain",
                "CRPS",
                "Fibromyalgia",
                "Headaches",
                "Neuropathy",
                "Post-herpetic neuralgia",
                "Trigeminal neuralgia",
                "series",
                "about a month",
                "close to a year",
            ],
        ),
        ("depression", ["at least two different antidepressants", "Esketamine", "IV ketamine when a doctor"]),
        ("what-to-expect", ["about 40 minutes", "outpatient", "drive you home", "until the next day"]),
    ],
)
def test_seeded_pages_cover_the_issue_topics(
    clinic: Any, content: None, slug: str, phrases: list[str]
) -> None:
    html = Client().get(reverse("public:page", args=[slug])).content.decode()
    for phrase in phrases:
        assert phrase in html, phrase


def test_unpublished_and_unknown_pages_are_not_found(clinic: Any, content: None) -> None:
    ContentPage.objects.create(slug="draft", title="Draft", summary="s", body="b", published=False)
    assert Client().get(reverse("public:page", args=["draft"])).status_code == 404
    assert Client().get(reverse("public:page", args=["nope"])).status_code == 404


def test_page_index_lists_published_pages_in_one_query(
    clinic: Any, content: None, django_assert_num_queries: Any
) -> None:
    # Expect 1 query: published pages.
    with django_assert_num_queries(1):
        html = Client().get(reverse("public:page_index")).content.decode()
    assert html.index("What ketamine is") < html.index("Ketamine for chronic pain")


def test_faq_shows_published_entries_only_in_one_query(
    clinic: Any, content: None, django_assert_num_queries: Any
) -> None:
    FaqEntry.objects.create(question="Hidden draft?", answer="x", published=False)
    # Expect 1 query: published FAQ entries.
    with django_assert_num_queries(1):
        html = Client().get(reverse("public:faq")).content.decode()
    assert "Can I drive myself home?" in html
    assert "Hidden draft?" not in html
    assert '<a href="tel:988">988</a>' in html


def test_raw_html_in_content_is_shown_as_text_never_run(clinic: Any) -> None:
    ContentPage.objects.create(
        slug="x",
        title="X",
        summary="s",
        body="<script>alert(1)</script> [bad](javascript:alert(1))",
        published=True,
    )
    html = Client().get(reverse("public:page", args=["x"])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_screening_start_says_it_is_not_a_diagnosis_with_crisis_numbers_in_zero_queries(
    django_assert_num_queries: Any, db: Any
) -> None:
    with django_assert_num_queries(0):
        html = Client().get(reverse("public:screening")).content.decode()
    assert "This is not a diagnosis." in html
    assert 'href="tel:988"' in html and 'href="sms:988"' in html and 'href="tel:911"' in html


@pytest.mark.parametrize("path", ["depression", "pain"])
def test_screening_questions_render_in_zero_queries(
    path: str, django_assert_num_queries: Any, db: Any
) -> None:
    with django_assert_num_queries(0):
        response = Client().get(reverse("public:screening_questions", args=[path]))
    assert response.status_code == 200
    assert "This is not a diagnosis." in response.content.decode()


def test_locations_page_renders_in_one_query_once_cached(clinic: Any, django_assert_num_queries: Any) -> None:
    # Expect 3 queries the first time: the schedule stamp, active locations, their opening hours (prefetch);
    # then 1, the stamp, with the cards from the cache.
    with django_assert_num_queries(3):
        Client().get(reverse("public:locations"))
    with django_assert_num_queries(1):
        response = Client().get(reverse("public:locations"))
    assert response.status_code == 200
    assert response.content.decode().count('class="card location-card"') == 2


def test_changed_opening_hours_show_at_once(clinic: Any) -> None:
    import datetime as dt

    from ketaflow.clinics.models import Closure, OpeningHours

    assert "5:00 PM" in Client().get("/").content.decode()  # cached now
    hours = OpeningHours.objects.filter(location=clinic.wdm)
    for row in hours:
        row.closes_at = dt.time(18, 30)
        row.save()
    html = Client().get(reverse("public:locations")).content.decode()
    assert "6:30 PM" in html
    Location = type(clinic.wdm)
    Location.objects.filter(pk=clinic.dsm.pk).update(is_active=False)  # no signal: a raw update
    Closure.objects.create(location=clinic.wdm, starts_on=dt.date(2031, 1, 2), ends_on=dt.date(2031, 1, 2))
    assert Client().get("/").content.decode().count('class="card location-card"') == 1


def test_public_pages_carry_no_inline_scripts_or_styles(clinic: Any, content: None) -> None:
    for url in ["/", "/ketamine/", "/ketamine/depression/", "/faq/", "/locations/", "/screening/"]:
        html = Client().get(url).content.decode()
        assert " style=" not in html, url
        assert "<script>" not in html, url
        assert "public.css" in html, url
