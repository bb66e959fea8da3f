"""Dashboard filters: a date range and the locations the user covers (anything else is a form error, never run)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone

from ketaflow.analytics.selectors import Filters
from ketaflow.clinics.models import Location

END_BEFORE_START = "The end date is before the start date."
NOT_YOUR_LOCATION = "You do not cover {names}: choose among your own locations."
NO_LOCATIONS = "You are not assigned to any location, so there is nothing to show."
RANGE_TOO_LONG = "Choose a range of at most {days} days."
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
DATE = forms.DateInput(attrs={"type": "date"})


class AnalyticsFilterForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=DATE)
    end = forms.DateField(label="To", required=False, widget=DATE)
    location = forms.MultipleChoiceField(
        label="Locations",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = all your locations.",
    )

    def __init__(self, data: Any, *, user: Any, allowed: list[Location]) -> None:
        super().__init__(data)
        self.user = user
        self.allowed = list(allowed)
        # Every active location is a valid choice, so a location the user does not cover gets a clear message
        # (not "select a valid choice").
        self.everywhere = {str(loc.uuid): loc for loc in Location.objects.filter(is_active=True)}
        self.fields["location"].choices = [(str(loc.uuid), loc.name) for loc in self.allowed]
        self.fields["location"].valid_value = lambda value: value in self.everywhere  # type: ignore[method-assign]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tz = ZoneInfo(self.allowed[0].time_zone if self.allowed else settings.TIME_ZONE)
        today = timezone.localdate(timezone.now(), tz)
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if "end" not in self.errors and "start" not in self.errors:
            if end < start:
                self.add_error("end", END_BEFORE_START)
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("start", RANGE_TOO_LONG.format(days=MAX_DAYS))
        if not self.allowed:
            raise forms.ValidationError(NO_LOCATIONS)
        allowed_ids = {str(loc.uuid) for loc in self.allowed}
        wanted = data.get("location") or []
        foreign = [self.everywhere[u].name for u in wanted if u not in allowed_ids]
        if foreign:
            self.add_error("location", NOT_YOUR_LOCATION.format(names=", ".join(sorted(foreign))))
        chosen = [loc for loc in self.allowed if not wanted or str(loc.uuid) in wanted]
        data.update(start=start, end=end, locations=chosen, tz=tz)
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            start=data["start"], end=data["end"], locations=tuple(data["locations"]), tz=data["tz"]
        )

    def query(self) -> str:
        """The canonical query string of these filters, for the panel and CSV links."""
        from urllib.parse import urlencode

        data = self.cleaned_data
        pairs = [("start", data["start"].isoformat()), ("end", data["end"].isoformat())]
        if self.data.getlist("location") if hasattr(self.data, "getlist") else self.data.get("location"):
            pairs += [("location", str(loc.uuid)) for loc in data["locations"]]
        return urlencode(pairs)


class ResearchExportForm(forms.Form):
    format = forms.ChoiceField(
        label="Format",
        choices=[("csv", "CSV tables (zip)"), ("fhir", "FHIR R4 Bundle (JSON)")],
        widget=forms.RadioSelect,
        initial="csv",
    )
    confirm = forms.BooleanField(
        label="I will use this dataset for quality improvement or approved research only, keep it on clinic "
        "systems, and not publish counts below 11.",
        required=True,
    )
