"""The tables the generator writes and, for each, the columns it fills (in row order)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, models


@dataclass
class TableSpec:
    """The columns we write for one model: the varying ones (in row order), then the constant defaults.

    Columns whose default is NULL are left out (the database fills them); other constants are appended to each
    row for COPY and written as literals in the SQLite statement, so each row carries only what varies.
    """

    model: Any
    varying: tuple[str, ...]
    table: str = ""
    constant: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        meta = self.model._meta
        self.table = meta.db_table
        by_column = {f.column: f for f in meta.concrete_fields}
        missing = [c for c in self.varying if c not in by_column]
        if missing:
            raise ValueError(f"{self.table} has no column(s) {missing}")
        rest = [(f.column, _default(f)) for f in meta.concrete_fields if f.column not in self.varying]
        self.constant = tuple((column, value) for column, value in rest if value is not None)

    def copy_sql(self) -> str:
        columns = ", ".join(quote(c) for c in self.varying + tuple(c for c, _ in self.constant))
        return f"COPY {quote(self.table)} ({columns}) FROM STDIN"

    def insert_sql(self) -> str:
        columns = ", ".join(quote(c) for c in self.varying + tuple(c for c, _ in self.constant))
        values = ", ".join(["?"] * len(self.varying) + [_literal(v) for _, v in self.constant])
        return f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({values})"  # noqa: S608 - model metadata


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _default(f: models.Field) -> Any:
    if f.has_default() and not callable(f.default):
        value = f.default
        return json.dumps(value) if isinstance(value, (dict, list)) else value
    if f.has_default() and f.default in (dict, list):
        return json.dumps(f.default())
    if f.null:
        return None
    if isinstance(f, (models.CharField, models.TextField)):
        return ""
    raise ValueError(f"{f.model._meta.db_table}.{f.column} needs a value")


def table_specs() -> dict[str, TableSpec]:
    """Every table the generator writes, by the name used in its summary."""
    return {**clinical_specs(), **ledger_specs()}


def clinical_specs() -> dict[str, TableSpec]:
    from ketaflow.clinics.models import Chair
    from ketaflow.intake.models import QuestionnaireResponse, RemsEnrollment
    from ketaflow.outcomes.models import MeasurementRequest
    from ketaflow.patients.models import Patient
    from ketaflow.scheduling.models import Appointment
    from ketaflow.treatment.models import AdverseEvent, Course, DoseOrder, InfusionSession, VitalsReading

    stamp = ("id", "uuid", "created_at", "updated_at")
    return {
        "chairs": TableSpec(Chair, stamp + ("location_id", "label")),
        "patients": TableSpec(
            Patient,
            stamp
            + (
                "chart_number",
                "first_name",
                "last_name",
                "date_of_birth",
                "sex",
                "email",
                "mobile_phone",
                "preferred_location_id",
                "is_synthetic",
                "city",
                "state",
            ),
        ),
        "appointments": TableSpec(
            Appointment,
            stamp
            + (
                "patient_id",
                "location_id",
                "provider_id",
                "consultation_type_id",
                "starts_at",
                "ends_at",
                "status",
                "channel",
                "reason",
                "booked_at",
                "is_new_patient",
                "inbox_status",
                "cancelled_at",
                "cancel_reason",
            ),
        ),
        "courses": TableSpec(
            Course,
            stamp
            + (
                "created_by_id",
                "patient_id",
                "protocol_id",
                "pathway",
                "location_id",
                "status",
                "planned_sessions",
                "stop_reason",
            ),
        ),
        "sessions": TableSpec(
            InfusionSession,
            stamp
            + (
                "created_by_id",
                "course_id",
                "patient_id",
                "location_id",
                "chair_id",
                "nurse_id",
                "prescriber_id",
                "sequence",
                "starts_at",
                "ends_at",
                "infusion_minutes",
                "recovery_minutes",
                "status",
                "booked_by_id",
                "arrived_at",
                "started_at",
                "stopped_at",
                "discharged_at",
                "discharged_by_id",
                "weight_kg",
                "height_cm",
                "escort_present",
                "cancel_reason",
                "rems_pmf_submitted_on",
                "esketamine_devices",
            ),
        ),
        "vitals": TableSpec(
            VitalsReading,
            stamp
            + (
                "created_by_id",
                "session_id",
                "taken_at",
                "sbp_mmhg",
                "dbp_mmhg",
                "hr_per_min",
                "spo2_pct",
                "rr_per_min",
                "moaas",
                "cadss",
                "pain_nrs",
                "recorded_by_id",
            ),
        ),
        "dose_orders": TableSpec(
            DoseOrder,
            stamp
            + (
                "created_by_id",
                "session_id",
                "inputs",
                "result",
                "engine_version",
                "signed_by_id",
                "signed_at",
            ),
        ),
        "adverse_events": TableSpec(
            AdverseEvent,
            stamp
            + (
                "created_by_id",
                "session_id",
                "kind",
                "severity",
                "occurred_at",
                "action_taken",
                "prn_medicine_id",
                "prn_dose",
                "outcome",
                "recorded_by_id",
            ),
        ),
        "questionnaires": TableSpec(
            QuestionnaireResponse,
            stamp + ("patient_id", "instrument", "answers", "result", "engine_version", "completed_at"),
        ),
        "measurement_requests": TableSpec(
            MeasurementRequest,
            stamp
            + (
                "patient_id",
                "course_id",
                "session_id",
                "instrument",
                "timepoints",
                "due_at",
                "expires_at",
                "status",
                "channels",
                "sent_at",
                "completed_at",
                "response_id",
            ),
        ),
        "rems_enrollments": TableSpec(
            RemsEnrollment,
            stamp + ("created_by_id", "patient_id", "enrolled_on", "enrollment_id", "recorded_by_id"),
        ),
    }


def ledger_specs() -> dict[str, TableSpec]:
    from ketaflow.ledger.models import Container, LedgerLine, Lot, Receipt

    stamp = ("id", "uuid", "created_at", "updated_at", "created_by_id")
    return {
        "lots": TableSpec(Lot, stamp + ("product_id", "lot_number", "expires_on")),
        "receipts": TableSpec(
            Receipt,
            stamp
            + (
                "location_id",
                "storage_id",
                "supplier_name",
                "supplier_address",
                "supplier_dea_number",
                "invoice_number",
                "received_on",
                "received_by_id",
            ),
        ),
        "containers": TableSpec(
            Container,
            stamp
            + (
                "location_id",
                "storage_id",
                "product_id",
                "lot_id",
                "receipt_id",
                "label",
                "state",
                "on_hand",
                "in_use",
                "received",
            ),
        ),
        "ledger_lines": TableSpec(
            LedgerLine,
            (
                "id",
                "uuid",
                "location_id",
                "product_id",
                "container_id",
                "kind",
                "occurred_at",
                "recorded_at",
                "actor_id",
                "witness_id",
                "quantity",
                "unit",
                "quantity_mg",
                "session_uuid",
                "session_key",
                "from_storage_id",
                "state_before",
                "state_after",
                "reason",
                "receipt_id",
                "container_before",
                "container_after",
                "container_in_use_before",
                "container_in_use_after",
                "product_before",
                "product_after",
                "engine_version",
            ),
        ),
    }


TABLE_ORDER = (
    "chairs",
    "patients",
    "appointments",
    "courses",
    "sessions",
    "vitals",
    "dose_orders",
    "adverse_events",
    "questionnaires",
    "measurement_requests",
    "rems_enrollments",
)
LEDGER_ORDER = ("lots", "receipts", "containers", "ledger_lines")
WRITE_ORDER = TABLE_ORDER + LEDGER_ORDER
# Tables whose secondary indexes are built once after a big load instead of row by row.
REBUILT = (
    "patients",
    "appointments",
    "courses",
    "sessions",
    "vitals",
    "dose_orders",
    "questionnaires",
    "measurement_requests",
    "containers",
    "ledger_lines",
)
