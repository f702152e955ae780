"""Each service's figures against hand-built months, read back from the aggregates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core.plugins import BillingPeriod
from core.situation.services import Figure, Selection, declared_metrics, picture
from core.web.runtime import Runtime
from plugins.meals.tables import MealService
from tests.core.situation.scenario import (
    MARCH,
    bookings_march,
    compute,
    meals_march,
    phones_march,
)
from tests.plugins.meals.conftest import active_service, new_region


def everyone(permission: str) -> bool:
    return True


async def figures(runtime: Runtime, selection: Selection, can: Any = everyone) -> dict[str, Figure]:
    found = await picture(declared_metrics(runtime.host), selection, can)
    return {f.metric.name: f for f in found.figures}


def value(figure: Figure) -> Decimal | None:
    return figure.current.value


async def test_meal_openings_endings_and_pauses_of_a_month(runtime: Runtime) -> None:
    await meals_march()
    await compute(runtime, MARCH)
    got = await figures(runtime, Selection(MARCH, MARCH, municipality="Seinäjoki"))
    assert value(got["meals.openings"]) == 3
    assert value(got["meals.endings"]) == 1
    assert value(got["meals.pauses"]) == 2
    assert value(got["meals.customers"]) == 5
    assert got["meals.openings"].refreshed_at is not None
    kitchen = await figures(runtime, Selection(MARCH, MARCH, unit="Seinäjoki keskuskeittiö"))
    assert value(kitchen["meals.openings"]) == 3
    assert value(kitchen["meals.meals"]) == value(got["meals.meals"]) > 0
    assert value(kitchen["security_phones.alarms"]) == 0  # not split by unit


async def test_security_phone_alarms_and_response_times(runtime: Runtime) -> None:
    await phones_march()
    await compute(runtime, MARCH)
    got = await figures(runtime, Selection(MARCH, MARCH))
    assert value(got["security_phones.customers"]) == 2
    assert value(got["security_phones.openings"]) == 1
    assert value(got["security_phones.alarms"]) == 3
    assert value(got["security_phones.visits"]) == 2
    assert value(got["security_phones.response_minutes"]) == Decimal("25.0")
    bands = {code: cell.value for code, _, cell in got["security_phones.response_times"].splits}
    assert bands == {"0-15": 1, "15-30": 0, "30-45": 1, "45-60": 0, "60-": 0}


async def test_bookings_no_shows_and_cancellations(runtime: Runtime) -> None:
    await bookings_march()
    await compute(runtime, MARCH)
    got = await figures(runtime, Selection(MARCH, MARCH, unit="Perheneuvola"))
    assert value(got["booking.bookings"]) == 3
    assert value(got["booking.no_shows"]) == 1
    assert value(got["booking.cancellations"]) == 1
    assert value(got["booking.customers"]) == 3


async def test_small_cells_are_hidden_from_those_without_the_customers(runtime: Runtime) -> None:
    await meals_march()
    await compute(runtime, MARCH)
    selection = Selection(MARCH, MARCH, municipality="Seinäjoki")
    leader = await figures(runtime, selection, can=lambda permission: False)
    assert leader["meals.openings"].current.suppressed
    assert leader["meals.openings"].current.value is None
    assert leader["meals.openings"].list_href == ""
    assert value(leader["meals.customers"]) == 5  # five customers is not a small cell
    coordinator = await figures(runtime, selection)
    assert value(coordinator["meals.openings"]) == 3
    # the lists behind the figures are narrowed to the municipality
    assert (
        coordinator["meals.openings"].list_href
        == "/meals/reports/deviations?month=2026-03&municipality=Sein%C3%A4joki"
    )
    assert (
        coordinator["meals.customers"].list_href
        == "/meals/services?month=2026-03&municipality=Sein%C3%A4joki"
    )
    region = await figures(runtime, Selection(MARCH, MARCH))
    assert region["meals.openings"].list_href == "/meals/reports/deviations?month=2026-03"


async def test_year_earlier_comparison_across_a_leap_year(runtime: Runtime) -> None:
    """One lunch a day: February 2024 has 29 meals, the Februaries around it 28."""
    region = await new_region()
    await active_service(region, dt.date(2023, 1, 2))
    months = [BillingPeriod(year, 2) for year in (2023, 2024, 2025)]
    await compute(runtime, *months, names=("meals.meals",))
    leap = await figures(runtime, Selection(months[1], months[1]))
    assert (value(leap["meals.meals"]), leap["meals.meals"].year_earlier.value) == (29, 28)
    assert leap["meals.meals"].change_year == 1
    after = await figures(runtime, Selection(months[2], months[2]))
    assert (value(after["meals.meals"]), after["meals.meals"].year_earlier.value) == (28, 29)
    assert after["meals.meals"].change_year == -1


async def test_a_month_is_filed_under_the_municipality_valid_at_its_end(runtime: Runtime) -> None:
    """A customer who moved from Seinäjoki to Lapua this month stays in Seinäjoki's figures of
    the months before; this month (its end is after the move) is Lapua's."""
    from dataclasses import asdict

    from core.common.clock import today
    from core.customers import services as customers
    from core.db import transaction
    from core.situation.months import add_months
    from tests.helpers import SYSTEM

    region = await new_region()
    service = await active_service(region, dt.date(2026, 1, 5))
    customer_id = (await MealService.select(MealService.customer).where(MealService.id == service))[
        0
    ]["customer"]
    before = await customers.get_customer(customer_id)
    form = {k: ("" if v is None else str(v)) for k, v in asdict(before).items()}
    form.update(municipality="Lapua", status_date="", identity_code="131052-308T")  # a valid one
    async with transaction():
        await customers.update_customer(
            SYSTEM, customer_id, before.version, form, runtime.settings.municipalities
        )
    current = BillingPeriod(today().year, today().month)
    previous = add_months(current, -1)
    await compute(runtime, previous, current, names=("meals.customers", "billing.euros"))
    for period, home in ((previous, "Seinäjoki"), (current, "Lapua")):
        for municipality, count in (
            (home, 1),
            ({"Seinäjoki", "Lapua"}.difference({home}).pop(), 0),
        ):
            got = await figures(runtime, Selection(period, period, municipality=municipality))
            assert value(got["meals.customers"]) == count, (period, municipality)


async def test_a_kitchens_past_months_keep_the_services_it_delivered(runtime: Runtime) -> None:
    """A service moved to another kitchen on 10.4.2026 counts in its first kitchen in March and
    in the new one in April (the kitchen and route history), not in its current kitchen."""
    from core.db import transaction
    from plugins.meals import services as meal_services
    from plugins.meals.tables import DeliveryRoute, Kitchen

    await meals_march()
    april = BillingPeriod(2026, 4)
    moved = (
        await MealService.select(MealService.id)
        .where(MealService.end_date.is_null())
        .order_by(MealService.id)
        .first()
    )["id"]
    lapua = (await Kitchen.select(Kitchen.id).where(Kitchen.name == "Lapua").first())["id"]
    route = (await DeliveryRoute.select(DeliveryRoute.id).where(DeliveryRoute.kitchen == lapua))[0]
    async with transaction():
        await meal_services._assign_route(moved, lapua, route["id"], dt.date(2026, 4, 10))
        await MealService.update(
            {MealService.kitchen: lapua, MealService.route: route["id"]}
        ).where(MealService.id == moved)
    await compute(runtime, MARCH, april, names=("meals.customers",))
    first_kitchen = "Seinäjoki keskuskeittiö"

    async def customers(month: BillingPeriod, unit: str) -> Decimal | None:
        got = await figures(
            runtime, Selection(month, month, unit=unit, metric_names=("meals.customers",))
        )
        return value(got["meals.customers"])

    assert await customers(MARCH, first_kitchen) == 5
    assert await customers(MARCH, "Lapua") == 0
    assert await customers(april, first_kitchen) == 3
    assert await customers(april, "Lapua") == 1

    # the services list of a month behind those figures gives the same counts
    from plugins.meals.services import ServiceFilter, list_services

    first_id = (await Kitchen.select(Kitchen.id).where(Kitchen.name == first_kitchen).first())["id"]

    async def listed(month: BillingPeriod, kitchen: int) -> int:
        total, _rows = await list_services(
            ServiceFilter(kitchen=kitchen, month=month.first_day), 1, 50
        )
        return total

    assert [await listed(MARCH, first_id), await listed(MARCH, lapua)] == [5, 0]
    assert [await listed(april, first_id), await listed(april, lapua)] == [3, 1]

    # the deviations behind a kitchen's figures of March: the moved service's March pause is
    # its first kitchen's, not that of the kitchen it has now
    from core.customers.areas import ListArea
    from plugins.meals import reports

    every = await reports.deviations(MARCH)
    assert any(r["service_id"] == moved and r["kind"] == "Paused" for r in every)
    assert await reports.deviations(MARCH, ListArea(unit=first_kitchen)) == every
    assert await reports.deviations(MARCH, ListArea(unit="Lapua")) == []


async def test_an_alarm_centres_past_months_keep_the_services_it_served(
    runtime: Runtime, monkeypatch: Any
) -> None:
    """A phone service moved from Centre A to Centre B on 10.4.2026 (the day the change was
    recorded) counts in Centre A until March and in Centre B from April, in the centre's trend
    of 24 months too; the other customer stays in Centre A."""
    from core.db import transaction
    from plugins.security_phones import customer_service
    from plugins.security_phones.tables import PhoneService
    from tests.helpers import SYSTEM
    from tests.plugins.security_phones.factories import new_centre

    await phones_march()
    first = await PhoneService.select().order_by(PhoneService.start_date).first()
    centre_b, _ = await new_centre("Centre B")
    monkeypatch.setattr(customer_service, "today", lambda: dt.date(2026, 4, 10))
    async with transaction():
        await customer_service.update_service(
            SYSTEM,
            first["customer"],
            first["version"],
            {
                "decision_date": first["decision_date"].isoformat(),
                "start_date": first["start_date"].isoformat(),
                "centre": str(centre_b),
                "centre_customer_id": "",
            },
        )
    february, april = BillingPeriod(2026, 2), BillingPeriod(2026, 4)
    await compute(runtime, february, MARCH, april, names=("security_phones.customers",))

    async def customers(month: BillingPeriod, unit: str) -> Figure:
        got = await figures(
            runtime,
            Selection(month, month, unit=unit, metric_names=("security_phones.customers",)),
        )
        return got["security_phones.customers"]

    assert value(await customers(february, "Centre A")) == 1
    assert value(await customers(MARCH, "Centre A")) == 2
    assert value(await customers(MARCH, "Centre B")) == 0
    assert value(await customers(april, "Centre A")) == 1
    assert value(await customers(april, "Centre B")) == 1
    trend = {m: c.value for m, c in (await customers(april, "Centre A")).trend}
    assert len(trend) == 24
    assert [trend[m] for m in (february, MARCH, april)] == [1, 2, 1]
    assert trend[BillingPeriod(2025, 4)] == 0  # before any service: computed months only
