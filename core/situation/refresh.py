"""Keeping the aggregates current: every few minutes the worker checks each metric's recent months
and recomputes those whose data changed since (their stamp differs), and computes months that
have never been computed (backfill) a few at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.common.clock import now, today
from core.db import insert_rows, transaction
from core.plugins.types import BillingPeriod, Metric, MetricCell, MetricContext
from core.situation import shares
from core.situation.months import add_months, months_between
from core.situation.services import DECLARED, MUNICIPALITY, REGION, UNIT, declared_metrics
from core.situation.tables import SituationFigure, SituationRefresh

log = logging.getLogger(__name__)
REFRESH_SECONDS = 300  # the worker recomputes the current and the previous month this often
KEPT_MONTHS = 36  # months kept computed: 24 months of trend and a year-earlier comparison
BACKFILL_PER_ROUND = 6  # never-computed months per round, so one round stays short
# Older months checked per round for late corrections, the longest unchecked first: with 34
# older months kept, each is checked about once an hour.
RECHECK_PER_ROUND = 3
# A metric-month is recomputed at least this often even when its stamp has not changed: a net
# for what a stamp cannot see (settings, a plugin's stamp missing a table).
RECOMPUTE_AT_LEAST = dt.timedelta(hours=1)

Key = tuple[str, str, str]  # level, area, split
Totals = tuple[Decimal, int, int]  # value, weight, customers


def roll_up(cells: Iterable[MetricCell]) -> dict[Key, Totals]:
    """The region, each municipality and each unit from the plugin's detailed cells."""
    totals: dict[Key, list[Any]] = defaultdict(lambda: [Decimal(0), 0, 0])
    for cell in cells:
        keys = [(REGION, "", cell.split)]
        if cell.municipality:
            keys.append((MUNICIPALITY, cell.municipality, cell.split))
        if cell.unit:
            keys.append((UNIT, cell.unit, cell.split))
        for key in keys:
            total = totals[key]
            total[0] += Decimal(str(cell.value))
            total[1] += cell.weight
            total[2] += cell.customers
    return {k: (v[0], v[1], v[2]) for k, v in totals.items()}


@dataclass(frozen=True)
class RefreshResult:
    metric_months: int  # recomputed
    rows: int
    seconds: float
    unchanged: int = 0  # found unchanged by their stamp, not recomputed
    customers: int = 0  # changed customers whose shares were recomputed (see `shares`)

    def __add__(self, other: RefreshResult) -> RefreshResult:
        return RefreshResult(
            self.metric_months + other.metric_months,
            self.rows + other.rows,
            self.seconds + other.seconds,
            self.unchanged + other.unchanged,
            self.customers + other.customers,
        )


async def refresh_metric_month(
    metric: Metric, period: BillingPeriod, context: MetricContext, stamp: str | None = None
) -> int:
    """Recompute one metric for one month and replace its stored rows in one transaction."""
    started = time.perf_counter()
    cells = await metric.compute(period, context)
    totals = roll_up(cells)
    month = period.first_day
    rows = [
        (metric.name, month, level, area, split, value, weight, customers)
        for (level, area, split), (value, weight, customers) in totals.items()
    ]
    async with transaction():
        await SituationFigure.delete().where(
            (SituationFigure.metric == metric.name) & (SituationFigure.month == month)
        )
        if rows:
            await insert_rows(SituationFigure, FIGURE_COLUMNS, rows)
        await SituationRefresh.delete().where(
            (SituationRefresh.metric == metric.name) & (SituationRefresh.month == month)
        )
        moment = now()
        await SituationRefresh.insert(
            SituationRefresh(
                metric=metric.name,
                month=month,
                refreshed_at=moment,
                computed_at=moment,
                seconds=time.perf_counter() - started,
                stamp=stamp or "",
            )
        )
    return len(rows)


FIGURE_COLUMNS = (
    SituationFigure.metric,
    SituationFigure.month,
    SituationFigure.level,
    SituationFigure.area,
    SituationFigure.split,
    SituationFigure.value,
    SituationFigure.weight,
    SituationFigure.customers,
)


async def refresh(
    metrics: Sequence[Metric],
    months: Sequence[BillingPeriod],
    context: MetricContext,
    *,
    incremental: bool = False,
    by_customer: bool = False,
    trust_stamps: dt.timedelta = RECOMPUTE_AT_LEAST,
) -> RefreshResult:
    """Recompute `metrics` for `months`; a metric that fails is logged and the others go on.
    `incremental`: skip a metric-month whose stamp is what it was computed from (and computed
    within `RECOMPUTE_AT_LEAST`), only marking it current. `by_customer`: keep the customers'
    shares of metrics with customer stamps (`core.situation.shares`) and, when incremental,
    recompute only the customers whose stamp moved; for the months checked every round.
    `trust_stamps`: how long a stored stamp is trusted (older months: for as long as kept)."""
    result = RefreshResult(0, 0, 0.0)
    for period in months:
        result += await _refresh_month(
            metrics, period, context, incremental, by_customer, trust_stamps
        )
        context.shared.clear()  # a month's shared query results are not the next month's
    return result


async def _refresh_month(
    metrics: Sequence[Metric],
    period: BillingPeriod,
    context: MetricContext,
    incremental: bool,
    by_customer: bool,
    trust_stamps: dt.timedelta = RECOMPUTE_AT_LEAST,
) -> RefreshResult:
    started = time.perf_counter()
    context.shared[DECLARED] = {m.name: m for m in metrics}
    done, rows, unchanged, customers = 0, 0, [], 0
    whole: list[Metric] = [] if by_customer else list(metrics)
    for service, group in _by_service(metrics if by_customer else []).items():
        outcome = await _refresh_by_customer(service, group, period, context, incremental)
        if outcome is None:
            whole += group
            continue
        done, rows = done + outcome.metric_months, rows + outcome.rows
        unchanged += outcome.unchanged_names
        customers += outcome.customers
    stored = await _stored_stamps(period, now() - trust_stamps) if incremental else {}
    for metric in whole:
        try:
            stamp = await metric.stamp(period, context) if metric.stamp else None
            if stamp is not None and stored.get(metric.name) == stamp:
                unchanged.append(metric.name)
                continue
            rows += await refresh_metric_month(metric, period, context, stamp)
            done += 1
        except Exception:
            log.exception("Metric %s of %s could not be computed", metric.name, period)
    if unchanged:
        await SituationRefresh.update({SituationRefresh.refreshed_at: now()}).where(
            SituationRefresh.metric.is_in(unchanged) & (SituationRefresh.month == period.first_day)
        )
    return RefreshResult(done, rows, time.perf_counter() - started, len(unchanged), customers)


def _by_service(metrics: Sequence[Metric]) -> dict[str, list[Metric]]:
    """Metrics with customer stamps by their service (which share the stamps); the others each
    on their own under ""."""
    grouped: dict[str, list[Metric]] = defaultdict(list)
    for metric in metrics:
        grouped[metric.service if metric.customer_stamps else ""].append(metric)
    return grouped


@dataclass(frozen=True)
class CustomerOutcome:
    metric_months: int
    rows: int
    unchanged_names: list[str]
    customers: int = 0  # recomputed, when not all


async def _refresh_by_customer(
    service: str,
    metrics: list[Metric],
    period: BillingPeriod,
    context: MetricContext,
    incremental: bool,
) -> CustomerOutcome | None:
    """A service's figures of a recent month from its customers' shares, recomputing only the
    customers whose stamp moved; None when they are computed whole instead (no customer
    stamps)."""
    if not service:
        return None
    customer_stamps = metrics[0].customer_stamps
    assert customer_stamps is not None
    current = incremental and await shares.shares_current(
        metrics, period, now() - RECOMPUTE_AT_LEAST
    )
    try:
        # the month stamp first: a change made while the customers' stamps are read then moves
        # it again, so the next round looks at the customers once more
        month_stamp = await _month_stamp(metrics[0], period, context)
        if current and month_stamp is not None:
            if month_stamp == await shares.stored_month_stamp(service, period):
                return CustomerOutcome(0, 0, [m.name for m in metrics])
        stamps = await customer_stamps(period, context)
    except Exception:
        log.exception("Customer stamps of %s of %s could not be read", service, period)
        return None
    if stamps is None:
        return None
    stored = await shares.stored_stamps(service, period)
    changed = shares.changed_customers(stamps, stored)
    whole = not (current and len(changed) <= len(stamps) * shares.MOST_CHANGED)
    if not whole and not changed:
        await shares.save_stamps(service, period, stamps, set(), month_stamp)
        return CustomerOutcome(0, 0, [m.name for m in metrics])
    done, rows, failed = 0, 0, False
    # one narrowed context for the service's figures, so they share its queries as a whole
    # computation does
    narrowed = context.for_customers(frozenset(changed))
    for metric in metrics:
        try:
            if whole:
                rows += await shares.replace_all(metric, period, context)
            else:
                rows += await shares.replace_changed(metric, period, narrowed)
            done += 1
        except Exception:
            failed = True  # its stamps stay old, so the next round tries these customers again
            log.exception("Metric %s of %s could not be computed", metric.name, period)
    if not failed:
        await shares.save_stamps(service, period, stamps, None if whole else changed, month_stamp)
    return CustomerOutcome(done, rows, [], 0 if whole else len(changed))


async def _month_stamp(metric: Metric, period: BillingPeriod, context: MetricContext) -> str | None:
    """The service's stamp of the whole month (`Metric.stamp`), None without one."""
    return await metric.stamp(period, context) if metric.stamp else None


async def _stored_stamps(period: BillingPeriod, since: dt.datetime) -> dict[str, str]:
    """The stamps of the month's figures computed since `since`: recently enough to be
    trusted."""
    rows = await SituationRefresh.select(
        SituationRefresh.metric, SituationRefresh.stamp, SituationRefresh.computed_at
    ).where(SituationRefresh.month == period.first_day)
    return {
        r["metric"]: r["stamp"]
        for r in rows
        if r["stamp"] and r["computed_at"] is not None and r["computed_at"] > since
    }


def recent_months(day: dt.date) -> list[BillingPeriod]:
    """The months refreshed every round: the current one and the previous one (late entries)."""
    current = BillingPeriod(day.year, day.month)
    return [add_months(current, -1), current]


async def missing_months(metrics: Sequence[Metric], day: dt.date) -> dict[str, list[BillingPeriod]]:
    """Per metric, the kept months that have never been computed, newest first."""
    current = BillingPeriod(day.year, day.month)
    kept = months_between(add_months(current, -(KEPT_MONTHS - 1)), current)
    rows = await SituationRefresh.select(SituationRefresh.metric, SituationRefresh.month).where(
        SituationRefresh.month >= kept[0].first_day
    )
    done = {(r["metric"], r["month"]) for r in rows}
    return {
        m.name: [p for p in reversed(kept) if (m.name, p.first_day) not in done] for m in metrics
    }


async def months_to_recheck(day: dt.date) -> list[BillingPeriod]:
    """The kept months older than the recent ones that were checked longest ago: late
    corrections (an alarm entered afterwards, a service's dates corrected) reach them."""
    current = BillingPeriod(day.year, day.month)
    first, last = add_months(current, -(KEPT_MONTHS - 1)), add_months(current, -2)
    rows = await SituationRefresh.select(
        SituationRefresh.month, SituationRefresh.refreshed_at
    ).where(
        (SituationRefresh.month >= first.first_day) & (SituationRefresh.month <= last.first_day)
    )
    checked: dict[dt.date, dt.datetime] = {}
    for r in rows:
        month, moment = r["month"], r["refreshed_at"]
        checked[month] = min(checked.get(month, moment), moment)
    oldest = sorted(checked, key=lambda month: checked[month])[:RECHECK_PER_ROUND]
    return [BillingPeriod(month.year, month.month) for month in sorted(oldest)]


async def refresh_round(host: Any, settings: Any, day: dt.date | None = None) -> RefreshResult:
    """One round of the worker: the recent months of every metric whose data changed, a few
    older months whose data changed since (late corrections), then some never-computed
    months."""
    day = day or today()
    context = MetricContext(host=host, settings=settings)
    metrics = list(declared_metrics(host).values())
    recent = recent_months(day)
    result = await refresh(metrics, recent, context, incremental=True, by_customer=True)
    await shares.forget_before(recent[0].first_day)
    older = await months_to_recheck(day)
    result += await refresh(
        metrics, older, context, incremental=True, trust_stamps=dt.timedelta(days=KEPT_MONTHS * 31)
    )
    missing = await missing_months(metrics, day)
    for metric in metrics:
        months = missing[metric.name][:BACKFILL_PER_ROUND]
        if months:
            result += await refresh([metric], months, context)
    return result


async def refresh_forever(host: Any, settings: Any, interval: float = REFRESH_SECONDS) -> None:
    """The worker's loop; cancelled when the worker stops."""
    while True:
        try:
            result = await refresh_round(host, settings)
            log.info(
                "Situational picture: %s metric-months recomputed, %s unchanged, in %.1f s",
                result.metric_months,
                result.unchanged,
                result.seconds,
            )
        except Exception:  # e.g. the database restarting: log and try again next round
            log.exception("The situational picture could not be refreshed")
        await asyncio.sleep(interval)
