"""Values that plugins return from their hooks. Labels are English msgids, translated on display."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


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
    """A link in the main navigation, shown to users holding `permission`."""

    label: str
    path: str
    permission: str
    order: int = 100


@dataclass(frozen=True)
class Panel:
    """A box on the customer page or the dashboard, rendered from `template` with `context`."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class TaskKind:
    """A kind of inbox task; tasks of this kind go to users holding `role`."""

    code: str
    label: str
    role: str


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

    @property
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

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


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
