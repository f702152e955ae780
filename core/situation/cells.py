"""What plugins' metrics share: turning grouped SQL rows into cells, one grouped query per month
giving several figures, and stamps that tell the worker whether a month has changed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from core.customers.moves import MOVES_AFTER, MUNICIPALITY_AT
from core.plugins.types import BillingPeriod, MetricCell, MetricCompute, MetricContext, MetricStamp

Rows = list[dict[str, Any]]
MonthRows = Callable[[BillingPeriod, MetricContext], Awaitable[Rows]]


def cells_of(
    rows: Iterable[Mapping[str, Any]],
    value: str = "value",
    customers: str = "customers",
    weight: str = "weight",
) -> list[MetricCell]:
    """Cells from grouped rows with `municipality`, the `value` column and optional `customers`,
    `unit`, `weight`, `split` and `customer` columns: what a metric's SQL returns. A row that is
    all zeros for this figure (a group that only other figures of the same query have) gives no
    cell."""
    cells = []
    for r in rows:
        cell = MetricCell(
            municipality=r["municipality"] or "",
            value=r[value] if r[value] is not None else 0,
            customers=int(r.get(customers) or 0),
            unit=r.get("unit") or "",
            weight=int(r.get(weight) or 0),
            split=r.get("split") or "",
            customer=r.get("customer"),
        )
        if cell.value or cell.customers or cell.weight:
            cells.append(cell)
    return cells


def shared(load: MonthRows, period: BillingPeriod, context: MetricContext) -> Awaitable[Rows]:
    """The rows of `load` for the month, queried once per refresh round however many figures
    read them."""
    return context.once((load, period), lambda: load(period, context))


def column_of(
    load: MonthRows, value: str, customers: str = "customers", weight: str = "weight"
) -> MetricCompute:
    """A figure that is one column (`value`, with its `customers` and `weight` columns) of a
    grouped query that several figures of a plugin share."""

    async def compute(period: BillingPeriod, context: MetricContext) -> list[MetricCell]:
        return cells_of(await shared(load, period, context), value, customers, weight)

    return compute


def grouped(
    columns: Mapping[str, str], source: str, where: str, unit: str, customer: str = ""
) -> str:
    """A query over `source` (which joins the customer as `c`) grouped by the municipality the
    customer lived in at the month's end (`core.customers.moves`) and the `unit` expression (a
    kitchen's or centre's name), with `columns` (name → SQL aggregate). Its :first and :last
    are the month's days (see `bound`). With `customer` (e.g. "s.customer") also grouped by the
    customer, one row each, and narrowed by `month_query` to `MetricContext.customers`."""
    selected = ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
    by = f"{MUNICIPALITY_AT}, {unit}"
    if customer:
        selected = f"{customer} AS customer, {selected}"
        by += f", {customer}"
    return (
        f"SELECT {MUNICIPALITY_AT} AS municipality, COALESCE({unit}, '') AS unit, {selected}"  # noqa: S608
        f" FROM {source}{MOVES_AFTER} WHERE ({where}){for_customers(customer)} GROUP BY {by}"
    )


def for_customers(customer: str) -> str:
    """A mark `month_query` turns into a condition on `customer` when the refresh asks for some
    customers only; "" without a customer column."""
    return f"/*customers:{customer}*/" if customer else ""


CUSTOMERS_MARK = re.compile(r"/\*customers:([^*]+)\*/")


def narrowed(sql: str, customers: frozenset[int] | None) -> str:
    """`sql` with its customer marks as conditions on `customers` (all customers for None)."""

    def condition(match: re.Match[str]) -> str:
        if customers is None:
            return ""
        if not customers:
            return " AND 1 = 0"
        return f" AND {match.group(1)} IN ({', '.join(str(int(c)) for c in sorted(customers))})"

    return CUSTOMERS_MARK.sub(condition, sql)


def counted(name: str, condition: str, customer: str = "s.customer") -> dict[str, str]:
    """Columns `name` (rows meeting `condition`) and `name_customers` (their different
    customers) for `grouped`: several figures from one pass over the rows."""
    return {
        name: f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)",
        f"{name}_customers": f"COUNT(DISTINCT CASE WHEN {condition} THEN {customer} END)",
    }


def bound(sql: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """`sql` with :name placeholders (e.g. :first, :last) as Piccolo's positional {} and their
    values in order, so a query can use a date many times."""
    args: list[Any] = []

    def placeholder(match: re.Match[str]) -> str:
        args.append(values[match.group(1)])
        return "{}"

    pattern = r":(" + "|".join(re.escape(k) for k in values) + r")\b"
    return re.sub(pattern, placeholder, sql), args


def month_query(table: Any, sql: str, **extra: Callable[[BillingPeriod], Any]) -> MonthRows:
    """The month's rows of `sql`: :first and :last are its first and last day, each of `extra`
    a value computed from the month; its customer marks (`for_customers`) narrow it to the
    context's customers."""

    async def load(period: BillingPeriod, context: MetricContext) -> Rows:
        values = {"first": period.first_day, "last": period.last_day}
        values.update({name: make(period) for name, make in extra.items()})
        text, args = bound(narrowed(sql, context.customers), values)
        return await table.raw(text, *args)

    return load


def stamp_text(*parts: Any) -> str:
    """A short fingerprint of the parts (row counts, sums of ids and versions, settings)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def stamp_of(load: MonthRows, *extra: Callable[[MetricContext], Any]) -> MetricStamp:
    """A stamp from the rows of `load` (counts and sums of ids and versions) and `extra` values
    (e.g. a setting), queried once per round for all the plugin's figures."""

    async def stamp(period: BillingPeriod, context: MetricContext) -> str | None:
        rows = await shared(load, period, context)
        return stamp_text(*(tuple(r.values()) for r in rows), *(e(context) for e in extra))

    return stamp


def customer_stamps_of(
    load: MonthRows, *extra: Callable[[MetricContext], Any]
) -> Callable[[BillingPeriod, MetricContext], Awaitable[dict[int, str] | None]]:
    """Per customer, a stamp from the rows of `load` (one or more rows per customer, with a
    `customer` column: counts and sums of ids and versions) and `extra` values (a setting),
    queried once per round for all the plugin's figures (see `Metric.customer_stamps`)."""

    async def stamps(period: BillingPeriod, context: MetricContext) -> dict[int, str] | None:
        rows = await shared(load, period, context)
        common = tuple(e(context) for e in extra)
        parts: dict[int, list[Any]] = {}
        for r in rows:
            parts.setdefault(r["customer"], []).append(tuple(r.values()))
        return {customer: stamp_text(common, *p) for customer, p in parts.items()}

    return stamps
