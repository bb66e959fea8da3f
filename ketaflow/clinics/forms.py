from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory

from ketaflow.clinics.models import Chair, Closure, Location, OpeningHours, Room
from ketaflow.core.phone import us_phone


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = [
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            "phone",
            "latitude",
            "longitude",
            "time_zone",
            "is_active",
        ]

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"].strip()
        if not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError("Enter a 5-digit ZIP code.")
        return value

    def clean_phone(self) -> str:
        phone = us_phone(self.cleaned_data["phone"])
        if phone is None:
            raise forms.ValidationError("Enter a 10-digit US phone number, e.g. (515) 555-0100.")
        return phone


OpeningHoursFormSet = inlineformset_factory(
    Location,
    OpeningHours,
    fields=["weekday", "opens_at", "closes_at"],
    extra=1,
    can_delete=True,
    widgets={
        "opens_at": forms.TimeInput(attrs={"type": "time"}),
        "closes_at": forms.TimeInput(attrs={"type": "time"}),
    },
)


class ChairForm(forms.ModelForm):
    class Meta:
        model = Chair
        fields = ["label", "is_active"]


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["label", "purpose", "is_active"]


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["starts_on", "ends_on", "reason"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:  # type: ignore[operator]
            self.add_error("ends_on", "The closure ends before it starts.")
        return data
