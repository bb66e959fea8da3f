"""Controlled-substance ledger arithmetic (pure: no Django). See docs/ledger-rules.md.

Django services convert rows into these frozen dataclasses, call the functions, and persist the results with
``VERSION``.
"""

from . import errors
from .arithmetic import ALLOWED_TRANSITIONS, MANUAL_TRANSITIONS, apply_entry, change_state, is_expired
from .balances import (
    IdentityLine,
    LedgerState,
    LedgerTotals,
    ProductBalance,
    balances_by_product,
    identity_report,
    replay,
)
from .deadlines import (
    TheftLossDeadlines,
    add_business_days,
    biennial_inventory_due,
    is_business_day,
    may_dispose_record,
    records_retained_until,
    theft_loss_deadlines,
    us_federal_holidays,
)
from .errors import LedgerError
from .model import Container, ContainerState, EntryKind, EntryResult, LedgerEntry, Product, Unit
from .reconcile import (
    CountLine,
    DiscrepancyEvent,
    EscalationDecision,
    EscalationLevel,
    EscalationPolicy,
    LineStatus,
    Reconciliation,
    ReconciliationLine,
    Tolerance,
    TolerancePolicy,
    assess_discrepancies,
    reconcile_count,
)

VERSION = "ledger-1.0"

__all__ = [
    "ALLOWED_TRANSITIONS",
    "MANUAL_TRANSITIONS",
    "VERSION",
    "Container",
    "ContainerState",
    "CountLine",
    "DiscrepancyEvent",
    "EntryKind",
    "EntryResult",
    "EscalationDecision",
    "EscalationLevel",
    "EscalationPolicy",
    "IdentityLine",
    "LedgerEntry",
    "LedgerError",
    "LedgerState",
    "LedgerTotals",
    "LineStatus",
    "Product",
    "ProductBalance",
    "Reconciliation",
    "ReconciliationLine",
    "TheftLossDeadlines",
    "Tolerance",
    "TolerancePolicy",
    "Unit",
    "add_business_days",
    "apply_entry",
    "assess_discrepancies",
    "balances_by_product",
    "biennial_inventory_due",
    "change_state",
    "errors",
    "identity_report",
    "is_business_day",
    "is_expired",
    "may_dispose_record",
    "records_retained_until",
    "reconcile_count",
    "replay",
    "theft_loss_deadlines",
    "us_federal_holidays",
]
