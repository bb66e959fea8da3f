"""Pure scheduling core: no Django imports.

Consultation slot search (:func:`find_consultation_slots`, :func:`next_free_slots`) and chair-aware
infusion series search live here; Django services convert rows into the frozen dataclasses below, call
these functions and persist the result with :data:`VERSION`. See ``docs/scheduling.md``.
"""

from ketaflow.domain.scheduling.errors import SchedulingError
from ketaflow.domain.scheduling.infusion import (
    CapacityRules,
    InfusionResources,
    InfusionSession,
    InfusionType,
    Reservation,
    Resource,
    SeriesConflict,
    SeriesPlan,
    SeriesRequest,
    plan_infusion_series,
    rebook_series_session,
)
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
    "CapacityRules",
    "Closure",
    "ConsultationType",
    "Id",
    "InfusionResources",
    "InfusionSession",
    "InfusionType",
    "Location",
    "Reservation",
    "Resource",
    "SchedulingError",
    "SeriesConflict",
    "SeriesPlan",
    "SeriesRequest",
    "Slot",
    "SlotRules",
    "WeeklyWindow",
    "find_consultation_slots",
    "next_free_slots",
    "plan_infusion_series",
    "rebook_series_session",
]
