"""The worker's round: recent months every time, never-computed months a few at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from core.db import transaction
from core.plugins import BillingPeriod, MetricContext
from core.situation import refresh as refreshing
from core.situation.services import declared_metrics
from core.situation.tables import SituationFigure, SituationRefresh
from core.web.runtime import Runtime
from tests.plugins.meals.conftest import active_service, new_region

DAY = dt.date(2026, 3, 18)


async def refreshed_months(metric: str) -> list[dt.date]:
    rows = await SituationRefresh.select(SituationRefresh.month).where(
        SituationRefresh.metric == metric
    )
    return sorted(r["month"] for r in rows)


async def test_round_refreshes_recent_months_and_backfills_the_rest(runtime: Runtime) -> None:
    await active_service(await new_region(), dt.date(2026, 1, 5))
    first = await refreshing.refresh_round(runtime.host, runtime.settings, DAY)
    metrics = declared_metrics(runtime.host)
    per_round = 2 + refreshing.BACKFILL_PER_ROUND
    assert first.metric_months == len(metrics) * per_round
    months = await refreshed_months("meals.customers")
    assert months[-2:] == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert len(months) == per_round
    await refreshing.refresh_round(runtime.host, runtime.settings, DAY)
    assert len(await refreshed_months("meals.customers")) == 2 + 2 * refreshing.BACKFILL_PER_ROUND
    stored = await SituationFigure.select(SituationFigure.value).where(
        (SituationFigure.metric == "meals.customers")
        & (SituationFigure.month == dt.date(2026, 3, 1))
        & (SituationFigure.level == "region")
    )
    assert [int(r["value"]) for r in stored] == [1]


async def test_a_failing_metric_does_not_stop_the_others(runtime: Runtime) -> None:
    metrics = list(declared_metrics(runtime.host).values())

    async def broken(period: object, context: object) -> list[object]:
        raise RuntimeError("plugin bug")

    failing = replace(metrics[0], name="broken.metric", compute=broken)
    result = await refreshing.refresh(
        [failing, metrics[0]],
        [BillingPeriod(2026, 3)],
        MetricContext(runtime.host, runtime.settings),
    )
    assert result.metric_months == 1
    assert await refreshed_months("broken.metric") == []


async def test_only_months_whose_data_changed_are_recomputed(runtime: Runtime) -> None:
    """A round recomputes a metric-month only when its stamp moved: a pause begun in March
    recomputes March's meal figures and billed euros, not the other services' figures."""
    from plugins.meals import services as meals
    from tests.helpers import SYSTEM
    from tests.plugins.meals.conftest import version_of

    service = await active_service(await new_region(), dt.date(2026, 1, 5))
    metrics = list(declared_metrics(runtime.host).values())
    march = [BillingPeriod(2026, 3)]

    async def round_() -> refreshing.RefreshResult:
        context = MetricContext(runtime.host, runtime.settings)
        return await refreshing.refresh(metrics, march, context, incremental=True)

    first = await round_()
    assert (first.metric_months, first.unchanged) == (len(metrics), 0)
    again = await round_()
    assert (again.metric_months, again.unchanged) == (0, len(metrics))
    async with transaction():
        await meals.pause_service(
            SYSTEM,
            service,
            await version_of(service),
            {"start_date": "2026-03-10", "end_date": "", "reason": "hospital stay"},
        )
    changed = await round_()
    recomputed = {m.name for m in metrics if m.name.startswith("meals.")} | {"billing.euros"}
    assert changed.metric_months == len(recomputed)
    assert changed.unchanged == len(metrics) - len(recomputed)
    pauses = await SituationFigure.select(SituationFigure.value).where(
        (SituationFigure.metric == "meals.pauses") & (SituationFigure.level == "region")
    )
    assert [int(r["value"]) for r in pauses] == [1]


async def test_a_stamp_is_trusted_for_an_hour_at_most(runtime: Runtime) -> None:
    metrics = list(declared_metrics(runtime.host).values())
    march = [BillingPeriod(2026, 3)]
    context = MetricContext(runtime.host, runtime.settings)
    await refreshing.refresh(metrics, march, context, incremental=True)
    await SituationRefresh.update(
        {SituationRefresh.computed_at: SituationRefresh.computed_at - dt.timedelta(hours=2)}
    ).where(SituationRefresh.id > 0)
    later = await refreshing.refresh(metrics, march, context, incremental=True)
    assert (later.metric_months, later.unchanged) == (len(metrics), 0)


async def test_a_late_correction_to_an_older_month_reaches_the_picture(runtime: Runtime) -> None:
    """An alarm entered in June for March: March is no longer checked every round, but a round
    checks the older months checked longest ago, and March's stamp has moved."""
    from plugins.security_phones.tables import Alarm
    from tests.core.situation.scenario import at, phones_march

    june = dt.date(2026, 6, 10)
    await phones_march()
    await refreshing.refresh_round(runtime.host, runtime.settings, june)

    async def march_alarms() -> int:
        rows = await SituationFigure.select(SituationFigure.value).where(
            (SituationFigure.metric == "security_phones.alarms")
            & (SituationFigure.month == dt.date(2026, 3, 1))
            & (SituationFigure.level == "region")
        )
        return int(rows[0]["value"])

    assert await march_alarms() == 3
    first = await Alarm.select(Alarm.customer, Alarm.centre).first()
    async with transaction():
        await Alarm.insert(
            Alarm(centre=first["centre"], centre_alarm_id="late", occurred_at=at(30, 2),
                  customer=first["customer"], kind="button", visit_needed=False)
        )  # fmt: skip
    await SituationRefresh.update(
        {SituationRefresh.refreshed_at: SituationRefresh.refreshed_at - dt.timedelta(days=1)}
    ).where(SituationRefresh.month == dt.date(2026, 3, 1))
    assert dt.date(2026, 3, 1) in [p.first_day for p in await refreshing.months_to_recheck(june)]
    result = await refreshing.refresh_round(runtime.host, runtime.settings, june)
    assert await march_alarms() == 4
    assert result.unchanged > 0  # the other services' March figures were only checked
