"""The meal service's forms, declared on core's form layer (`parse_form`): each field's type,
limits and message. Choices that come from the region's settings are given at parse time
(`choices=`); rules that need the service or the database come after parsing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from plugins.meals.settings import MealSettings
from valvomo.api import (
    N_,
    After,
    DateField,
    DecisionFields,
    Message,
    Parse,
    ValidationFailed,
    parse_form,
)
from valvomo.api import dates as core_dates

MAX_MEALS_PER_DAY = 10
END_BEFORE_START = N_("The end date is before the start date.")
FIRST_YEAR, LAST_YEAR = core_dates.FIRST_YEAR, core_dates.LAST_YEAR
WEEKDAYS = range(7)
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)

Quantity = Annotated[
    int, Meta(ge=0, le=MAX_MEALS_PER_DAY), Message(N_("Enter a number from 0 to 10."))
]


Text40 = Annotated[str, Meta(max_length=40)]
Text200 = Annotated[str, Meta(max_length=200)]
Text300 = Annotated[str, Meta(max_length=300)]
Text1000 = Annotated[str, Meta(max_length=1000)]
Text2000 = Annotated[str, Meta(max_length=2000)]


class OpeningForm(DecisionFields):
    start_date: DateField
    requested_meals: Annotated[Text1000, Message(N_("Describe the meals the customer needs."))]
    door_notes: Text1000 = ""


class EndingDecisionForm(DecisionFields):
    effective_date: DateField | None = None


PlaceName = Annotated[
    str, Meta(max_length=100), Message(N_("At most 100 characters."), N_("Enter a name."))
]
KitchenId = Annotated[int, Meta(ge=0, lt=2**31), Message(N_("Choose a kitchen."))]


class KitchenForm(msgspec.Struct):
    name: PlaceName


class DeliveryRouteForm(msgspec.Struct):
    """A new delivery route of a kitchen (the kitchen page's route form)."""

    kitchen: KitchenId
    name: PlaceName


class KitchenStaffForm(msgspec.Struct):
    staff_kitchen: KitchenId
    username: Annotated[
        str, Parse(str.lower), Meta(max_length=150), Message(N_("No user has this username."))
    ]


class RouteForm(msgspec.Struct):
    kitchen: Annotated[int, Meta(ge=0, lt=2**31), Message(N_("Choose a kitchen."))]
    route: Annotated[int, Meta(ge=0, lt=2**31), Message(N_("Choose a delivery route."))]
    route_stop: Annotated[
        int, Meta(ge=0, le=10_000), Message(N_("Enter a stop number from 0 to 10,000."))
    ] = 0
    door_notes: Text1000 = ""


class ValidFromForm(msgspec.Struct):
    valid_from: DateField


class ExceptionForm(msgspec.Struct):
    day: DateField
    kind: Annotated[str, Message(N_("Choose what changes."))]
    product: Text40 = ""
    quantity: Quantity = 0
    note: Text300 = ""


class PauseForm(msgspec.Struct):
    start_date: DateField
    reason: Annotated[Text300, Message(N_("Give a reason, e.g. hospital stay."))]
    end_date: Annotated[DateField | None, After("start_date", END_BEFORE_START, or_same=True)] = (
        None
    )


class ResumeForm(msgspec.Struct):
    resume_date: DateField


class EndingRequestForm(msgspec.Struct):
    end_date: DateField
    ending_reason: Annotated[Text1000, Message(N_("Give a reason for ending."))]


class AbsenceForm(msgspec.Struct):
    first_day: DateField
    last_day: Annotated[
        DateField | None,
        After("first_day", N_("The last day is before the first day."), or_same=True),
    ] = None


class ChangeReportForm(msgspec.Struct):
    kind: Annotated[str, Message(N_("Choose what changed."))]
    channel: Annotated[str, Message(N_("Choose how the change was reported."))]
    details: Text2000 = ""
    start_date: DateField | None = None
    end_date: Annotated[DateField | None, After("start_date", END_BEFORE_START, or_same=True)] = (
        None
    )


def _one_line(text: str) -> str:
    """Runs of spaces and line breaks as one space."""
    return " ".join(text.split())


NAME_TOO_LONG = N_("A name has at most 100 characters.")
OtherName = Annotated[str, Parse(_one_line), Meta(max_length=100), Message(NAME_TOO_LONG)]


class CodeNamesForm(msgspec.Struct, kw_only=True):
    """An entry's names on a code list (diets, allergies, textures): Finnish, Swedish and
    English, the latter two may be empty; `codes` refuses a name the list has already."""

    label: Annotated[
        str,
        Parse(_one_line),
        Meta(max_length=100),
        Message(NAME_TOO_LONG, N_("Enter the name in Finnish.")),
    ]
    label_sv: OtherName = ""
    label_en: OtherName = ""


class NewCodeForm(CodeNamesForm, kw_only=True):
    """A new entry; an empty code is made from the Finnish name."""

    code: Annotated[
        str,
        Meta(pattern=r"^[a-z0-9_]{1,40}$"),
        Message(N_("A code has 1–40 letters a–z, digits or underscores.")),
    ] = ""


class HandledForm(msgspec.Struct):
    """A change report marked handled with a note of what was done."""

    outcome: Annotated[
        str,
        Meta(max_length=2000),
        Message(N_("At most 2,000 characters."), N_("Write what was done.")),
    ]


class DietChoiceForm(msgspec.Struct, kw_only=True):
    diets: Annotated[list[str], Message(N_("Choose only diets that the region offers."))] = []
    allergies: Annotated[list[str], Message(N_("Choose only allergies on the region's list."))] = []
    texture: Annotated[str, Message(N_("Choose a texture that the region offers."))] = "normal"


class DietForm(DietChoiceForm, kw_only=True):
    valid_from: DateField


class DayForm(msgspec.Struct):
    day: DateField


def weekly_order_form(settings: MealSettings) -> type[msgspec.Struct]:
    """Fields `qty_<weekday>_<product>` and `delivery_<weekday>` (0 = Monday; the delivery
    day is the weekday itself unless chosen)."""
    weekday = Annotated[int, Meta(ge=0, le=6), Message(N_("Choose a weekday."))]
    quantities = [
        (f"qty_{day}_{product}", Quantity, 0) for day in WEEKDAYS for product in settings.products
    ]
    deliveries = [(f"delivery_{day}", weekday, day) for day in WEEKDAYS]
    return msgspec.defstruct("WeeklyOrderForm", [*quantities, *deliveries])


@dataclass(frozen=True)
class WeeklyOrder:
    """The standing order as submitted: (weekday, product) → quantity, weekday → delivery day."""

    quantities: dict[tuple[int, str], int]
    delivery_weekdays: dict[int, int]


def parse_weekly_order(
    data: dict[str, Any], settings: MealSettings, errors: dict[str, str] | None = None
) -> WeeklyOrder:
    """The weekly order, refused together with the caller's `errors` (if any)."""
    fields = msgspec.structs.asdict(parse_form(weekly_order_form(settings), data, errors=errors))
    quantities = {
        (day, product): fields[f"qty_{day}_{product}"]
        for day in WEEKDAYS
        for product in settings.products
        if fields[f"qty_{day}_{product}"]
    }
    if not quantities:
        raise ValidationFailed({"order": N_("Order at least one meal a week.")})
    deliveries = {day: fields[f"delivery_{day}"] for day, _ in quantities}
    return WeeklyOrder(quantities, deliveries)


def order_form_values(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Form values showing the given order lines."""
    values: dict[str, Any] = {}
    for line in lines:
        values[f"qty_{line['weekday']}_{line['product']}"] = line["quantity"]
        values[f"delivery_{line['weekday']}"] = line["delivery_weekday"]
    return values
