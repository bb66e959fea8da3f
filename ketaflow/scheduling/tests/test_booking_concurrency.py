"""100 simultaneous attempts to book the same slot, each on its own database connection → exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from ketaflow.scheduling import services
from ketaflow.scheduling.models import Appointment
from ketaflow.scheduling.tests.factories import DETAILS, new_patient_type, next_weekday_at

ATTEMPTS = 100
# PostgreSQL here allows 100 connections in all (max_connections); at most this many attempts hold one at
# once, the rest queue on the semaphore and race in overlapping waves. SQLite has no such limit.
POSTGRES_CONCURRENT = 40


@pytest.mark.django_db(transaction=True)
def test_one_hundred_simultaneous_bookings_of_one_slot_give_exactly_one(clinic: Any) -> None:
    consultation_type = new_patient_type()
    start = next_weekday_at(10)
    provider_id = clinic.user("paul").pk
    barrier = threading.Barrier(ATTEMPTS)
    gate = threading.BoundedSemaphore(POSTGRES_CONCURRENT if connection.vendor == "postgresql" else ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        details = DETAILS.__class__(**{**DETAILS.__dict__, "email": f"caller{index}@example.invalid"})
        try:
            barrier.wait(timeout=30)
            with gate:
                try:
                    held = services.appointment_hold(
                        consultation_type=consultation_type,
                        location=clinic.wdm,
                        provider_id=provider_id,
                        starts_at=start,
                        hold_key=f"key{index}",
                    )
                    services.appointment_confirm(
                        appointment_uuid=held.uuid, hold_key=f"key{index}", details=details
                    )
                finally:
                    connection.close()
            result = "booked"
        except services.BookingError as exc:
            result = exc.message
        except Exception as exc:  # noqa: BLE001 - any other failure is a bug and fails the test below
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == ATTEMPTS
    assert outcomes.count("booked") == 1, [o for o in outcomes if o != services.SLOT_TAKEN][:5]
    assert outcomes.count(services.SLOT_TAKEN) == ATTEMPTS - 1
    assert Appointment.objects.filter(status="booked", starts_at=start).count() == 1
    assert Appointment.objects.filter(status="held").count() == 0
