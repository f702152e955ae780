"""Recomputing a recent month's figure for the changed customers only.

A metric with `customer_stamps` gives one cell per customer. For the months the worker checks
every round, those cells are kept (`situation_share`) with each customer's stamp
(`situation_customer_stamp`, one per service, since a service's figures share their stamps);
a round compares the stamps, asks the metric for the cells of the customers whose stamp moved
(or who left the month), replaces just their shares and sums the shares up again in the
database. The figures are the sum of the shares, so they are exactly what a full computation
gives, at the cost of the changed customers' queries instead of everyone's.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from decimal import Decimal

from core.common.clock import now
from core.db import chunked, insert_rows, transaction
from core.plugins.types import BillingPeriod, Metric, MetricCell, MetricContext
from core.situation.services import MUNICIPALITY, REGION, UNIT
from core.situation.tables import (
    SituationCustomerStamp,
    SituationFigure,
    SituationRefresh,
    SituationShare,
)

BY_CUSTOMER = "by customer"  # the refresh stamp of a metric-month whose shares are kept
# Beyond this share of a month's customers changed, computing everyone is as cheap.
MOST_CHANGED = 0.5
# The customer under which a service's month stamp (`Metric.stamp`) is kept beside its customers'
# stamps: when it has not moved, nothing any customer's stamp comes from has, and a round skips
# reading every customer's stamp (one aggregate query instead of one row per customer).
MONTH_STAMP = -1

SHARE_COLUMNS = (
    SituationShare.metric,
    SituationShare.month,
    SituationShare.customer,
    SituationShare.municipality,
    SituationShare.unit,
    SituationShare.split,
    SituationShare.value,
    SituationShare.weight,
    SituationShare.customers,
)
STAMP_COLUMNS = (
    SituationCustomerStamp.metric,
    SituationCustomerStamp.month,
    SituationCustomerStamp.customer,
    SituationCustomerStamp.stamp,
)
# The region, municipality and unit figures of a metric-month as the sums of its shares.
ROLL_UP = " UNION ALL ".join(
    f"SELECT metric, month, '{level}' AS level, {area} AS area, split, SUM(value) AS value,"  # noqa: S608
    " SUM(weight) AS weight, SUM(customers) AS customers FROM situation_share"
    f" WHERE metric = {{}} AND month = {{}}{only} GROUP BY metric, month, {group}split"
    for level, area, only, group in (
        (REGION, "''", "", ""),
        (MUNICIPALITY, "municipality", " AND municipality <> ''", "municipality, "),
        (UNIT, "unit", " AND unit <> ''", "unit, "),
    )
)
INSERT_ROLL_UP = (
    "INSERT INTO situation_figure (metric, month, level, area, split, value, weight, customers) "
    + ROLL_UP
)


def changed_customers(now_stamps: dict[int, str], stored: dict[int, str]) -> set[int]:
    """Customers whose stamp moved, who are new in the month or who left it."""
    moved = {c for c, stamp in now_stamps.items() if stored.get(c) != stamp}
    return moved | (stored.keys() - now_stamps.keys())


async def stored_stamps(service: str, period: BillingPeriod) -> dict[int, str]:
    rows = await SituationCustomerStamp.select(
        SituationCustomerStamp.customer, SituationCustomerStamp.stamp
    ).where(
        (SituationCustomerStamp.metric == service)
        & (SituationCustomerStamp.month == period.first_day)
        & (SituationCustomerStamp.customer != MONTH_STAMP)
    )
    return {r["customer"]: r["stamp"] for r in rows}


async def stored_month_stamp(service: str, period: BillingPeriod) -> str | None:
    """The service's month stamp stored with its customers' stamps (see `MONTH_STAMP`)."""
    rows = await SituationCustomerStamp.select(SituationCustomerStamp.stamp).where(
        (SituationCustomerStamp.metric == service)
        & (SituationCustomerStamp.month == period.first_day)
        & (SituationCustomerStamp.customer == MONTH_STAMP)
    )
    return rows[0]["stamp"] if rows else None


async def shares_current(
    metrics: Sequence[Metric], period: BillingPeriod, trusted: dt.datetime
) -> bool:
    """Whether every one of `metrics` has its month's shares, fully computed since `trusted`."""
    rows = await SituationRefresh.select(
        SituationRefresh.metric, SituationRefresh.computed_at
    ).where(
        SituationRefresh.metric.is_in([m.name for m in metrics])
        & (SituationRefresh.month == period.first_day)
        & (SituationRefresh.stamp == BY_CUSTOMER)
    )
    fresh = {r["metric"] for r in rows if r["computed_at"] and r["computed_at"] > trusted}
    return all(m.name in fresh for m in metrics)


def share_rows(metric: Metric, period: BillingPeriod, cells: Sequence[MetricCell]) -> list[tuple]:
    return [
        (metric.name, period.first_day, cell.customer or 0, cell.municipality, cell.unit,
         cell.split, Decimal(str(cell.value)), cell.weight, cell.customers)
        for cell in cells
    ]  # fmt: skip


async def replace_all(metric: Metric, period: BillingPeriod, context: MetricContext) -> int:
    """Compute every customer's share of the month and the figures from them."""
    started = time.perf_counter()
    cells = await metric.compute(period, context)
    async with transaction():
        await SituationShare.delete().where(
            (SituationShare.metric == metric.name) & (SituationShare.month == period.first_day)
        )
        await insert_rows(SituationShare, SHARE_COLUMNS, share_rows(metric, period, cells))
        return await _roll_up(metric, period, started, computed=True)


async def replace_changed(metric: Metric, period: BillingPeriod, narrowed: MetricContext) -> int:
    """Compute the shares of the changed customers only (`narrowed.customers`) and sum the
    figures up again."""
    started = time.perf_counter()
    changed = narrowed.customers
    assert changed is not None
    cells = await metric.compute(period, narrowed)
    strays = [c.customer for c in cells if (c.customer or 0) not in changed]
    if strays:
        raise ValueError(f"{metric.name} gave cells of customers not asked for: {strays[:5]}")
    async with transaction():
        for chunk in chunked(sorted(changed)):
            await SituationShare.delete().where(
                (SituationShare.metric == metric.name)
                & (SituationShare.month == period.first_day)
                & SituationShare.customer.is_in(list(chunk))
            )
        await insert_rows(SituationShare, SHARE_COLUMNS, share_rows(metric, period, cells))
        return await _roll_up(metric, period, started, computed=False)


async def _roll_up(metric: Metric, period: BillingPeriod, started: float, computed: bool) -> int:
    """In the caller's transaction: the month's figures summed from its shares, and the refresh
    row (computed_at moves only when every share was computed)."""
    month = period.first_day
    await SituationFigure.delete().where(
        (SituationFigure.metric == metric.name) & (SituationFigure.month == month)
    )
    await SituationFigure.raw(INSERT_ROLL_UP, *[metric.name, month] * 3)
    moment = now()
    previous = await SituationRefresh.select(SituationRefresh.computed_at).where(
        (SituationRefresh.metric == metric.name) & (SituationRefresh.month == month)
    )
    await SituationRefresh.delete().where(
        (SituationRefresh.metric == metric.name) & (SituationRefresh.month == month)
    )
    await SituationRefresh.insert(
        SituationRefresh(
            metric=metric.name,
            month=month,
            refreshed_at=moment,
            computed_at=moment if computed or not previous else previous[0]["computed_at"],
            seconds=time.perf_counter() - started,
            stamp=BY_CUSTOMER,
        )
    )
    return await SituationFigure.count().where(
        (SituationFigure.metric == metric.name) & (SituationFigure.month == month)
    )


async def save_stamps(
    service: str,
    period: BillingPeriod,
    stamps: dict[int, str],
    customers: set[int] | None,
    month_stamp: str | None = None,
) -> None:
    """Store the stamps the shares were computed from: of `customers`, or of everyone (None),
    and the service's `month_stamp` read before them (none kept when None)."""
    where = (SituationCustomerStamp.metric == service) & (
        SituationCustomerStamp.month == period.first_day
    )
    chosen = stamps if customers is None else {c: stamps[c] for c in customers if c in stamps}
    async with transaction():
        if customers is None:
            await SituationCustomerStamp.delete().where(where)
        else:
            for chunk in chunked(sorted({*customers, MONTH_STAMP})):
                await SituationCustomerStamp.delete().where(
                    where & SituationCustomerStamp.customer.is_in(list(chunk))
                )
        rows = [(service, period.first_day, c, s) for c, s in chosen.items()]
        if month_stamp is not None:
            rows.append((service, period.first_day, MONTH_STAMP, month_stamp))
        await insert_rows(SituationCustomerStamp, STAMP_COLUMNS, rows)


async def forget_before(month: dt.date) -> None:
    """Shares and stamps of months no longer checked every round."""
    await SituationShare.delete().where(SituationShare.month < month)
    await SituationCustomerStamp.delete().where(SituationCustomerStamp.month < month)
