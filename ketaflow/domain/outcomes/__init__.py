"""Outcomes core (pure: no Django): response/remission/relapse, boosters, schedules, durability, export.

See docs/outcomes.md for definitions and sources. Persist results with ``VERSION``.
"""

from .booster import BoosterSuggestion, least_squares_slope, suggest_booster
from .classify import (
    Classification,
    Course,
    Measurement,
    Status,
    classify_course,
    classify_courses,
    counts_towards_relapse,
    improvement_percent,
)
from .definitions import (
    DEFAULT_RULES,
    MADRS_REMISSION_ALTERNATIVE,
    MADRS_REMISSION_DEFAULT,
    BoosterRule,
    RelapseRule,
    ScaleRule,
    Source,
)
from .deidentify import DIRECT_IDENTIFIERS, date_shift_days, deidentify_row, pseudonym, shift_date
from .durability import (
    DurabilityRecord,
    DurabilitySummary,
    SurvivalPoint,
    durability,
    durability_by_group,
    durability_record,
)
from .schedule import (
    DueMeasurement,
    Pathway,
    ScheduledCourse,
    SchedulePlan,
    Timepoint,
    add_months,
    default_plan,
    due_between,
    measurement_schedule,
)

VERSION = "outcomes-1.0"

__all__ = [
    "DEFAULT_RULES",
    "DIRECT_IDENTIFIERS",
    "MADRS_REMISSION_ALTERNATIVE",
    "MADRS_REMISSION_DEFAULT",
    "VERSION",
    "BoosterRule",
    "BoosterSuggestion",
    "Classification",
    "Course",
    "DueMeasurement",
    "DurabilityRecord",
    "DurabilitySummary",
    "Measurement",
    "Pathway",
    "RelapseRule",
    "ScaleRule",
    "ScheduledCourse",
    "SchedulePlan",
    "Source",
    "Status",
    "SurvivalPoint",
    "Timepoint",
    "add_months",
    "classify_course",
    "classify_courses",
    "counts_towards_relapse",
    "date_shift_days",
    "default_plan",
    "deidentify_row",
    "due_between",
    "durability",
    "durability_by_group",
    "durability_record",
    "improvement_percent",
    "least_squares_slope",
    "measurement_schedule",
    "pseudonym",
    "shift_date",
    "suggest_booster",
]
