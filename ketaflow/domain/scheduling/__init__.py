"""Pure scheduling core: no Django imports.

Consultation slot search (:func:`find_consultation_slots`, :func:`next_free_slots`) and chair-aware
infusion series search live here; Django services convert rows into the frozen dataclasses below, call
these functions and persist the result with :data:`VERSION`. See ``docs/scheduling.md``.
"""

from ketaflow.domain.scheduling.errors import SchedulingError
from ketaflow.domain.scheduling.model import (
    AvailabilityException,
    AvailabilityTemplate,
    Booking,
    Closure,
    Id,
    Location,
    WeeklyWindow,
)
from ketaflow.domain.scheduling.slots import (
    ConsultationType,
    Slot,
    SlotRules,
    find_consultation_slots,
    next_free_slots,
)

VERSION = "1"

__all__ = [
    "VERSION",
    "AvailabilityException",
    "AvailabilityTemplate",
    "Booking",
    "Closure",
    "ConsultationType",
    "Id",
    "Location",
    "SchedulingError",
    "Slot",
    "SlotRules",
    "WeeklyWindow",
    "find_consultation_slots",
    "next_free_slots",
]
