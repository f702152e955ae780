"""A recent month's figures recomputed for the changed customers only give exactly what a full
computation gives (`core.situation.shares`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from core.db import transaction
from core.plugins import MetricContext
from core.situation import refresh as refreshing
from core.situation.services import declared_metrics
from core.situation.tables import SituationFigure, SituationShare
from core.web.runtime import Runtime
from plugins.meals import services as meals
from plugins.meals.tables import MealService
from plugins.security_phones.tables import Alarm
from tests.core.situation.scenario import MARCH, at, meals_march, phones_march
from tests.helpers import SYSTEM
from tests.plugins.meals.conftest import version_of

PER_CUSTOMER = ("meals.", "security_phones.", "billing.")


async def figures() -> dict[tuple[Any, ...], tuple[Decimal, int, int]]:
    rows = await SituationFigure.select().where(SituationFigure.month == MARCH.first_day)
    return {
        (r["metric"], r["level"], r["area"], r["split"]): (
            Decimal(r["value"]).normalize(),
            r["weight"],
            r["customers"],
        )
        for r in rows
        if r["metric"].startswith(PER_CUSTOMER)
    }


async def test_a_round_recomputes_only_the_changed_customers(runtime: Runtime) -> None:
    await meals_march()
    await phones_march()
    metrics = [
        m for m in declared_metrics(runtime.host).values() if m.name.startswith(PER_CUSTOMER)
    ]

    async def round_() -> refreshing.RefreshResult:
        context = MetricContext(runtime.host, runtime.settings)
        return await refreshing.refresh(
            metrics, [MARCH], context, incremental=True, by_customer=True
        )

    first = await round_()
    assert first.metric_months == len(metrics) and first.customers == 0  # everyone, once
    assert await SituationShare.count() > 0
    assert (await round_()).unchanged == len(metrics)
    service = (await MealService.select(MealService.id).order_by(MealService.id).first())["id"]
    async with transaction():
        await meals.pause_service(
            SYSTEM,
            service,
            await version_of(service),
            {"start_date": "2026-03-25", "end_date": "", "reason": "hospital stay"},
        )
        phone_customer = (await Alarm.select(Alarm.customer).first())["customer"]
        await Alarm.insert(
            Alarm(
                centre=(await Alarm.select(Alarm.centre).first())["centre"],
                centre_alarm_id="late",
                occurred_at=at(28, 4),
                customer=phone_customer,
                kind="button",
                visit_needed=False,
            )
        )
    changed = await round_()
    assert changed.customers == 4  # the paused meal customer and the phone customer, in their
    # services and in billed euros
    assert changed.metric_months == len(metrics)
    incremental = await figures()
    assert incremental[("meals.pauses", "region", "", "")][0] == 3
    assert incremental[("security_phones.alarms", "region", "", "")][0] == 4
    assert incremental[("billing.euros", "region", "", "")][0] > 0
    await refreshing.refresh(metrics, [MARCH], MetricContext(runtime.host, runtime.settings))
    assert await figures() == incremental  # the same as computing every customer


async def test_shares_of_months_no_longer_recent_are_forgotten(runtime: Runtime) -> None:
    await meals_march()
    metrics = [m for m in declared_metrics(runtime.host).values() if m.name.startswith("meals.")]
    context = MetricContext(runtime.host, runtime.settings)
    await refreshing.refresh(metrics, [MARCH], context, by_customer=True)
    assert await SituationShare.count() > 0
    await refreshing.refresh_round(runtime.host, runtime.settings, dt.date(2026, 6, 10))
    assert await SituationShare.count().where(SituationShare.month < dt.date(2026, 5, 1)) == 0


async def test_a_round_without_changes_skips_the_customers_stamps(runtime: Runtime) -> None:
    """The service's month stamp is checked first: while it has not moved, no customer's stamp
    is read; a late correction moves it and is recomputed for its customer."""
    await meals_march()
    await phones_march()
    read: list[str] = []

    def counting(metric: Any) -> Any:
        inner = metric.customer_stamps

        async def stamps(period: Any, context: MetricContext) -> Any:
            read.append(metric.service)
            return await inner(period, context)

        return replace(metric, customer_stamps=stamps)

    metrics = [
        counting(m)
        for m in declared_metrics(runtime.host).values()
        if m.name.startswith(PER_CUSTOMER)
    ]

    async def round_() -> refreshing.RefreshResult:
        context = MetricContext(runtime.host, runtime.settings)
        return await refreshing.refresh(
            metrics, [MARCH], context, incremental=True, by_customer=True
        )

    await round_()
    read.clear()
    unchanged = await round_()
    assert unchanged.unchanged == len(metrics) and unchanged.metric_months == 0
    assert read == []  # one aggregate stamp per service, no customer's stamp
    before = await figures()
    phone_customer = (await Alarm.select(Alarm.customer).first())["customer"]
    await Alarm.insert(
        Alarm(
            centre=(await Alarm.select(Alarm.centre).first())["centre"],
            centre_alarm_id="entered afterwards",
            occurred_at=at(30, 9),
            customer=phone_customer,
            kind="button",
            visit_needed=False,
        )
    )
    corrected = await round_()
    assert "security_phones" in read
    meals_figures = [m for m in metrics if m.service == "meals"]
    assert corrected.unchanged == len(meals_figures)  # meals' month stamp did not move
    assert corrected.customers == 2  # the phone customer, in security phones and billed euros
    after = await figures()
    alarms = ("security_phones.alarms", "region", "", "")
    assert after[alarms][0] == before[alarms][0] + 1
    read.clear()
    assert (await round_()).metric_months == 0 and read == []
