from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.domain import instruments
from ketaflow.intake.models import AntidepressantTrial, CandidacyReview, Pathway, Reason
from ketaflow.intake.questions import HISTORY_QUESTIONS, PAIN_DURATIONS, PAIN_TREATMENTS
from ketaflow.patients.catalog import PAIN_CONDITIONS
from ketaflow.patients.models import Patient

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_IN_FUTURE = "The date cannot be in the future."
ANSWER_THIS = "Answer this question."
PROTOCOL_SUGGESTIONS = (
    "IV ketamine for depression",
    "IV ketamine for chronic pain (CRPS)",
    "SPRAVATO (esketamine) TRD induction",
)


class AboutYouForm(forms.ModelForm):
    confirm = forms.BooleanField(
        label="My name and date of birth shown above are correct (if not, tell the clinic).", required=True
    )

    class Meta:
        model = Patient
        fields = [
            "email",
            "mobile_phone",
            "address_line1",
            "city",
            "state",
            "zip_code",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
            "escort_name",
            "escort_phone",
        ]
        labels = {
            "escort_name": "Who will usually drive you home after a treatment?",
            "escort_phone": "Their phone number",
        }
        help_texts = {"escort_name": "You cannot drive yourself home after ketamine; an adult must take you."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("mobile_phone", "emergency_contact_name", "emergency_contact_phone"):
            self.fields[name].required = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["mobile_phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["zip_code"].widget.attrs["inputmode"] = "numeric"


class HistoryForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in HISTORY_QUESTIONS:
            label = (
                f"If yes: {question.text[0].lower()}{question.text[1:]}"
                if question.only_if
                else question.text
            )
            self.fields[question.key] = forms.ChoiceField(
                label=label, choices=question.choices, widget=forms.RadioSelect, required=not question.only_if
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for question in HISTORY_QUESTIONS:
            if question.only_if and data.get(question.only_if) == "yes" and not data.get(question.key):
                self.add_error(question.key, ANSWER_THIS)
        return data


class IntakeMedicationForm(forms.Form):
    name = forms.CharField(label="Medicine name", max_length=150)
    dose_text = forms.CharField(
        label="Dose and how often (for example 10 mg twice a day)", max_length=150, required=False
    )
    daily_dose_mg = forms.FloatField(label="Total mg per day, if you know it", required=False, min_value=0)
    started_on = forms.DateField(
        label="When did you start it? (approximate is fine)", required=False, widget=DATE
    )

    def clean_started_on(self) -> Any:
        value = self.cleaned_data.get("started_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError(DATE_IN_FUTURE)
        return value


class TrialForm(forms.Form):
    drug = forms.CharField(label="Antidepressant", max_length=100)
    dose = forms.CharField(label="Highest dose taken", max_length=60, required=False)
    duration_weeks = forms.IntegerField(label="For how many weeks?", min_value=1, max_value=1040)
    response = forms.ChoiceField(
        label="Did it help?", choices=AntidepressantTrial.Response.choices, widget=forms.RadioSelect
    )
    side_effects = forms.CharField(label="Side effects, if any", max_length=300, required=False)
    current_episode = forms.TypedChoiceField(
        label="Was this during your current period of depression?",
        choices=(("yes", "Yes"), ("no", "No")),
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class PainForm(forms.Form):
    conditions = forms.MultipleChoiceField(
        label="Which pain conditions have you been diagnosed with?",
        choices=[(c.key, c.label) for c in PAIN_CONDITIONS] + [("other", "Something else")],
        widget=forms.CheckboxSelectMultiple,
    )
    duration = forms.ChoiceField(
        label="How long have you had this pain?", choices=PAIN_DURATIONS, widget=forms.RadioSelect
    )
    treatments = forms.MultipleChoiceField(
        label="What have you tried?",
        choices=PAIN_TREATMENTS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    details = forms.CharField(
        label="Anything else about your pain or its treatments",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# C-SSRS screener items that skip logic may leave empty (clinical.md §5.2): 3-5 when 2 is "no", 7 when 6 is "no".
OPTIONAL_ITEMS = {"cssrs_screener": {"method", "intent", "plan", "behaviour_recent"}}


class QuestionnaireForm(forms.Form):
    """One radio group per item of a domain instrument; the answers go to ``instruments.score`` unchanged."""

    def __init__(self, *args: Any, instrument_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instruments.get_instrument(instrument_id)
        optional = OPTIONAL_ITEMS.get(instrument_id, set())
        for number, item in enumerate(self.instrument.items, start=1):
            self.fields[item.id] = forms.TypedChoiceField(
                label=f"{number}. {item.text}",
                choices=[(str(choice.value), choice.label) for choice in item.choices],
                coerce=int,
                widget=forms.RadioSelect,
                required=item.id not in optional,
                empty_value=None,
            )

    def answers(self) -> list[int | None]:
        return [self.cleaned_data.get(item.id) for item in self.instrument.items]


class CandidacyDecisionForm(forms.Form):
    pathway = forms.ChoiceField(choices=Pathway.choices)
    decision = forms.ChoiceField(choices=CandidacyReview.Decision.choices, widget=forms.RadioSelect)
    protocol_name = forms.CharField(
        label="Protocol (for an approval)",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"list": "protocol-suggestions"}),
    )
    reason = forms.CharField(label="Reason (for a decline)", max_length=300, required=False)
    referred_to = forms.CharField(label="Referred to (for a referral)", max_length=150, required=False)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 4}))


class SendLinkForm(forms.Form):
    reason = forms.ChoiceField(choices=Reason.choices)
    channel = forms.ChoiceField(choices=(("email", "Email"), ("sms", "Text message")))


class ConsentTemplateForm(forms.Form):
    pathway = forms.ChoiceField(choices=Pathway.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Plain text; a blank line starts a new paragraph.",
    )
    includes_rems_enrolment = forms.BooleanField(
        required=False, label="Esketamine: this form also records the SPRAVATO REMS patient enrolment"
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300)


class ConsentSignForm(forms.Form):
    agree = forms.BooleanField(
        label="I have read this form, my questions were answered, and I agree to treatment."
    )
    signer_name = forms.CharField(label="Your full name", max_length=150)
    signature_png = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-signature-output": ""})
    )
    signature_text = forms.CharField(
        label="Typed signature",
        required=False,
        max_length=150,
        help_text="If you cannot draw in the box, type your name here as your signature.",
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label="Why is the consent revoked?", max_length=300)


class RemsForm(forms.Form):
    enrolled_on = forms.DateField(label="Date enrolled", widget=DATE)
    enrollment_id = forms.CharField(label="REMS patient enrolment id", max_length=40)

    def clean_enrolled_on(self) -> Any:
        value = self.cleaned_data["enrolled_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(DATE_IN_FUTURE)
        return value
