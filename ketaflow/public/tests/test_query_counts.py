"""The staff content list answers in a pinned number of queries however many pages and FAQ entries.

The public pages (home, page index, FAQ, locations, screening) are pinned in test_public_pages.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.public.models import ContentPage, FaqEntry
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


def test_content_list_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    url = reverse("public:content_list")
    client.get(url)
    # Expect 6 queries: session, user, OTP device, the pages, the FAQ entries, the user's locations (switcher).
    with django_assert_num_queries(6):
        small = client.get(url).content.decode()
    for n in range(8):
        ContentPage.objects.create(slug=f"extra-{n}", title=f"Extra page {n}", summary="s", body="b")
        FaqEntry.objects.create(question=f"Extra question {n}?", answer="a")
    with django_assert_num_queries(6):
        large = client.get(url).content.decode()
    assert large.count("Extra page") == small.count("Extra page") + 8
    assert large.count("Extra question") == small.count("Extra question") + 8
