"""Names people see for the booking plugin's codes (core's label catalogue)."""

from valvomo.api import N_, register_labels

register_labels(
    "booking.cancel_reason",
    {
        "illness": N_("Illness"),
        "absence": N_("Other absence"),
        "unit_closed": N_("The office is closed"),
        "schedule": N_("Schedule change"),
        "other": N_("Other reason"),
    },
)
register_labels(
    "booking.mode",
    {"phone": N_("Phone call"), "remote": N_("Remote meeting"), "office": N_("Office visit")},
)
register_labels(
    "booking.status",
    {
        "booked": N_("Booked"),
        "offered": N_("New time offered"),
        "cancelled": N_("Cancelled"),
        "done": N_("Took place"),
        "no_show": N_("Did not come"),
    },
)
register_labels(
    "field",
    {
        "starts_at": N_("Appointment time"),
        "appointment_type": N_("Appointment type"),
        "mode": N_("How"),
        "professional": N_("With"),
        "unit": N_("Office"),
        "description": N_("Describe your situation briefly"),
    },
)
