"""Hard stops of the dosing engine.

Every message is a module constant so that tests, the UI and the CLI show exactly the same words.
Messages with ``{placeholders}`` are filled in with ``str.format``; numbers are shown rounded, the
comparison itself is always made on the unrounded value.
"""

from __future__ import annotations

from collections.abc import Iterable

# Inputs
NOT_A_NUMBER = "{field} is not a number; enter a value."
WEIGHT_OUT_OF_RANGE = (
    "Weight {value:g} kg is outside the accepted range {low:g}-{high:g} kg; re-weigh the patient."
)
HEIGHT_OUT_OF_RANGE = (
    "Height {value:g} cm is outside the accepted range {low:g}-{high:g} cm; re-measure the patient."
)
HEIGHT_REQUIRED = "Height is required to dose on ideal or adjusted body weight."
SEX_REQUIRED = "Sex (male or female) is required to dose on ideal or adjusted body weight (Devine formula)."
CONCENTRATION_NOT_POSITIVE = "Vial concentration must be greater than 0 mg/mL."
CONCENTRATION_TOO_HIGH = "Vial concentration {value:g} mg/mL is above {high:g} mg/mL, the strongest ketamine vial marketed; check the vial."
BAG_NOT_POSITIVE = "Final bag volume must be greater than 0 mL."
DURATION_NOT_POSITIVE = "Infusion duration must be greater than 0."
DRUG_VOLUME_EXCEEDS_BAG = (
    "Drug volume {drug_ml:.2f} mL is more than the final bag volume {bag_ml:g} mL; use a larger bag or a "
    "stronger vial."
)
FINAL_CONCENTRATION_TOO_HIGH = (
    "Final concentration {value:g} mg/mL is above {high:g} mg/mL; the 100 mg/mL vial must be diluted before "
    "IV use."
)

# Protocol limits
DOSE_ABOVE_CAP = "Dose {dose_mg:.1f} mg is above the maximum single dose of {cap_mg:.1f} mg; a prescriber must change the order."
CAP_NOT_POSITIVE = "The maximum dose must be greater than 0 mg."
RATE_ABOVE_CAP = "Rate {rate_mg_per_h:.1f} mg/h is above the maximum rate of {cap_mg_per_h:.1f} mg/h."
MG_PER_KG_OUT_OF_RANGE = "Dose {value:g} mg/kg is outside the protocol range {low:g}-{high:g} mg/kg."
MG_PER_KG_PER_H_OUT_OF_RANGE = (
    "Rate {value:g} mg/kg/h is outside the protocol range {low:g}-{high:g} mg/kg/h."
)
MINUTES_OUT_OF_RANGE = "Infusion time {value:g} min is outside the protocol range {low:g}-{high:g} min."
HOURS_OUT_OF_RANGE = "Infusion time {value:g} h is outside the protocol range {low:g}-{high:g} h."
BOLUS_OUT_OF_RANGE = "Bolus {value:g} mg/kg is outside the accepted range 0-{high:g} mg/kg."
ESKETAMINE_DOSE_NOT_ALLOWED = "Esketamine dose {dose_mg:g} mg is not an allowed dose ({allowed} mg)."

# Delivered dose from pump events
EVENTS_NOT_IN_TIME_ORDER = "Pump events are not in time order; check the times entered."
EVENT_OUT_OF_ORDER = "A {kind} event cannot follow an infusion that is {state}."
RATE_REQUIRED = "A {kind} event needs a rate in mg/h."
RATE_NEGATIVE = "A {kind} event has a negative rate; rates are 0 mg/h or more."
RATE_NOT_A_NUMBER = "A {kind} event has a rate that is not a number."
BOLUS_REQUIRED = "A bolus event needs a positive dose in mg."
INFUSION_STILL_RUNNING = "The infusion has not been stopped; give the time to count up to."
SEGMENT_ENDS_BEFORE_START = "A rate segment ends before it starts."
SPLIT_OUTSIDE_SEGMENT = "The split time is outside the segment."


class DoseError(ValueError):
    """One or more hard stops: the order must not be given as entered.

    ``messages`` holds every problem found (not only the first), so a form can show them all at once;
    ``str(error)`` joins the sentences into the one line the CLI prints.
    """

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages: tuple[str, ...] = tuple(messages)
        super().__init__(" ".join(self.messages))
