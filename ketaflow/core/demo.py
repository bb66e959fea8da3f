"""The demo clinic: the seed's two-site practice, its staff personas and synthetic patients.

Everything here is invented. Never load real patient data into a demo.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import zipcodes
from django.db import transaction

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import PrescriberType, Role
from ketaflow.accounts.services import totp_device_set
from ketaflow.clinics.models import Chair, Clinic, Closure, Location, OpeningHours, Room
from ketaflow.patients.models import Patient, Sex

DEMO_PASSWORD = "ketaflow-demo-2026"
# One known TOTP secret for every demo account so `make run` can print it.
DEMO_TOTP_HEX = "5123a81574581d31883d98a500000000000000aa"
CLINIC_NAME = "Metro Anesthesia & Pain Management"


@dataclass(frozen=True)
class DemoLocation:
    slug: str
    name: str
    address: str
    city: str
    zip_code: str
    phone: str


LOCATIONS = [
    DemoLocation(
        "west-des-moines",
        "West Des Moines",
        "1200 Valley West Drive, Suite 300",
        "West Des Moines",
        "50266",
        "(515) 555-0140",
    ),
    DemoLocation(
        "des-moines", "Des Moines", "700 Locust Street, Suite 210", "Des Moines", "50309", "(515) 555-0170"
    ),
]


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: str
    locations: tuple[str, ...]
    prescriber_type: str = ""


BOTH = ("west-des-moines", "des-moines")
HOLIDAYS = [
    (dt.date(2026, 11, 26), dt.date(2026, 11, 27), "Thanksgiving"),
    (dt.date(2026, 12, 24), dt.date(2026, 12, 25), "Christmas"),
    (dt.date(2027, 1, 1), dt.date(2027, 1, 1), "New Year's Day"),
    (dt.date(2027, 5, 31), dt.date(2027, 5, 31), "Memorial Day"),
    (dt.date(2027, 7, 5), dt.date(2027, 7, 5), "Independence Day (observed)"),
]
PERSONAS = [
    Persona("frank", "Frank", "Delgado", Role.FRONT_DESK, ("west-des-moines",)),
    Persona("fran", "Fran", "Okafor", Role.FRONT_DESK, ("des-moines",)),
    Persona("nina", "Nina", "Larsen", Role.NURSE, BOTH),
    Persona("noah", "Noah", "Brandt", Role.NURSE, ("des-moines",)),
    Persona("paul", "Paul", "Haddad", Role.PRESCRIBER, ("west-des-moines",), PrescriberType.PHYSICIAN),
    Persona("priya", "Priya", "Nair", Role.PRESCRIBER, ("des-moines",), PrescriberType.CRNA),
    Persona("carl", "Carl", "Jensen", Role.CUSTODIAN, ("west-des-moines",)),
    Persona("cora", "Cora", "Mbeki", Role.CUSTODIAN, ("des-moines",)),
    Persona("mia", "Mia", "Fischer", Role.MANAGER, BOTH),
    Persona("audrey", "Audrey", "Kim", Role.AUDITOR, BOTH),
]

FIRST_NAMES = [
    "Avery",
    "Jordan",
    "Riley",
    "Casey",
    "Morgan",
    "Quinn",
    "Rowan",
    "Skyler",
    "Emerson",
    "Harper",
    "Parker",
    "Reese",
    "Sawyer",
    "Hayden",
    "Dakota",
    "Finley",
    "Logan",
    "Peyton",
    "Blake",
    "Cameron",
]
LAST_NAMES = [
    "Abbott",
    "Bishop",
    "Carver",
    "Dunn",
    "Ellison",
    "Frost",
    "Garrison",
    "Holt",
    "Irving",
    "Jacobs",
    "Keller",
    "Lowry",
    "Mercer",
    "Nolan",
    "Oakley",
    "Pruitt",
    "Quade",
    "Ramsey",
    "Sutton",
    "Thorne",
]


def location_ensure(demo: DemoLocation, clinic: Clinic) -> Location:
    """Create or refresh one demo location: address, ZIP centroid, weekday hours, chairs 1-4, a room, holidays."""
    centroid = zipcodes.matching(demo.zip_code)[0]
    location, _ = Location.objects.update_or_create(
        slug=demo.slug,
        defaults={
            "clinic": clinic,
            "name": demo.name,
            "address_line1": demo.address,
            "city": demo.city,
            "state": "IA",
            "zip_code": demo.zip_code,
            "phone": demo.phone,
            "latitude": float(centroid["lat"]),
            "longitude": float(centroid["long"]),
            "time_zone": "America/Chicago",
        },
    )
    for weekday in range(5):
        OpeningHours.objects.get_or_create(
            location=location, weekday=weekday, opens_at=dt.time(8), defaults={"closes_at": dt.time(17)}
        )
    for number in range(1, 5):
        Chair.objects.get_or_create(location=location, label=f"Chair {number}")
    Room.objects.get_or_create(
        location=location, label="Consultation room", defaults={"purpose": "consultation"}
    )
    for starts_on, ends_on, reason in HOLIDAYS:
        Closure.objects.get_or_create(
            location=location, starts_on=starts_on, defaults={"ends_on": ends_on, "reason": reason}
        )
    return location


@transaction.atomic
def load_demo(patients: int = 20, seed: int = 2026, *, extras: bool = True) -> dict[str, object]:
    """Create or refresh the demo clinic. Safe to run any number of times.

    ``extras`` adds each app's demo records (chart data, stock, treatment courses); tests that only need the
    clinic and its people turn it off.
    """
    clinic, _ = Clinic.objects.get_or_create(
        name=CLINIC_NAME, defaults={"legal_name": f"{CLINIC_NAME}, P.C."}
    )
    by_slug = {demo.slug: location_ensure(demo, clinic) for demo in LOCATIONS}

    for persona in PERSONAS:
        user, created = User.objects.get_or_create(
            username=persona.username,
            defaults={
                "first_name": persona.first_name,
                "last_name": persona.last_name,
                "role": persona.role,
                "prescriber_type": persona.prescriber_type,
                "email": f"{persona.username}@demo.ketaflow.invalid",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            totp_device_set(user=user, key_hex=DEMO_TOTP_HEX)
        user.locations.set([by_slug[slug] for slug in persona.locations])

    _availability(by_slug)

    rng = random.Random(seed)
    today = dt.date.today()
    locations = list(by_slug.values())
    for index in range(patients):
        chart_number = f"DEMO-{index + 1:05d}"
        if Patient.objects.filter(chart_number=chart_number).exists():
            continue
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        age_days = rng.randint(19 * 365, 78 * 365)
        Patient.objects.create(
            chart_number=chart_number,
            first_name=first,
            last_name=last,
            date_of_birth=today - dt.timedelta(days=age_days),
            sex=rng.choice([Sex.FEMALE, Sex.MALE]),
            email=f"{first.lower()}.{last.lower()}{index}@example.invalid",
            mobile_phone=f"(515) 555-{rng.randint(200, 999):04d}",
            preferred_location=locations[index % len(locations)],
            is_synthetic=True,
        )

    pat_user, created = User.objects.get_or_create(
        username="pat", defaults={"first_name": "Pat", "last_name": "Demo", "role": Role.PATIENT}
    )
    if created:
        pat_user.set_password(DEMO_PASSWORD)
        pat_user.save()
    first_patient = Patient.objects.filter(chart_number="DEMO-00001").first()
    if first_patient is not None and first_patient.user_id is None and not hasattr(pat_user, "patient"):
        first_patient.user = pat_user
        first_patient.save(update_fields=["user"])

    if extras:
        _load_app_demos()

    return {
        "clinic": clinic.name,
        "locations": [loc.name for loc in locations],
        "staff": [{"username": p.username, "role": p.role, "locations": list(p.locations)} for p in PERSONAS],
        "patients": Patient.objects.filter(is_synthetic=True).count(),
        "password": DEMO_PASSWORD,
        "totp_secret_base32": _base32(DEMO_TOTP_HEX),
    }


# Demo prescriber clinics: (username, location slug, weekdays, start, end).
AVAILABILITY = [
    ("paul", "west-des-moines", (0, 1, 2, 3), dt.time(8, 30), dt.time(16, 30)),
    ("paul", "des-moines", (4,), dt.time(9), dt.time(15)),
    ("priya", "des-moines", (0, 1, 2, 3), dt.time(8, 30), dt.time(16, 30)),
    ("priya", "west-des-moines", (4,), dt.time(9), dt.time(15)),
]


def _availability(by_slug: dict[str, Location]) -> None:
    from ketaflow.scheduling.models import ConsultationType, ProviderAvailability

    # Also seeded by a data migration; repeated here because test flushes remove migration data.
    for slug, name, mode in [
        ("new-patient-consultation", "New-patient consultation", "in_person"),
        ("telehealth-consultation", "Telehealth consultation", "telehealth"),
    ]:
        ConsultationType.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "mode": mode, "duration_minutes": 30, "buffer_after_minutes": 10},
        )

    for username, slug, weekdays, start, end in AVAILABILITY:
        provider = User.objects.get(username=username)
        for weekday in weekdays:
            ProviderAvailability.objects.get_or_create(
                provider=provider,
                location=by_slug[slug],
                weekday=weekday,
                starts_at=start,
                defaults={"ends_at": end},
            )


def _load_app_demos() -> None:
    """Each app's own demo records, in dependency order; an app that is not installed is skipped."""
    import importlib

    for module, function in [
        ("ketaflow.patients.demo", "load_demo_chart_data"),
        ("ketaflow.ledger.demo", "load_demo_ledger"),
        ("ketaflow.treatment.demo", "load_demo_treatment"),
        ("ketaflow.outcomes.demo", "load_outcomes_demo"),
    ]:
        try:
            loader = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            continue
        loader()


def _base32(key_hex: str) -> str:
    import base64

    return base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")
