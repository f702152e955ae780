"""Production and delivery lists: holiday moves, route order, changes since the previous list."""

from __future__ import annotations

import datetime as dt

from core.common.clock import today
from core.db import transaction
from core.plugins import BillingPeriod
from plugins.meals import places, services
from plugins.meals.lists import (
    kitchen_printout,
    production_list,
    route_changes,
    route_delivery_list,
)
from plugins.meals.reports import transport
from plugins.meals.settings import current
from tests.helpers import SYSTEM
from tests.plugins.meals.conftest import active_service, new_region, version_of


async def test_delivery_list_in_stop_order_with_changes_since_previous_list() -> None:
    region = await new_region()
    first = await active_service(region, route_stop="5")
    second = await active_service(region, route_stop="2")
    monday, thursday = dt.date(2026, 3, 9), dt.date(2026, 3, 12)
    stops = await route_delivery_list(region.route, monday, current())
    assert [s.service_id for s in stops] == [second, first]
    assert stops[0].meal_days == [monday, monday + dt.timedelta(1), monday + dt.timedelta(2)]

    async with transaction():
        await services.pause_service(
            SYSTEM,
            first,
            await version_of(first),
            {"start_date": "2026-03-12", "reason": "hospital"},
        )
        await services.add_exception(
            SYSTEM,
            second,
            {"day": "2026-03-13", "kind": "extra", "product": "evening_meal", "quantity": "1"},
            current(),
        )
    now_stops = await route_delivery_list(region.route, thursday, current())
    changes = await route_changes(region.route, thursday, now_stops, current())
    assert changes.previous_day == monday
    assert [d["stop"].service_id for d in changes.dropped] == [first]
    assert changes.dropped[0]["status"] == "paused"
    assert [s.service_id for s in changes.changed] == [second]


async def test_production_list_counts_meals_of_the_days_deliveries_by_diet() -> None:
    region = await new_region()
    await active_service(region)
    await active_service(region, lunches=2)
    counts = await production_list(region.kitchen, dt.date(2026, 3, 5), current())
    assert counts == {("lunch", "normal"): 4 * 1 + 4 * 2}


async def test_good_friday_delivery_moves_to_thursday() -> None:
    region = await new_region()
    await active_service(region, start=dt.date(2026, 3, 30))
    # Thursday 2.4. delivers as usual; nothing moves onto Good Friday 3.4.
    assert await production_list(region.kitchen, dt.date(2026, 4, 3), current()) == {}
    # Easter Monday 6.4. is a holiday: its Mon–Wed delivery moves to Saturday 4.4.
    saturday = await production_list(region.kitchen, dt.date(2026, 4, 4), current())
    assert saturday == {("lunch", "normal"): 3}


async def test_route_change_keeps_past_lists_and_splits_the_transport_report() -> None:
    region = await new_region()
    async with transaction():
        second_route = await places.create_route(SYSTEM, region.kitchen, "Reitti 2")
    start = today() - dt.timedelta(days=today().weekday() + 14)  # a Monday two weeks back
    service_id = await active_service(region, start=start)
    async with transaction():
        await services.update_delivery(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"kitchen": region.kitchen, "route": second_route, "diet": "normal"},
            current(),
        )
    past_monday = start + dt.timedelta(days=7)
    next_monday = today() + dt.timedelta(days=7 - today().weekday())
    assert [
        s.service_id for s in await route_delivery_list(region.route, past_monday, current())
    ] == [service_id]
    assert await route_delivery_list(second_route, past_monday, current()) == []
    assert [
        s.service_id for s in await route_delivery_list(second_route, next_monday, current())
    ] == [service_id]
    assert await route_delivery_list(region.route, next_monday, current()) == []
    period = BillingPeriod(next_monday.year, next_monday.month)
    routes = {row["route"] for row in await transport(period, current()) if row["meals"]}
    if start.month == next_monday.month == today().month:
        assert routes == {"Reitti 1", "Reitti 2"}
    else:
        assert "Reitti 2" in routes


async def test_printout_splits_counts_per_route_and_shows_the_change_since_the_last_day() -> None:
    region = await new_region()
    async with transaction():
        second_route = await places.create_route(SYSTEM, region.kitchen, "Reitti 2")
    await active_service(region)
    await active_service(region, lunches=2, route=second_route)
    thursday = dt.date(2026, 3, 5)  # carries Thu–Sun; Monday's delivery carried Mon–Wed
    printout = await kitchen_printout(region.kitchen, thursday, current())
    lunch = ("lunch", "normal")
    assert printout.counts_by_route == {region.route: {lunch: 4}, second_route: {lunch: 8}}
    assert printout.counts == {lunch: 12}
    assert printout.previous_day == dt.date(2026, 3, 2)
    assert printout.previous_counts == {lunch: 3 + 6}
    assert printout.count_changes == {lunch: 3}
    assert [(sheet.name, sheet.totals) for sheet in printout.routes] == [
        ("Reitti 1", {"lunch": 4}),
        ("Reitti 2", {"lunch": 8}),
    ]
