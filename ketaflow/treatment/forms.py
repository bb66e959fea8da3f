from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.treatment.models import AdverseEvent, PrnMedicine, Protocol


class CourseForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.filter(is_active=True), empty_label=None)
    planned_sessions = forms.IntegerField(
        min_value=1, max_value=20, required=False, help_text="Blank: the protocol's induction."
    )
    booster_plan = forms.CharField(max_length=300, required=False)


class CourseStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            ("induction", "Induction"),
            ("maintenance", "Maintenance"),
            ("paused", "Paused"),
            ("completed", "Completed"),
            ("stopped", "Stopped"),
        ]
    )
    reason = forms.CharField(max_length=300, required=False, label="Reason (required to stop)")
    booster_plan = forms.CharField(max_length=300, required=False)


class SeriesForm(forms.Form):
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    preferred_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    count = forms.IntegerField(min_value=1, max_value=20)


class ChecklistForm(forms.Form):
    identity_confirmed = forms.BooleanField(
        required=False, label="Identity confirmed (name and date of birth)"
    )
    last_solid_food_at = forms.TimeField(
        required=False, label="Last solid food (time today)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    last_clear_liquid_at = forms.TimeField(
        required=False, label="Last clear liquid (time today)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    escort_confirmed = forms.BooleanField(required=False, label="Escort/ride home confirmed")
    escort_name = forms.CharField(max_length=150, required=False)
    escort_phone = forms.CharField(max_length=30, required=False)
    weight_kg = forms.FloatField(required=False, min_value=20, max_value=300, label="Today's weight (kg)")
    sbp_mmhg = forms.FloatField(required=False, label="Baseline systolic BP (mmHg)")
    dbp_mmhg = forms.FloatField(required=False, label="Baseline diastolic BP (mmHg)")
    hr_per_min = forms.FloatField(required=False, label="Baseline heart rate (/min)")
    spo2_pct = forms.FloatField(required=False, label="Baseline SpO2 (%)")
    rr_per_min = forms.FloatField(required=False, label="Baseline respiratory rate (/min)")
    pregnancy_test = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Not done"),
            ("negative", "Negative today"),
            ("positive", "Positive"),
            ("not_applicable", "Not applicable"),
        ],
    )
    medication_changes_reviewed = forms.BooleanField(
        required=False, label="Medication changes reviewed (interaction flags)"
    )
    pre_treatment_rating_done = forms.BooleanField(required=False, label="Pre-treatment PHQ-9 / NRS done")
    iv_access_confirmed = forms.BooleanField(required=False, label="IV access in place")

    def facts(self, tz: Any) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        today = timezone.localdate(timezone.now(), tz)
        for key in ("last_solid_food_at", "last_clear_liquid_at"):
            if data.get(key) is not None:
                data[key] = dt.datetime.combine(today, data[key], tzinfo=tz)
        return data


class OverrideForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason for overriding the hard stop")


class OrderForm(forms.Form):
    mg_per_kg = forms.FloatField(required=False, label="Dose (mg/kg)")
    mg_per_kg_per_h = forms.FloatField(required=False, label="Rate (mg/kg/h)")
    esketamine_dose_mg = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), ("56", "56 mg (2 devices)"), ("84", "84 mg (3 devices)")],
        label="Esketamine dose",
    )
    concentration_mg_per_ml = forms.FloatField(required=False, label="Vial concentration (mg/mL)")
    bag_ml = forms.FloatField(required=False, label="Final bag volume (mL)")


class DoubleCheckForm(forms.Form):
    weight_kg = forms.FloatField(min_value=1, label="Weight you measured or read (kg)")
    concentration_mg_per_ml = forms.FloatField(min_value=0.01, label="Vial concentration you read (mg/mL)")


class EventForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("start", "Start"),
            ("pause", "Pause"),
            ("resume", "Resume"),
            ("rate_change", "Rate change"),
            ("stop", "Stop"),
            ("bolus", "Bolus"),
            ("device", "Nasal device"),
        ]
    )
    rate_mg_per_h = forms.FloatField(required=False, min_value=0, label="Rate (mg/h)")
    bolus_mg = forms.FloatField(required=False, min_value=0, label="Bolus (mg)")
    reason = forms.CharField(max_length=300, required=False)
    lot = forms.CharField(max_length=60, required=False, label="Lot / vial")


class VitalsForm(forms.Form):
    sbp_mmhg = forms.FloatField(required=False, label="SBP")
    dbp_mmhg = forms.FloatField(required=False, label="DBP")
    hr_per_min = forms.FloatField(required=False, label="HR")
    spo2_pct = forms.FloatField(required=False, label="SpO2")
    rr_per_min = forms.FloatField(required=False, label="RR")
    etco2_mmhg = forms.FloatField(required=False, label="EtCO2")
    temperature_c = forms.FloatField(required=False, label="Temp °C")
    moaas = forms.IntegerField(required=False, label="MOAA/S")
    cadss = forms.IntegerField(required=False, label="CADSS")
    pain_nrs = forms.IntegerField(required=False, label="Pain NRS")


class ImportForm(forms.Form):
    file = forms.FileField(label="Monitor export (CSV)")


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(choices=AdverseEvent.Kind.choices)
    severity = forms.ChoiceField(choices=AdverseEvent.Severity.choices)
    action_taken = forms.CharField(max_length=300, required=False)
    prn_medicine = forms.ModelChoiceField(
        queryset=PrnMedicine.objects.filter(is_active=True), required=False, label="PRN medicine"
    )
    prn_dose = forms.CharField(max_length=60, required=False, label="PRN dose given")
    outcome = forms.CharField(max_length=300, required=False)


SCORE_CHOICES = [(2, "2"), (1, "1"), (0, "0")]


class AldreteForm(forms.Form):
    instrument = forms.ChoiceField(choices=[("aldrete", "Modified Aldrete"), ("padss", "PADSS")])
    item_1 = forms.TypedChoiceField(coerce=int, choices=SCORE_CHOICES, label="Activity / vital signs")
    item_2 = forms.TypedChoiceField(
        coerce=int, choices=SCORE_CHOICES, label="Respiration / activity and mental status"
    )
    item_3 = forms.TypedChoiceField(coerce=int, choices=SCORE_CHOICES, label="Circulation / pain, nausea")
    item_4 = forms.TypedChoiceField(coerce=int, choices=SCORE_CHOICES, label="Consciousness / bleeding")
    item_5 = forms.TypedChoiceField(coerce=int, choices=SCORE_CHOICES, label="SpO2 / intake and output")

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{i}"] for i in range(1, 6)]


class DischargeForm(forms.Form):
    escort_present = forms.BooleanField(required=False, label="Escort present to take the patient home")


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300)
    missed = forms.BooleanField(required=False, label="Did not attend")


class MoveForm(forms.Form):
    chair = forms.UUIDField()


class ProposalForm(forms.Form):
    """What the prescriber aims for; defaults are assumptions to adjust (docs/pk.md)."""

    cadss_low = forms.FloatField(label="Peak CADSS-6 at least", initial=2, min_value=0, max_value=92)
    cadss_high = forms.FloatField(label="Peak CADSS-6 at most", initial=8, min_value=0, max_value=92)
    max_sbp_rise_mmhg = forms.FloatField(
        label="Systolic rise below (mmHg)", initial=30, min_value=1, max_value=100
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("cadss_low"), data.get("cadss_high")
        if low is not None and high is not None and high <= low:
            self.add_error("cadss_high", "The upper end must be above the lower end.")
        return data


class ProposalDecisionForm(forms.Form):
    proposal = forms.UUIDField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("accepted", "Accept"), ("edited", "Accept with another dose"), ("declined", "Decline")],
        widget=forms.RadioSelect,
    )
    mg_per_kg = forms.FloatField(label="Dose chosen (mg/kg)", required=False, min_value=0.01, max_value=5)
    reason = forms.CharField(label="Reason (needed to change or decline)", required=False, max_length=300)
