"""The meal-service lifecycle and its validation, on the real database."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from core.audit.tables import AuditEntry
from core.common.clock import today
from core.common.errors import ValidationFailed, VersionConflict
from core.customers.services import get_customer
from core.db import transaction
from core.tasks.tables import Task
from plugins.meals import services
from plugins.meals.plans import load_plan
from plugins.meals.schedule import meals_on
from plugins.meals.settings import current
from plugins.meals.tables import MealException, MealOrderLine, MealPause, MealService
from tests.helpers import SYSTEM
from tests.plugins.meals.conftest import (
    MONDAY,
    OPENING_DECISION,
    active_service,
    new_customer,
    new_region,
    version_of,
    weekly_order,
)


async def test_opening_goes_to_the_coordinator_and_completion_activates() -> None:
    region = await new_region()
    service_id = await active_service(region)
    service = await services.get_service(service_id)
    assert service["status"] == "active" and service["route"] == region.route
    tasks = await Task.select(Task.kind, Task.role, Task.status)
    assert tasks == [{"kind": "meals.opening", "role": "meal_coordinator", "status": "done"}]
    assert await MealOrderLine.count().where(MealOrderLine.service == service_id) == 7
    assert await AuditEntry.count().where(AuditEntry.entity == "meal_service") == 2


async def test_opening_refuses_bad_input_and_writes_nothing() -> None:
    customer = await new_customer()
    with pytest.raises(ValidationFailed) as failure:
        async with transaction():
            await services.open_service(
                SYSTEM, customer, {"start_date": "2026-13-01", "diet": "x"}, current()
            )
    assert set(failure.value.errors) == {
        "start_date", "diet", "requested_meals", "decided_on", "decision_maker", "basis",
    }  # fmt: skip
    assert await MealService.count() == 0 and await Task.count() == 0


async def test_route_of_another_kitchen_and_absurd_quantity_are_refused() -> None:
    region = await new_region()
    customer = await new_customer()
    async with transaction():
        service_id = await services.open_service(
            SYSTEM,
            customer,
            {
                "start_date": "2026-03-02",
                "diet": "normal",
                "requested_meals": "lunch",
                **OPENING_DECISION,
            },
            current(),
        )
    data = {"kitchen": region.kitchen, "route": region.other_route, **weekly_order()}
    data["qty_2_lunch"] = "500"
    with pytest.raises(ValidationFailed) as failure:
        async with transaction():
            await services.complete_opening(SYSTEM, service_id, 1, data, current())
    assert failure.value.errors["route"] == "The route belongs to another kitchen."
    assert "qty_2_lunch" in failure.value.errors
    assert (await services.get_service(service_id))["status"] == "opening_requested"
    assert await MealOrderLine.count() == 0


async def test_order_change_keeps_history() -> None:
    region = await new_region()
    service_id = await active_service(region)
    change = MONDAY + dt.timedelta(days=14)
    async with transaction():
        await services.change_order(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"valid_from": change.isoformat(), **weekly_order(lunches=2)},
            current(),
        )
    plan = await load_plan(service_id)
    assert meals_on(plan, change - dt.timedelta(days=1)) == {"lunch": 1}
    assert meals_on(plan, change) == {"lunch": 2}


async def test_stale_version_is_a_conflict() -> None:
    region = await new_region()
    service_id = await active_service(region)
    with pytest.raises(VersionConflict):
        async with transaction():
            await services.change_order(
                SYSTEM, service_id, 1, {"valid_from": "2026-04-01", **weekly_order()}, current()
            )


async def test_pause_overlap_and_start_after_end_are_refused() -> None:
    region = await new_region()
    service_id = await active_service(region)
    async with transaction():
        await services.pause_service(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"start_date": "2026-03-10", "end_date": "2026-03-20", "reason": "hospital"},
        )
    for data, field in (
        ({"start_date": "2026-03-15", "end_date": "2026-03-25", "reason": "x"}, "start_date"),
        ({"start_date": "2026-04-10", "end_date": "2026-04-01", "reason": "x"}, "end_date"),
    ):
        with pytest.raises(ValidationFailed) as failure:
            async with transaction():
                await services.pause_service(SYSTEM, service_id, await version_of(service_id), data)
        assert field in failure.value.errors
    assert await MealPause.count() == 1


async def test_open_pause_then_reactivation() -> None:
    region = await new_region()
    service_id = await active_service(region)
    async with transaction():
        await services.pause_service(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"start_date": "2026-03-10", "reason": "hospital"},
        )
    assert (await services.get_service(service_id))["status"] == "paused"
    async with transaction():
        await services.reactivate_service(
            SYSTEM, service_id, await version_of(service_id), {"resume_date": "2026-03-16"}
        )
    plan = await load_plan(service_id)
    assert meals_on(plan, dt.date(2026, 3, 15)) == {}
    assert meals_on(plan, dt.date(2026, 3, 16)) == {"lunch": 1}
    assert (await services.get_service(service_id))["status"] == "active"


async def test_exception_on_a_day_without_delivery_is_refused() -> None:
    region = await new_region()
    service_id = await active_service(region, lunches=0, qty_0_lunch="1", delivery_0="0")
    with pytest.raises(ValidationFailed) as failure:
        async with transaction():
            await services.add_exception(
                SYSTEM,
                service_id,
                {"day": "2026-03-03", "kind": "extra", "product": "lunch", "quantity": "1"},
                current(),
            )
    assert "day" in failure.value.errors
    async with transaction():
        await services.add_exception(
            SYSTEM, service_id, {"day": "2026-03-09", "kind": "cancel"}, current()
        )
    assert meals_on(await load_plan(service_id), dt.date(2026, 3, 9)) == {}


async def test_two_simultaneous_exceptions_on_one_day_leave_one() -> None:
    region = await new_region()
    service_id = await active_service(region)

    async def cancel_monday() -> str:
        try:
            async with transaction():
                await services.add_exception(
                    SYSTEM, service_id, {"day": "2026-03-09", "kind": "cancel"}, current()
                )
        except ValidationFailed as refused:
            return refused.errors["day"]
        return "added"

    outcomes = await asyncio.gather(cancel_monday(), cancel_monday())
    assert sorted(outcomes) == ["This day already has an exception.", "added"]
    assert await MealException.count().where(MealException.service == service_id) == 1


async def test_ending_goes_to_client_guidance_whose_decision_closes() -> None:
    region = await new_region()
    service_id = await active_service(region)
    with pytest.raises(ValidationFailed):
        async with transaction():
            await services.request_ending(
                SYSTEM,
                service_id,
                await version_of(service_id),
                {"end_date": "2026-01-01", "ending_reason": "moved"},
            )
    async with transaction():
        await services.request_ending(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"end_date": "2026-03-31", "ending_reason": "moved to a care home"},
        )
    ending = await Task.select(Task.role, Task.status).where(Task.kind == "meals.ending").first()
    assert ending == {"role": "client_guidance", "status": "open"}
    async with transaction():
        await services.decide_ending(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"decided_on": today().isoformat(), "decision_maker": "Laine", "basis": "moved"},
        )
    assert (await services.get_service(service_id))["status"] == "ended"
    assert await Task.count().where(Task.status == "open") == 0


async def test_death_of_the_customer_ends_the_service_through_the_core_hook(runtime: Any) -> None:
    region = await new_region()
    service_id = await active_service(region)
    service = await services.get_service(service_id)
    customer = await get_customer(service["customer"])
    async with transaction():
        await runtime.host.acollect(
            "valvomo_customer_died",
            customer=replace(customer, status="deceased", status_date=dt.date(2026, 3, 20)),
            actor=SYSTEM,
        )
    ended = await services.get_service(service_id)
    assert (ended["status"], ended["end_date"]) == ("ended", dt.date(2026, 3, 20))


def test_an_ended_service_reads_ending_decided_until_its_last_day_and_ended_after() -> None:
    service = {"status": "ended", "end_date": dt.date(2026, 12, 31)}
    until = ("Ending decided, meals until %(date)s", {"date": dt.date(2026, 12, 31)})
    assert services.status_label(service, dt.date(2026, 12, 1)) == until
    assert services.status_label(service, dt.date(2026, 12, 31)) == until
    assert services.status_label(service, dt.date(2027, 1, 1)) == ("Ended", {})
