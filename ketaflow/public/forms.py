"""Public forms (screening, consent, nearest location) and the managers' content forms."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.core import signing

from ketaflow.domain import instruments
from ketaflow.public import screening
from ketaflow.public.models import ContentPage, FaqEntry

HONEYPOT_FIELD = "website"
PAYLOAD_SALT = "ketaflow.public.screening"
PAYLOAD_MAX_AGE_SECONDS = 60 * 60
PAYLOAD_EXPIRED = "This result has expired. Please answer the questions again."
ZIP_OR_POSITION = "Enter a ZIP code, or use your location."
CONSENT_REQUIRED = "Tick the box to let us keep your answers, or book without sharing them."


class HoneypotMixin(forms.Form):
    """A field people never see (hidden by CSS, not type=hidden); bots fill it in."""

    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_spam(self) -> bool:
        return bool((self.data.get(HONEYPOT_FIELD) or "").strip())


_RED_FLAG_CHOICES = [(flag.key, flag.label) for flag in screening.RED_FLAGS]
_PHQ9 = instruments.get_instrument("phq9")
TRIAL_CHOICES = [(0, "None"), (1, "1"), (2, "2"), (3, "3"), (4, "4 or more")]


class DepressionScreeningForm(HoneypotMixin):
    antidepressant_trials = forms.TypedChoiceField(
        label="How many different antidepressants have you taken at the full dose, for as long as your doctor "
        "advised, without enough improvement?",
        choices=TRIAL_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how many antidepressants you have tried."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, item in enumerate(_PHQ9.items, start=1):
            self.fields[f"phq9_{number}"] = forms.TypedChoiceField(
                label=f"{number}. {item.text}",
                choices=[(choice.value, choice.label) for choice in item.choices],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose one answer for this question."},
            )
        # Keep the honeypot last so the form reads naturally.
        self.fields["red_flags"] = forms.MultipleChoiceField(
            label="Do any of these apply to you? Tick all that do.",
            help_text="These do not rule you out; we explain each one with your result.",
            choices=_RED_FLAG_CHOICES,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields[HONEYPOT_FIELD] = self.fields.pop(HONEYPOT_FIELD)

    def phq9_fields(self) -> list[Any]:
        return [self[f"phq9_{n}"] for n in range(1, _PHQ9.item_count() + 1)]

    def answers(self) -> screening.DepressionAnswers:
        data = self.cleaned_data
        return screening.DepressionAnswers(
            antidepressant_trials=data["antidepressant_trials"],
            phq9=tuple(data[f"phq9_{n}"] for n in range(1, _PHQ9.item_count() + 1)),
            red_flags=tuple(data.get("red_flags") or ()),
        )


class PainScreeningForm(HoneypotMixin):
    condition = forms.ChoiceField(
        label="Which kind of pain brings you here?",
        choices=screening.PAIN_CONDITIONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of pain, or 'Something else'."},
    )
    duration = forms.ChoiceField(
        label="How long have you had this pain?",
        choices=screening.PAIN_DURATIONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long you have had the pain."},
    )
    treatments = forms.MultipleChoiceField(
        label="Which treatments have you already tried for it? Tick all that apply.",
        help_text="Leave all unticked if you have not tried any yet.",
        choices=screening.PAIN_TREATMENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pain_now = forms.TypedChoiceField(
        label="How bad is the pain right now, from 0 (no pain) to 10 (the worst you can imagine)?",
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        error_messages={"required": "Choose a number from 0 to 10."},
    )
    thoughts_of_self_harm = forms.TypedChoiceField(
        label="In the last 2 weeks, have you had thoughts that you would be better off dead, or of hurting "
        "yourself?",
        choices=[("no", "No"), ("yes", "Yes")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect(attrs={"data-crisis-trigger": "yes"}),
        error_messages={"required": "Please answer this question."},
    )
    red_flags = forms.MultipleChoiceField(
        label="Do any of these apply to you? Tick all that do.",
        help_text="These do not rule you out; we explain each one with your result.",
        choices=_RED_FLAG_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = ["condition", "duration", "treatments", "pain_now", "thoughts_of_self_harm", "red_flags"]

    def answers(self) -> screening.PainAnswers:
        data = self.cleaned_data
        return screening.PainAnswers(
            condition=data["condition"],
            duration=data["duration"],
            treatments=tuple(data.get("treatments") or ()),
            pain_now=data["pain_now"],
            thoughts_of_self_harm=data["thoughts_of_self_harm"],
            red_flags=tuple(data.get("red_flags") or ()),
        )


SCREENING_FORMS: dict[str, type[HoneypotMixin]] = {
    screening.DEPRESSION: DepressionScreeningForm,
    screening.PAIN: PainScreeningForm,
}


def sign_answers(answers: dict[str, Any]) -> str:
    """The answers, signed, for the consent form's hidden field (POST body only, never a URL)."""
    return signing.dumps(answers, salt=PAYLOAD_SALT, compress=True)


class ConsentForm(HoneypotMixin):
    consent = forms.BooleanField(
        label="I agree that Metro Anesthesia & Pain Management may keep these answers to prepare for my "
        "consultation.",
        help_text="Only clinic staff see them. Without your agreement nothing you entered is stored.",
        error_messages={"required": CONSENT_REQUIRED},
    )
    payload = forms.CharField(widget=forms.HiddenInput)

    def clean_payload(self) -> screening.Outcome:
        try:
            answers = signing.loads(
                self.cleaned_data["payload"], salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE_SECONDS
            )
            return screening.evaluate(answers)
        except (signing.BadSignature, screening.ScreeningInputError) as exc:
            raise forms.ValidationError(PAYLOAD_EXPIRED) from exc


class NearestLocationForm(forms.Form):
    zip_code = forms.CharField(
        label="ZIP code",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        latitude, longitude = data.get("latitude"), data.get("longitude")
        has_position = latitude is not None and longitude is not None
        if has_position and not (math.isfinite(latitude) and math.isfinite(longitude)):
            has_position = False
        if not (data.get("zip_code") or "").strip() and not has_position:
            self.add_error("zip_code", ZIP_OR_POSITION)
        data["use_position"] = has_position and not (data.get("zip_code") or "").strip()
        return data


class ContentPageForm(forms.ModelForm):
    class Meta:
        model = ContentPage
        fields = ["title", "slug", "summary", "body", "published", "order"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18}), "summary": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"slug": "The page address: /ketamine/<slug>/. Lower-case letters, digits and hyphens."}


class FaqEntryForm(forms.ModelForm):
    class Meta:
        model = FaqEntry
        fields = ["question", "answer", "published", "order"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 8})}
