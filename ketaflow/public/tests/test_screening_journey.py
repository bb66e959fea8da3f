"""The self-screening journey over HTTP: result, crisis first, consent before storing, spam and abuse."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from ketaflow.core.models import AuditEvent
from ketaflow.public.forms import CONSENT_REQUIRED
from ketaflow.public.models import ScreeningResult
from ketaflow.public.screening import CONSULTATION_MAY_HELP, CONSULTATION_NOT_YET
from ketaflow.public.services import SESSION_SCREENING_UUID
from ketaflow.public.views import _book_url

pytestmark = pytest.mark.django_db

DEPRESSION_URL = reverse("public:screening_questions", args=["depression"])
PAIN_URL = reverse("public:screening_questions", args=["pain"])
RESULT_URL = reverse("public:screening_result")
CRISIS_TEXT = "If you are thinking about ending your life or hurting yourself, please reach out now."


def depression_post(trials: int = 3, item9: int = 0, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"antidepressant_trials": str(trials)}
    for n, value in enumerate([2, 2, 1, 2, 1, 1, 1, 1, item9], start=1):
        data[f"phq9_{n}"] = str(value)
    data.update(extra)
    return data


def pain_post(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "condition": "crps",
        "duration": "1_to_5_years",
        "treatments": ["medicines", "injections"],
        "pain_now": "7",
        "thoughts_of_self_harm": "no",
    }
    data.update(extra)
    return data


def payload_of(html: str) -> str:
    match = re.search(r'name="payload" value="([^"]+)"', html)
    assert match, "consent form payload missing"
    return match.group(1)


def test_depression_path_shows_the_result_and_stores_nothing_without_consent(clinic: Any) -> None:
    client = Client()
    response = client.post(DEPRESSION_URL, depression_post(trials=3))
    html = response.content.decode()
    assert response.status_code == 200
    assert CONSULTATION_MAY_HELP in html
    assert "This is not a diagnosis." in html
    assert "PHQ-9 (0 to 27)" in html and "11, moderate" in html
    assert "PHQ-2 (0 to 6)" in html and "4, positive" in html
    assert CRISIS_TEXT not in html
    assert ScreeningResult.objects.count() == 0
    assert SESSION_SCREENING_UUID not in client.session


def test_fewer_than_two_antidepressants_gives_the_not_yet_message(clinic: Any) -> None:
    html = Client().post(DEPRESSION_URL, depression_post(trials=1)).content.decode()
    assert CONSULTATION_NOT_YET in html
    assert CONSULTATION_MAY_HELP not in html


@pytest.mark.parametrize("item9", ["1", "2", "3"])
def test_phq9_item_9_above_zero_shows_crisis_resources_before_anything_else(clinic: Any, item9: str) -> None:
    html = Client().post(DEPRESSION_URL, depression_post(item9=int(item9))).content.decode()
    main = html[html.index('<main id="main"') :]
    assert CRISIS_TEXT in main
    assert main.index(CRISIS_TEXT) < main.index("<h1>")
    assert 'role="alert"' in main[: main.index("<h1>")]
    assert 'href="tel:988"' in main and 'href="sms:988"' in main and 'href="tel:911"' in main


def test_yes_to_the_direct_question_on_the_pain_path_shows_crisis_resources_first(clinic: Any) -> None:
    html = Client().post(PAIN_URL, pain_post(thoughts_of_self_harm="yes")).content.decode()
    main = html[html.index('<main id="main"') :]
    assert main.index(CRISIS_TEXT) < main.index("<h1>")


def test_pain_path_result(clinic: Any) -> None:
    html = Client().post(PAIN_URL, pain_post()).content.decode()
    assert CONSULTATION_MAY_HELP in html
    assert "You rated your pain 7 out of 10" in html
    assert CRISIS_TEXT not in html.split("<h1>")[0]


def test_red_flags_are_explained_on_the_result_and_do_not_block(clinic: Any) -> None:
    html = (
        Client()
        .post(DEPRESSION_URL, depression_post(red_flags=["pregnancy", "high_blood_pressure"]))
        .content.decode()
    )
    assert "Things to talk through with a clinician" in html
    assert "Ketamine is generally avoided in pregnancy." in html
    assert CONSULTATION_MAY_HELP in html
    assert 'name="consent"' in html


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (
            DEPRESSION_URL,
            {**depression_post(), "antidepressant_trials": ""},
            "Choose how many antidepressants",
        ),
        (DEPRESSION_URL, {**depression_post(), "phq9_4": "7"}, "Select a valid choice"),
        (DEPRESSION_URL, {**depression_post(), "red_flags": ["smoking"]}, "Select a valid choice"),
        (PAIN_URL, {**pain_post(), "pain_now": "11"}, "Select a valid choice"),
        (PAIN_URL, {**pain_post(), "condition": ""}, "Choose the kind of pain"),
        (PAIN_URL, {**pain_post(), "thoughts_of_self_harm": ""}, "Please answer this question."),
    ],
)
def test_bad_answers_show_field_errors_and_save_nothing(
    clinic: Any, url: str, data: dict, message: str
) -> None:
    response = Client().post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'id="error-summary"' in html
    assert 'aria-describedby="id_' in html
    assert ScreeningResult.objects.count() == 0


def test_consent_stores_the_screening_and_puts_only_its_uuid_in_the_session(clinic: Any) -> None:
    client = Client()
    html = client.post(DEPRESSION_URL, depression_post(trials=2, red_flags=["psychosis"])).content.decode()
    response = client.post(RESULT_URL, {"consent": "on", "payload": payload_of(html)})
    assert response.status_code == 302
    # On to booking when the booking engine is installed, else back to the (now stored) result.
    assert response["Location"] == (_book_url() or RESULT_URL)
    assert "?" not in response["Location"]
    stored = ScreeningResult.objects.get()
    assert stored.consent_to_store is True
    assert stored.path == "depression"
    assert stored.answers["antidepressant_trials"] == 2
    assert stored.red_flags == ["psychosis"]
    assert stored.suicidality is False
    assert stored.status == "new"
    assert stored.summary.startswith("Depression: 2 antidepressants tried")
    assert len(stored.ip_hash) == 64 and "127.0.0.1" not in stored.ip_hash
    assert client.session[SESSION_SCREENING_UUID] == str(stored.uuid)
    assert AuditEvent.objects.filter(object_uuid=stored.uuid, action="create").exists()


def test_stored_result_page_renders_within_five_queries(clinic: Any, django_assert_num_queries: Any) -> None:
    client = Client()
    html = client.post(DEPRESSION_URL, depression_post()).content.decode()
    client.post(RESULT_URL, {"consent": "on", "payload": payload_of(html)})
    # Expect 4 queries: session, the stored screening, active locations, their opening hours.
    with django_assert_num_queries(4):
        response = client.get(RESULT_URL)
    assert "Your answers are saved with your agreement." in response.content.decode()


def test_without_the_consent_tick_nothing_is_stored(clinic: Any) -> None:
    client = Client()
    html = client.post(DEPRESSION_URL, depression_post()).content.decode()
    response = client.post(RESULT_URL, {"payload": payload_of(html)})
    assert response.status_code == 200
    assert CONSENT_REQUIRED in response.content.decode()
    assert ScreeningResult.objects.count() == 0
    assert SESSION_SCREENING_UUID not in client.session


def test_a_tampered_payload_is_refused_and_nothing_is_stored(clinic: Any) -> None:
    client = Client()
    html = client.post(DEPRESSION_URL, depression_post()).content.decode()
    response = client.post(RESULT_URL, {"consent": "on", "payload": payload_of(html)[:-3] + "abc"})
    assert response.status_code == 400
    assert ScreeningResult.objects.count() == 0
    assert "There is no result to show" in response.content.decode()


def test_result_page_without_a_shared_screening_shows_nothing(clinic: Any) -> None:
    client = Client()
    session = client.session
    session[SESSION_SCREENING_UUID] = "not-a-uuid"
    session.save()
    html = client.get(RESULT_URL).content.decode()
    assert "There is no result to show" in html


def test_honeypot_gets_a_success_looking_page_and_nothing_is_stored(clinic: Any) -> None:
    client = Client()
    response = client.post(DEPRESSION_URL, depression_post(website="http://spam.example"))
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert 'name="payload"' not in response.content.decode()
    html = client.post(DEPRESSION_URL, depression_post()).content.decode()
    response = client.post(RESULT_URL, {"consent": "on", "payload": payload_of(html), "website": "x"})
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert ScreeningResult.objects.count() == 0
    assert SESSION_SCREENING_UUID not in client.session


def test_honeypot_is_a_text_field_hidden_by_css_not_a_hidden_input(clinic: Any) -> None:
    html = Client().get(DEPRESSION_URL).content.decode()
    assert re.search(r'<div class="hp-field"><label for="id_website">[^<]+</label><input type="text"', html)


@override_settings(KETAFLOW_RATE_LIMITS={"screening": (3, 600)})
def test_screening_posts_beyond_the_limit_get_a_friendly_429(clinic: Any) -> None:
    client = Client()
    for _ in range(3):
        assert client.post(DEPRESSION_URL, depression_post()).status_code == 200
    response = client.post(DEPRESSION_URL, depression_post())
    assert response.status_code == 429
    assert "Please wait a moment" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    # Reading pages is never limited; another address has its own allowance.
    assert client.get(DEPRESSION_URL).status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.9").post(DEPRESSION_URL, depression_post()).status_code == 200


@override_settings(KETAFLOW_RATE_LIMITS={"screening": (1, 600)})
def test_consent_posts_are_rate_limited_too_and_store_nothing(clinic: Any) -> None:
    client = Client()
    html = client.post(DEPRESSION_URL, depression_post()).content.decode()
    response = client.post(RESULT_URL, {"consent": "on", "payload": payload_of(html)})
    assert response.status_code == 429
    assert ScreeningResult.objects.count() == 0


def test_posts_without_a_csrf_token_are_refused(clinic: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(DEPRESSION_URL, depression_post()).status_code == 403
    assert client.post(reverse("public:locations"), {"zip_code": "50266"}).status_code == 403


def test_forms_post_so_answers_never_appear_in_urls(clinic: Any) -> None:
    for url in [DEPRESSION_URL, PAIN_URL, reverse("public:locations")]:
        html = Client().get(url).content.decode()
        forms = re.findall(r"<form [^>]*>", html)
        public_forms = [f for f in forms if "logout" not in f]
        assert public_forms and all('method="post"' in f for f in public_forms), url


def test_result_page_from_the_form_renders_in_two_queries(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    # Expect 2 queries: active locations, their opening hours (for "Or call us"). No screening is written.
    with django_assert_num_queries(2):
        response = Client().post(DEPRESSION_URL, depression_post())
    assert CONSULTATION_MAY_HELP in response.content.decode()


def test_result_page_without_a_session_renders_in_zero_queries(
    db: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = Client().get(RESULT_URL)
    assert "There is no result to show" in response.content.decode()


def test_a_screening_cannot_be_stored_without_consent(db: Any) -> None:
    from django.db import IntegrityError, transaction

    from ketaflow.public import screening
    from ketaflow.public.services import CONSENT_MISSING, screening_result_store

    outcome = screening.evaluate_depression(screening.DepressionAnswers(2, (0,) * 9))
    with pytest.raises(ValueError, match=CONSENT_MISSING):
        screening_result_store(outcome=outcome, consent_to_store=False, ip_hash="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningResult.objects.create(path="depression", answers={}, summary="x", rules_version="1")
    assert ScreeningResult.objects.count() == 0


def test_behind_trusted_proxies_the_visitor_address_comes_from_x_forwarded_for(rf: Any) -> None:
    from ketaflow.public.ratelimit import client_ip

    request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "127.0.0.1"  # not trusted by default: the header is easy to forge
    with override_settings(KETAFLOW_TRUSTED_PROXIES=1):
        assert client_ip(request) == "203.0.113.7"  # the entry our proxy appended, not the forged one
    with override_settings(KETAFLOW_TRUSTED_PROXIES=3):
        assert client_ip(request) == "127.0.0.1"  # fewer entries than proxies: fall back
