from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.clinics.models import Location
from ketaflow.patients.catalog import CONDITIONS
from ketaflow.patients.models import Allergy, BodyMeasurement, DrugClass, Patient, PatientDocument
from ketaflow.patients.services import DATE_IN_FUTURE, DEMOGRAPHIC_FIELDS, check_body_measurement

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_future(value: Any) -> Any:
    if value and value > timezone.localdate():
        raise forms.ValidationError(DATE_IN_FUTURE)
    return value


class DemographicsForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = list(DEMOGRAPHIC_FIELDS)
        widgets = {"date_of_birth": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(is_active=True)
        if not user.is_superuser:
            locations = locations.filter(id__in=user.location_ids())
        self.fields["preferred_location"].queryset = locations
        self.fields["preferred_location"].required = True

    def clean_date_of_birth(self) -> Any:
        return _not_future(self.cleaned_data["date_of_birth"])


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(label="Date", widget=DATE, initial=timezone.localdate)
    weight_kg = forms.FloatField(label="Weight (kg)", widget=forms.NumberInput(attrs={"step": "0.1"}))
    height_cm = forms.FloatField(
        label="Height (cm)", required=False, widget=forms.NumberInput(attrs={"step": "0.1"})
    )
    source = forms.ChoiceField(choices=BodyMeasurement.Source.choices, initial=BodyMeasurement.Source.CLINIC)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("weight_kg") is not None and data.get("measured_on"):
            errors = check_body_measurement(
                weight_kg=data["weight_kg"], height_cm=data.get("height_cm"), measured_on=data["measured_on"]
            )
            for name, message in errors.items():
                self.add_error(name, message)
        return data


class AllergyForm(forms.ModelForm):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction", "severity"]


class MedicationForm(forms.Form):
    name = forms.CharField(label="Medicine", max_length=150)
    drug_class = forms.ChoiceField(
        label="Class (if it is one that matters with ketamine)", choices=DrugClass.choices, required=False
    )
    dose_text = forms.CharField(label="Dose and how often", max_length=150, required=False)
    daily_dose_mg = forms.FloatField(label="Total daily dose (mg)", required=False, min_value=0)
    diazepam_equivalent_mg_per_day = forms.FloatField(
        label="Diazepam-equivalent (mg/day)",
        required=False,
        min_value=0,
        help_text="Benzodiazepines: leave empty to compute it from the daily dose for known drugs.",
    )
    started_on = forms.DateField(label="Started", required=False, widget=DATE)

    def clean_started_on(self) -> Any:
        return _not_future(self.cleaned_data.get("started_on"))


class StopMedicationForm(forms.Form):
    stopped_on = forms.DateField(label="Stopped on", widget=DATE, initial=timezone.localdate)

    def clean_stopped_on(self) -> Any:
        return _not_future(self.cleaned_data["stopped_on"])


class DiagnosisForm(forms.Form):
    condition = forms.ChoiceField(label="Diagnosis", choices=[(c.key, c.label) for c in CONDITIONS])
    onset_on = forms.DateField(label="Onset", required=False, widget=DATE)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for treatment-resistant depression: the trials and reasoning behind the judgement.",
    )

    def clean_onset_on(self) -> Any:
        return _not_future(self.cleaned_data.get("onset_on"))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=PatientDocument.Kind.choices)
    title = forms.CharField(max_length=150)
    file = forms.FileField(help_text="PDF, PNG or JPEG, up to 10 MB.")


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(label="Why is this record wrong?", max_length=500)
