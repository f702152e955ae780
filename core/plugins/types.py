"""Values that plugins return from their hooks. Labels are English msgids, translated on display."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from core.i18n import N_

CENT = Decimal("0.01")  # a line's amount is rounded to cents


@dataclass(frozen=True)
class Role:
    """A staff role, e.g. the meal coordinator. Administrators assign roles to users.

    `permissions` are granted when the role is first created; they may be core's (a plugin's
    coordinator usually needs `customers.view` and `tasks.work`) or any plugin's.
    """

    code: str
    label: str
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Permission:
    """Something a role may do. `default_roles` receive it when it first appears."""

    code: str
    label: str
    default_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation, shown to users holding `permission`.

    Items with a `group` (an English msgid such as `ADMINISTRATION`) are shown together in one
    drop-down menu of that name at the end of the menu, so that a user holding every role
    still has one line at desktop width; a group of which a user sees only one item is shown
    as a plain link in its order. The work of every day stays ungrouped.
    """

    label: str
    path: str
    permission: str
    order: int = 100
    group: str = ""


ADMINISTRATION = N_("Administration")  # the navigation group of pages that set things up


@dataclass(frozen=True)
class Panel:
    """A box on the customer page or the dashboard, rendered from `template` with `context`."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class CitizenDecision:
    """A decision about one of the customer's services, shown on their own pages.

    `title` is an English msgid ("Meal service: opening decision"); `decision_maker` and
    `basis` are as the decision says them ("" when the plugin does not record them: the page
    leaves them out); `letter_href` a citizen page (under `/oma/`) with the written decision,
    e.g. its PDF letter, or "".
    """

    title: str
    decided_on: dt.date
    decision_maker: str
    basis: str
    effective_date: dt.date | None = None
    letter_href: str = ""


CLOSED_BY_NOTE = "note"
CLOSED_BY_ACTION = "action"


@dataclass(frozen=True)
class TaskKind:
    """A kind of inbox task; tasks of this kind go to users holding `role`.

    `link` is the page where the work is done, formatted with the task's payload and
    `customer` (e.g. "/meals/services/{meal_service}"); without it the task links to its
    customer. `closed_by` says how a task ends: "note" (the inbox may mark it done with a
    note) or "action" (only the action on the linked page closes it, e.g. a decision).
    `role` must hold `tasks.work` by default, or Valvomo refuses to start.
    """

    code: str
    label: str
    role: str
    link: str = ""
    closed_by: str = CLOSED_BY_NOTE

    def href(self, payload: dict[str, Any], customer_id: int | None) -> str:
        """The page the task links to; "" when neither a link nor a customer is known."""
        if self.link:
            try:
                return self.link.format(customer=customer_id, **payload)
            except (KeyError, IndexError):
                pass
        return f"/customers/{customer_id}" if customer_id else ""

    @property
    def closes_by_action(self) -> bool:
        return self.closed_by == CLOSED_BY_ACTION


@dataclass(frozen=True)
class Report:
    """A report page listed on the reports index for users holding `permission`."""

    title: str
    path: str
    permission: str
    description: str = ""


@dataclass(frozen=True)
class BillingPeriod:
    """A calendar month being billed."""

    year: int
    month: int

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @cached_property  # asked for per line of a month (90,000 at national scale)
    def last_day(self) -> dt.date:
        following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)


@dataclass(frozen=True)
class BillingLine:
    """One line of a customer's bill for a period, produced by a service plugin."""

    customer_id: int
    service: str
    product: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    detail: str = ""
    # The line's days of the month with their quantities, "3,4,5:2" (one on the 3rd and the
    # 4th, two on the 5th), or "" for a line not billed by day. With it, a correction to a
    # closed month says which days were added or removed ("+2 Lunch 3.–4.10.").
    days: str = ""
    # For a line priced for a span of the month rather than per day (a monthly fee from the
    # 10th), the days it covers in the same code ("10,11,…,31"). Core's fee decisions split a
    # line by the decision in force on each day: by `days`, else by `period_days`, else a line
    # with neither counts as covering the whole month.
    period_days: str = ""

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT)


@dataclass(frozen=True)
class PriceSeed:
    """A first price from the region's valvomo.toml, used until a biller saves one."""

    valid_from: dt.date
    amount: Decimal
    valid_to: dt.date | None = None


@dataclass(frozen=True)
class Product:
    """Something a plugin bills, priced in core's price lists (`core.billing.prices`).

    `code` is unique across plugins and is what `BillingLine.product` carries; `label` and
    `unit` are English msgids (or the region's own words) shown to billers."""

    code: str
    service: str
    label: str
    unit: str = "piece"
    seed_prices: tuple[PriceSeed, ...] = ()


@dataclass
class DemoContext:
    """What a plugin's demo-data hook gets: the scale, a seeded random source and core's data."""

    random: Any
    customer_ids: list[int]
    user_ids_by_role: dict[str, list[int]]
    today: dt.date
    scale: float = 1.0
    progress: Callable[[str], None] = print
    extra: dict[str, Any] = field(default_factory=dict)


MaybeAwaitable = Any | Awaitable[Any]


@dataclass(frozen=True)
class ExpiredRecord:
    """A record a retention rule would delete: what it is, and whose it is (for the audit)."""

    entity: str
    id: int
    customer_id: int | None = None


@dataclass(frozen=True)
class RetentionRule:
    """A kind of record deleted `[retention] <kind>` days after it ended (see docs/operations.md).

    `find_expired(cutoff, limit)` returns at most `limit` records that ended before `cutoff`;
    `delete(ids)` deletes them (and what belongs only to them) in the caller's transaction.
    `default_days` None keeps the kind until the region sets a number.
    """

    kind: str
    label: str
    find_expired: Callable[[dt.datetime, int], Awaitable[list[ExpiredRecord]]]
    delete: Callable[[list[int]], Awaitable[None]]
    default_days: int | None = None


@dataclass(frozen=True)
class MetricCell:
    """One figure of one month for one municipality and, where the metric splits by it, one unit.

    `customers` is how many different customers the figure is about (0 when it is not about
    customers); cells of fewer than five are suppressed for people who may not see the
    customers behind them. `weight` is the count a mean divides by (see `Metric.kind`), and
    `split` the category of a split figure (e.g. a response-time band), "" for none.
    """

    municipality: str
    value: Decimal | int | float
    customers: int = 0
    unit: str = ""
    weight: int = 0
    split: str = ""
    customer: int | None = None  # the one customer behind the cell, for `Metric.customer_stamps`


@dataclass(frozen=True)
class MetricContext:
    """What a metric's `compute` and `stamp` get besides the month: the plugin host, the
    settings, and `once`, which runs a query that several figures of a plugin share once per
    refresh round (e.g. one grouped query giving openings, endings and customers).
    `customers`, when not None, asks a metric with `customer_stamps` for the cells of just
    these customers (the ones whose data changed)."""

    host: Any
    settings: Any
    shared: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    customers: frozenset[int] | None = None

    def for_customers(self, customers: frozenset[int]) -> MetricContext:
        """This context narrowed to `customers`, with its own shared results."""
        return MetricContext(self.host, self.settings, {}, customers)

    async def once(self, key: Any, make: Callable[[], Awaitable[Any]]) -> Any:
        """`make()`'s result, computed on the first call with `key` in this context only."""
        if key not in self.shared:
            self.shared[key] = await make()
        return self.shared[key]


MetricCompute = Callable[[BillingPeriod, MetricContext], Awaitable[list[MetricCell]]]
MetricStamp = Callable[[BillingPeriod, MetricContext], Awaitable[str | None]]
MetricCustomerStamps = Callable[[BillingPeriod, MetricContext], Awaitable[dict[int, str] | None]]


@dataclass(frozen=True)
class Metric:
    """A figure of the situational picture, declared by a plugin through `valvomo_metrics`.

    `compute(period, context)` returns the month's cells (`MetricCell`), one per municipality
    (and unit, and split) with a value; core keeps them in its aggregate table, refreshed by the
    worker, and draws, compares and exports them. `kind` says how cells combine:
    "sum" (counts and euros add up over areas and months), "stock" (customers at the end of a
    month: add up over areas, the period shows its last month) or "mean" (value is a total,
    divided by the summed `weight` when shown, e.g. minutes per alarm). `splits` lists the split
    categories in order with their labels, for figures drawn as a distribution. `list_path` is
    the page behind the figure for those holding `list_permission`; `{month}` in it becomes
    the period's last month as YYYY-MM, `{year}` and `{month_number}` its parts.
    `list_areas` names the areas the list can be narrowed to ("municipality", "unit"): for a
    chosen area the link carries `municipality=` or `unit=` (a kitchen's or unit's name), and a
    figure of an area its list cannot be narrowed to links to nothing rather than to everyone.

    `stamp(period, context)` makes the worker's refresh incremental: a short text that changes
    whenever anything the month's figure is computed from changes (row counts and sums of the
    rows' ids and versions do: every change raises a row's version). The worker recomputes the
    month only when the stamp differs from the one stored with its figures; without a stamp
    (or when it returns None) the month is recomputed every round.

    `customer_stamps(period, context)` makes it finer: per customer, a short text that changes
    whenever anything that customer's part of the month's figure comes from changes. A metric
    that declares it returns one cell per customer (`MetricCell.customer`) and, when
    `context.customers` is set, the cells of only those customers; the worker then recomputes
    only the customers whose stamp moved and adds the rest from what it stored. Returning None
    falls back to `stamp`.
    """

    name: str
    label: str
    unit: str
    service: str
    compute: MetricCompute
    kind: str = "sum"
    splits: tuple[tuple[str, str], ...] = ()
    list_path: str = ""
    list_permission: str = ""
    order: int = 100
    stamp: MetricStamp | None = None
    list_areas: tuple[str, ...] = ()
    customer_stamps: MetricCustomerStamps | None = None
