"""More synthetic locations for the bulk history: a clinic group grows by opening sites, not by adding chairs.

A hundred thousand patients in three years is far more than two infusion suites can treat (about 1,150
sessions a weekday: 370 chairs per site). The bulk generator therefore spreads its patients over one site per
``PATIENTS_PER_SITE`` (the two demo locations first, then invented ones in other Iowa towns), each staffed by
invented people who cannot log in, so that no site needs more than ``bulk.sessions.CHAIRS_PER_SITE`` (20)
chairs: a full day books the next weekday.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction

from ketaflow.core.demo import CLINIC_NAME, DemoLocation, location_ensure

PATIENTS_PER_SITE = 3_500
# Invented addresses in real towns (the ZIP centroids place them on the location finder's map).
GROUP_TOWNS = (
    ("Ames", "50010"),
    ("Ankeny", "50023"),
    ("Urbandale", "50322"),
    ("Cedar Rapids", "52402"),
    ("Iowa City", "52240"),
    ("Davenport", "52803"),
    ("Sioux City", "51101"),
    ("Waterloo", "50701"),
    ("Council Bluffs", "51501"),
    ("Dubuque", "52001"),
    ("Mason City", "50401"),
    ("Marshalltown", "50158"),
    ("Ottumwa", "52501"),
    ("Fort Dodge", "50501"),
    ("Burlington", "52601"),
    ("Muscatine", "52761"),
    ("Clinton", "52732"),
    ("Newton", "50208"),
    ("Indianola", "50125"),
    ("Altoona", "50009"),
    ("Coralville", "52241"),
    ("Bettendorf", "52722"),
    ("Cedar Falls", "50613"),
    ("Marion", "52302"),
    ("Spencer", "51301"),
    ("Storm Lake", "50588"),
    ("Carroll", "51401"),
    ("Grinnell", "50112"),
    ("Pella", "50219"),
    ("Oskaloosa", "52577"),
)
GROUP_WIDE = ("mia", "audrey")  # the demo's manager and auditor oversee every site
# (username suffix, role, first name, prescriber type)
SITE_STAFF = (
    ("prescriber", "prescriber", "Dr", "physician"),
    ("nurse1", "nurse", "Nurse", ""),
    ("nurse2", "nurse", "Nurse", ""),
    ("desk", "front_desk", "Desk", ""),
    ("custodian", "custodian", "Custodian", ""),
)


def sites_for(patients: int) -> int:
    """How many active sites carry ``patients`` bulk patients (never fewer than the demo's two)."""
    return max(2, min(2 + len(GROUP_TOWNS), math.ceil(patients / PATIENTS_PER_SITE)))


@transaction.atomic
def ensure_group_sites(count: int) -> int:
    """Open synthetic sites until ``count`` locations are active; returns how many were added. Idempotent."""
    from ketaflow.accounts.models import User
    from ketaflow.clinics.models import Clinic, Location
    from ketaflow.ledger.models import StoragePlace
    from ketaflow.scheduling.models import ProviderAvailability

    active = Location.objects.filter(is_active=True).count()
    if active >= count:
        return 0
    clinic = Clinic.objects.get(name=CLINIC_NAME)
    overseers = list(User.objects.filter(username__in=GROUP_WIDE))
    added = 0
    for number, (town, zip_code) in enumerate(GROUP_TOWNS, start=1):
        if active + added >= count:
            break
        slug = town.lower().replace(" ", "-")
        if Location.objects.filter(slug=slug).exists():
            continue
        location = location_ensure(
            DemoLocation(
                slug,
                town,
                f"{100 + 10 * number} Main Street",
                town,
                zip_code,
                f"(515) 555-{200 + number:04d}",
            ),
            clinic,
        )
        for chair in range(5, 9):  # eight chairs to start with, like a demo site after its first expansion
            location.chairs.get_or_create(label=f"Chair {chair}")
        StoragePlace.objects.get_or_create(
            location=location, name="Main safe", defaults={"kind": StoragePlace.Kind.SAFE}
        )
        for suffix, role, first, prescriber_type in SITE_STAFF:
            user, created = User.objects.get_or_create(
                username=f"{slug}-{suffix}",
                defaults={
                    "first_name": first,
                    "last_name": f"{town} {suffix.rstrip('12').title()}",
                    "role": role,
                    "prescriber_type": prescriber_type,
                    "email": f"{slug}-{suffix}@demo.ketaflow.invalid",
                },
            )
            if created:
                user.set_unusable_password()  # invented staff: nobody logs in as them
                user.save(update_fields=["password"])
            user.locations.add(location)
            if role == "prescriber":
                for weekday in range(5):
                    ProviderAvailability.objects.get_or_create(
                        provider=user,
                        location=location,
                        weekday=weekday,
                        starts_at=dt.time(8, 30),
                        defaults={"ends_at": dt.time(16, 30)},
                    )
        for overseer in overseers:
            overseer.locations.add(location)
        added += 1
    return added
