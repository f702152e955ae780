"""Retention of ended meal services: the service with its orders, pauses, exceptions and days."""

from __future__ import annotations

import datetime as dt

from plugins.meals.tables import MealService
from valvomo.api import ExpiredRecord, RetentionRule, expired_records


async def expired_services(cutoff: dt.datetime, limit: int) -> list[ExpiredRecord]:
    ended = (MealService.status == "ended") & (MealService.end_date < cutoff.date())
    return await expired_records("meal_service", MealService.customer, ended, limit)


async def delete_services(ids: list[int]) -> None:
    # Orders, pauses, exceptions, route assignments and recorded days cascade with the service.
    await MealService.delete().where(MealService.id.is_in(ids))


ENDED_SERVICES = RetentionRule(
    kind="meals_ended_services",
    label="Ended meal services with their orders and recorded meal days",
    find_expired=expired_services,
    delete=delete_services,
)
