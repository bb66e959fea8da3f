from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.core.phone import us_phone
from ketaflow.scheduling.models import Appointment
from ketaflow.scheduling.services import UNDER_18, BookingDetails


class SlotChoiceForm(forms.Form):
    """The slot a person clicked: validated again by the service under a lock."""

    consultation_type = forms.SlugField()
    location = forms.SlugField()
    provider = forms.UUIDField()
    start = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])

    def clean_start(self) -> dt.datetime:
        start: dt.datetime = self.cleaned_data["start"]
        if start.tzinfo is None:
            raise forms.ValidationError("The time is missing its time zone.")
        if start < timezone.now():
            raise forms.ValidationError("That time is in the past. Please choose another.")
        return start


def _age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class BookingDetailsForm(forms.Form):
    first_name = forms.CharField(
        max_length=100, label="First name", widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=100, label="Last name", widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        help_text="You must be 18 or older.",
    )
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    mobile_phone = forms.CharField(
        label="Mobile phone",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text="10 digits, e.g. (515) 555-0123.",
    )
    reason = forms.ChoiceField(
        label="What would you like help with?", choices=Appointment.Reason.choices, widget=forms.RadioSelect
    )
    heard_about = forms.ChoiceField(
        label="How did you hear about us?",
        required=False,
        choices=[
            ("", "Prefer not to say"),
            ("doctor", "My doctor referred me"),
            ("search", "Web search"),
            ("friend", "Friend or family"),
            ("other", "Other"),
        ],
    )
    consent_to_contact = forms.BooleanField(
        label="The clinic may contact me by email and text message about this appointment.", required=False
    )
    # Honeypot: hidden from people by CSS, filled in by bots.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_date_of_birth(self) -> dt.date:
        dob: dt.date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError("The date of birth is in the future.")
        if dob.year < 1900:
            raise forms.ValidationError("Please check the year of birth.")
        if _age_on(dob, today) < 18:
            raise forms.ValidationError(UNDER_18)
        return dob

    def clean_mobile_phone(self) -> str:
        phone = us_phone(self.cleaned_data["mobile_phone"])
        if phone is None:
            raise forms.ValidationError("Enter a 10-digit US mobile number, e.g. (515) 555-0123.")
        return phone

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def details(self, *, screening_uuid: Any = None) -> BookingDetails:
        data = self.cleaned_data
        return BookingDetails(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            email=data["email"],
            mobile_phone=data["mobile_phone"],
            reason=data["reason"],
            heard_about=data.get("heard_about", ""),
            consent_to_contact=bool(data.get("consent_to_contact")),
            screening_uuid=screening_uuid,
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)", required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class StaffCancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class PhoneBookingForm(BookingDetailsForm):
    override_reason = forms.CharField(
        label="Reason to book inside the 12-hour notice",
        required=False,
        max_length=300,
        help_text="Only needed for a time less than 12 hours away.",
    )
    reason = forms.ChoiceField(label="Reason for the consultation", choices=Appointment.Reason.choices)
