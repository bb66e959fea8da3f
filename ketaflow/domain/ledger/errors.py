"""Ledger refusals: one exception type and every message as a constant, so tests and UIs can match exactly.

Messages with ``{placeholders}`` are filled with ``str.format``; the unit is the product's counting unit.
"""

from __future__ import annotations

WRONG_CONTAINER = "This entry belongs to a different container."
UNKNOWN_CONTAINER = "The entry refers to a container that is not in this ledger."
OTHER_LOCATION = "The container is kept at another location; record the entry where the stock is."
UNIT_MISMATCH = "The quantity is given in {given} but this product is counted in {expected}."
DEVICE_NOT_WHOLE = "Devices are counted in whole units."
QUANTITY_NOT_POSITIVE = "The quantity must be greater than zero."
RECEIPT_NOT_POSITIVE = "A receipt must add a quantity greater than zero; use a correction to undo a receipt."
ALREADY_RECEIVED = "This container has already been received; each container is received once."
RECEIPT_NOT_SEALED = "Only a sealed, new container can be received."
COUNT_NEGATIVE = "A counted quantity cannot be negative."
SESSION_REQUIRED = "Name the infusion session this quantity is drawn for, used in, or returned from."
INSUFFICIENT_STOCK = "Cannot take {requested} {unit}: the container holds only {held} {unit}."
EXCEEDS_DRAWN = (
    "Cannot account for {requested} {unit}: the session drew only {held} {unit} from this container."
)
CONTAINER_EXPIRED = (
    "The container is past its expiry date; quarantine it for destruction instead of using it."
)
CONTAINER_QUARANTINED = "The container is quarantined; nothing may be drawn from it."
CONTAINER_EMPTY = "The container is empty."
CONTAINER_DESTROYED = "The container has been destroyed; nothing more may be recorded against it."
WITNESS_REQUIRED = "A second person must witness this entry."
SELF_WITNESSED = "The witness must be a different person from the one recording the entry."
REASON_REQUIRED = "Give a reason for this entry."
TRANSFER_NO_TARGET = "Name the storage place the container moves to."
TRANSFER_SAME_PLACE = "The container is already in that storage place."
TRANSFER_OTHER_LOCATION = "Transfers move stock only between storage places of one location; another location is another registration."
TRANSFER_QUANTITY = "A transfer moves the whole container: {given} {unit} given, {held} {unit} held."
ESTIMATE_NOT_ALLOWED = (
    "An estimated count is allowed only for an opened Schedule III–V container; count this one exactly."
)
CORRECTION_NEEDS_ORIGINAL = "A correction must name the entry it reverses."
CORRECTION_UNKNOWN = "The entry to be corrected is not in this ledger."
CORRECTION_MISMATCH = "The correction does not reference the entry supplied as the original."
CORRECTION_KIND = "Entries of this kind cannot be reversed by a correction; record a new entry instead."
CORRECTION_QUANTITY = "A correction reverses the whole original quantity of {expected} {unit}."
CORRECTION_NEGATIVE = "Reversing that entry would leave a negative quantity; correct the later entries first."
ALREADY_CORRECTED = "That entry has already been corrected."
DESTRUCTION_NOT_QUARANTINED = "Only a quarantined container can be destroyed."
DESTRUCTION_WITNESSES = (
    "Destruction needs two witnesses, different from each other and from the person recording it."
)
DESTRUCTION_QUANTITY = "Destruction covers the whole remaining quantity of {held} {unit}."
DESTRUCTION_IN_USE = "Stock drawn for a session from this container must be accounted for before destruction."
ADJUSTMENT_ZERO = "An adjustment must change the quantity."
TRANSITION_NOT_ALLOWED = "A container cannot go from {source} to {target}."
STATE_CHANGE_TARGET = "Name the state the container moves to."
RELEASE_EXPIRED = "An expired container cannot be released from quarantine."


class LedgerError(Exception):
    """A ledger entry or state change that the rules refuse. ``message`` is one of the constants above."""

    def __init__(self, message: str, *, entry_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.entry_id = entry_id
