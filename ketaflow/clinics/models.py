from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models

from ketaflow.core.models import TrackedModel


class Clinic(TrackedModel):
    name = models.CharField(max_length=120)
    legal_name = models.CharField(max_length=200, blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return self.name


class Location(TrackedModel):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=30)
    latitude = models.FloatField()
    longitude = models.FloatField()
    time_zone = models.CharField(max_length=60, default="America/Chicago")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except Exception as exc:  # noqa: BLE001 - any lookup failure means the name is wrong
            raise ValidationError({"time_zone": "Unknown time zone."}) from exc
        if not -90 <= self.latitude <= 90:
            raise ValidationError({"latitude": "Latitude must be between -90 and 90."})
        if not -180 <= self.longitude <= 180:
            raise ValidationError({"longitude": "Longitude must be between -180 and 180."})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def one_line_address(self) -> str:
        parts = [self.address_line1, self.address_line2, f"{self.city}, {self.state} {self.zip_code}"]
        return ", ".join(p for p in parts if p)

    @property
    def phone_href(self) -> str:
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return f"tel:+1{digits}" if len(digits) == 10 else f"tel:{digits}"

    @property
    def map_url(self) -> str:
        return f"https://www.openstreetmap.org/?mlat={self.latitude:.5f}&mlon={self.longitude:.5f}#map=15/{self.latitude:.5f}/{self.longitude:.5f}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(TrackedModel):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="hours_close_after_open"
            ),
            models.UniqueConstraint(fields=["location", "weekday", "opens_at"], name="hours_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Closure(TrackedModel):
    """A holiday or other closure: the location takes no bookings between these dates (inclusive)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="closure_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.starts_on}–{self.ends_on})"

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class Chair(TrackedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="chairs")
    label = models.CharField(max_length=40)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "label"]
        constraints = [
            models.UniqueConstraint(fields=["location", "label"], name="chair_label_unique_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.location.name} · {self.label}"


class Room(TrackedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    label = models.CharField(max_length=40)
    purpose = models.CharField(max_length=40, default="consultation")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "label"]
        constraints = [
            models.UniqueConstraint(fields=["location", "label"], name="room_label_unique_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.location.name} · {self.label}"
