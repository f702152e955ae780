"""Retention of ended meal services: the service with its orders, pauses, exceptions and days."""

from __future__ import annotations

import datetime as dt

from plugins.meals.tables import MealService
from valvomo.api import ExpiredRecord, RetentionRule


async def expired_services(cutoff: dt.datetime, limit: int) -> list[ExpiredRecord]:
    rows = (
        await MealService.select(MealService.id, MealService.customer)
        .where((MealService.status == "ended") & (MealService.end_date < cutoff.date()))
        .order_by(MealService.id)
        .limit(limit)
    )
    return [ExpiredRecord("meal_service", r["id"], r["customer"]) for r in rows]


async def delete_services(ids: list[int]) -> None:
    # Orders, pauses, exceptions, route assignments and recorded days cascade with the service.
    await MealService.delete().where(MealService.id.is_in(ids))


ENDED_SERVICES = RetentionRule(
    kind="meals_ended_services",
    label="Ended meal services with their orders and recorded meal days",
    find_expired=expired_services,
    delete=delete_services,
)
