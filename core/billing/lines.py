"""A month's lines: collected from the plugins, frozen in a snapshot, or computed corrections."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.billing import days
from core.billing.periods import PeriodState
from core.billing.tables import BilledLine
from core.customers.tables import Customer
from core.db import in_conditions
from core.i18n import gettext
from core.plugins.host import PluginError, PluginHost
from core.plugins.types import BillingLine, BillingPeriod

ZERO = Decimal(0)
LineKey = tuple[int, str, str, Decimal]
# What a correction line does, for an invoicing system (`MonthLine.correction_kind`).
CHANGE, MOVED_DAYS = "change", "moved_days"


def translated(code: str) -> str:
    """A plugin's service or product name in the user's language, if a catalogue has it."""
    return gettext(code) if code else ""


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros or an exponent: 8.5000 → 8.5 and 40 stays 40 (not 4E+1)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if int(normal.as_tuple().exponent) > 0 else normal


@dataclass(frozen=True)
class MonthLine:
    """A line of a month's bill; `corrects` names the closed month a correction line amends."""

    customer_id: int
    service: str
    product: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    detail: str = ""
    corrects: BillingPeriod | None = None
    days: str = ""  # see BillingLine.days
    period_days: str = ""  # see BillingLine.period_days
    # "" for a month's own line; for a correction CHANGE (what was billed changes in quantity
    # or amount) or MOVED_DAYS (only its days moved: 0 € in all, but a payer's part of it is
    # not when the days moved between payers). Kept by each payer's part of the line.
    correction_kind: str = ""

    @property
    def is_correction(self) -> bool:
        return self.corrects is not None

    @property
    def moves_days_only(self) -> bool:
        """A correction that changes days but neither quantity nor amount (a lunch moved from
        Tuesday to Wednesday): shown on the month's page, left out of the invoice files."""
        return self.corrects is not None and self.quantity == ZERO and self.amount == ZERO

    @property
    def service_label(self) -> str:
        return translated(self.service)

    @property
    def product_label(self) -> str:
        return translated(self.product)

    @property
    def key(self) -> LineKey:
        """What a correction is matched on: the same customer, service, product and price."""
        return (self.customer_id, self.service, self.product, self.unit_price)

    @property
    def sort_key(self) -> tuple[Any, ...]:
        corrects = (self.corrects.year, self.corrects.month) if self.corrects else (0, 0)
        return (self.customer_id, corrects, self.service, self.product, self.unit_price)

    @classmethod
    def from_plugin(cls, line: BillingLine) -> MonthLine:
        return cls(
            customer_id=line.customer_id,
            service=line.service,
            product=line.product,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            detail=line.detail,
            days=line.days,
            period_days=line.period_days,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MonthLine:
        corrects = (
            BillingPeriod(row["corrects_year"], row["corrects_month"])
            if row["is_correction"]
            else None
        )
        quantity, amount = Decimal(row["quantity"]), Decimal(row["amount"])
        return cls(
            customer_id=row["customer_id"],
            service=row["service"],
            product=row["product"],
            description=row["description"],
            quantity=quantity,
            unit_price=Decimal(row["unit_price"]),
            amount=amount.quantize(Decimal("0.01")),
            detail=row["detail"],
            corrects=corrects,
            days=row.get("days") or "",
            period_days=row.get("period_days") or "",
            correction_kind=_kind(quantity, amount) if corrects else "",
        )

    def as_row(self, period_id: int) -> BilledLine:
        return BilledLine(
            period=period_id,
            customer_id=self.customer_id,
            service=self.service,
            product=self.product,
            description=self.description,
            quantity=self.quantity,
            unit_price=self.unit_price,
            amount=self.amount,
            detail=self.detail,
            is_correction=self.is_correction,
            corrects_year=self.corrects.year if self.corrects else None,
            corrects_month=self.corrects.month if self.corrects else None,
            days=self.days,
            period_days=self.period_days,
        )


# What a snapshot row can hold (see tables.BilledLine).
TEXT_LIMITS = {"service": 80, "product": 120, "description": 300}
MAX_QUANTITY_OR_PRICE = Decimal(10) ** 9
MAX_AMOUNT = Decimal(10) ** 11
QUANTITY_STEP, PRICE_STEP = Decimal("0.001"), Decimal("0.0001")


async def plugin_lines(
    host: PluginHost, period: BillingPeriod, customers: frozenset[int] | None = None
) -> list[MonthLine]:
    """Every enabled plugin's lines for the month (one hook call per plugin), each split by the
    customer's fee decisions day by day (`core.billing.fees`); of `customers` only, if given."""
    from core.billing.fees import apply_decisions

    found: list[BillingLine] = []
    customers_of: dict[str, set[int]] = defaultdict(set)
    returns = await host.acollect_each("valvomo_billing_lines", period=period, customers=customers)
    # Lines repeat a few products, prices and weekly patterns: check each distinct one once.
    contracts: dict[tuple[Any, ...], str] = {}
    valid_days: dict[str, bool] = {}
    for plugin_name, returned in returns:
        for line in returned if isinstance(returned, list | tuple) else [returned]:
            problem = _checked_contract(line, contracts) or _checked_days(line, period, valid_days)
            if problem:
                raise PluginError(plugin_name, f"valvomo_billing_lines returned {problem}")
            if customers is None or line.customer_id in customers:
                found.append(line)
                customers_of[plugin_name].add(line.customer_id)
    await _refuse_unknown_customers(customers_of)
    return [MonthLine.from_plugin(line) for line in await apply_decisions(period, found)]


async def _refuse_unknown_customers(customers_of: dict[str, set[int]]) -> None:
    """A line for a customer that does not exist would be billed to no one: name the plugin."""
    wanted: list[int] = sorted(set().union(*customers_of.values()))
    known: set[int] = set()
    for condition in in_conditions(Customer.id, wanted):
        rows = await Customer.select(Customer.id).where(condition)
        known.update(row["id"] for row in rows)
    for plugin_name, billed in customers_of.items():
        if missing := sorted(billed - known):
            listed = ", ".join(str(i) for i in missing[:5])
            raise PluginError(
                plugin_name,
                f"valvomo_billing_lines returned a line for customer_id {listed}, but no "
                "customer has that id; bill only customers in core's customer register",
            )


def _checked_contract(line: object, seen: dict[tuple[Any, ...], str]) -> str:
    """`_contract_problem`, computed once per distinct service, product, quantity and price
    for lines whose types are as they should be (the rest depends only on those values)."""
    if not (
        type(line) is BillingLine
        and type(line.customer_id) is int
        and type(line.quantity) is Decimal
        and type(line.unit_price) is Decimal
        and len(line.description) <= TEXT_LIMITS["description"]
    ):
        return _contract_problem(line)
    try:
        found_key = (line.service, line.product, line.quantity, line.unit_price)
        return seen[found_key]
    except KeyError:
        found = seen[found_key] = _contract_problem(line)
        return found
    except TypeError:  # a signalling NaN cannot be hashed
        return _contract_problem(line)


def _checked_days(line: BillingLine, period: BillingPeriod, valid: dict[str, bool]) -> str:
    """`_days_problem`, each distinct day code checked once."""
    for code in (line.days, line.period_days):
        if code:
            ok = valid.get(code)
            if ok is None:
                ok = valid[code] = days.is_valid(code, period)
            if not ok:
                return _days_problem(line, period)
    return ""


def _contract_problem(line: object) -> str:
    """Why a hook's value cannot be billed (and frozen), or "" when it can."""
    if not isinstance(line, BillingLine):
        return f"{type(line).__name__}, not BillingLine"
    if line.customer_id is None:
        return "a line without a customer; set customer_id to the customer's id"
    if not isinstance(line.customer_id, int):
        return f"a line whose customer_id is {line.customer_id!r}, not the customer's int id"
    if not (0 < len(line.service.strip()) and len(line.service) <= TEXT_LIMITS["service"]):
        return "a line whose service is empty or longer than 80 characters"
    if not (0 < len(line.product.strip()) and len(line.product) <= TEXT_LIMITS["product"]):
        return "a line whose product is empty or longer than 120 characters"
    if len(line.description) > TEXT_LIMITS["description"]:
        return "a line whose description is longer than 300 characters"
    quantity, price = line.quantity, line.unit_price
    for name, value in (("quantity", quantity), ("unit_price", price)):
        if not isinstance(value, Decimal):
            return (
                f"a line whose {name} is {value!r}, a {type(value).__name__}: "
                f'use Decimal("{value}") (money is never a float)'
            )
    if not (quantity.is_finite() and price.is_finite()):
        return "a line whose quantity or unit price is not finite"
    if quantity != quantity.quantize(QUANTITY_STEP) or price != price.quantize(PRICE_STEP):
        return "a line with more than 3 decimals in quantity or 4 in unit price"
    if max(abs(quantity), abs(price)) >= MAX_QUANTITY_OR_PRICE or (
        abs(quantity * price) >= MAX_AMOUNT
    ):
        return "a line with an absurd quantity, unit price or amount"
    return ""


def _days_problem(line: BillingLine, period: BillingPeriod) -> str:
    for name, code in (("days", line.days), ("period_days", line.period_days)):
        if code and not days.is_valid(code, period):
            return f"a line whose {name} {code[:40]!r} are not like '3,4,5:2' within the month"
    return ""


async def snapshot_lines(state: PeriodState) -> list[MonthLine]:
    """The frozen lines of a closed month: its own lines and the corrections it settled."""
    rows = await BilledLine.select().where(BilledLine.period == state.record_id)
    return [MonthLine.from_row(r) for r in rows]


async def billed_for(state: PeriodState) -> list[MonthLine]:
    """What has been billed for a closed month: its own lines and every settled correction."""
    rows = await BilledLine.select().where(
        ((BilledLine.period == state.record_id) & (BilledLine.is_correction == False))  # noqa: E712
        | (
            (BilledLine.corrects_year == state.period.year)
            & (BilledLine.corrects_month == state.period.month)
        )
    )
    return [MonthLine.from_row(r) for r in rows]


def corrections(
    closed: BillingPeriod, recomputed: Iterable[MonthLine], billed: Iterable[MonthLine]
) -> list[MonthLine]:
    """Lines that bring what was billed for `closed` to what it is now: the difference per key."""
    quantity: dict[LineKey, Decimal] = defaultdict(lambda: ZERO)
    amount: dict[LineKey, Decimal] = defaultdict(lambda: ZERO)
    current: dict[LineKey, list[MonthLine]] = defaultdict(list)
    previous: dict[LineKey, MonthLine] = {}
    billed_days: dict[LineKey, list[str]] = defaultdict(list)
    billed_period_days: dict[LineKey, list[str]] = defaultdict(list)
    billed_lines: dict[LineKey, list[MonthLine]] = defaultdict(list)
    for line in recomputed:
        line_key = line.key
        quantity[line_key] += line.quantity
        amount[line_key] += line.amount
        current[line_key].append(line)
    for line in billed:
        line_key = line.key
        quantity[line_key] -= line.quantity
        amount[line_key] -= line.amount
        previous.setdefault(line_key, line)
        billed_days[line_key].append(line.days)
        billed_period_days[line_key].append(line.period_days)
        billed_lines[line_key].append(line)
    found = []
    for line_key in sorted(quantity):
        now = current.get(line_key, [])
        if (
            quantity[line_key] == ZERO
            and amount[line_key] == ZERO
            and not _days_moved([ln.days for ln in now], billed_days[line_key])
        ):
            continue
        model = now[0] if now else previous[line_key]
        found.append(
            MonthLine(
                customer_id=model.customer_id,
                service=model.service,
                product=model.product,
                description=model.description,
                quantity=quantity[line_key],
                unit_price=model.unit_price,
                amount=amount[line_key],
                detail=_what_changed(
                    closed, model, now, billed_lines[line_key], quantity[line_key]
                ),
                corrects=closed,
                days=days.encode(days.difference((ln.days for ln in now), billed_days[line_key])),
                period_days=_span_change_code(now, billed_period_days[line_key]),
                correction_kind=_kind(quantity[line_key], amount[line_key]),
            )
        )
    return found


def _span_change_code(now: list[MonthLine], before: list[str]) -> str:
    """The days of a span added and removed ("10:-1,…"), when every line now and every line
    billed has its span (lines frozen before spans were kept have none: then nothing, so that
    the spans billed never add up to something partial)."""
    spans = [line.period_days for line in now]
    if not (all(spans) and all(before)):
        return ""
    return days.encode(days.difference(spans, before))


def _kind(quantity: Decimal, amount: Decimal) -> str:
    return MOVED_DAYS if quantity == ZERO and amount == ZERO else CHANGE


def _days_moved(now: list[str], before: list[str]) -> bool:
    """Whether billed days moved within the month although the quantity did not change (a
    delivery moved from the 6th to the 16th): the days may belong to different payers."""
    if sorted(now) == sorted(before):
        return False
    return bool(days.difference(now, before))


def _what_changed(
    closed: BillingPeriod,
    model: MonthLine,
    now: list[MonthLine],
    billed: list[MonthLine],
    quantity: Decimal,
) -> str:
    """What changed against what was billed: the days added and removed ("+2 Lunch 3.–4.10.");
    for a line priced for a span of the month the change in quantity and the days of the span
    added and removed ("−0,161 Monthly fee, days removed: 10.–14.3."); for a line without days
    the quantity billed before and now ("+0,5 Fee (billed 1, now 1,5)"), or today's detail for
    a line not billed before; when the line is no longer billed at all, what was
    billed before ("−1 Monthly fee, no longer billed (was: 1.–31.3.)")."""
    after = [line.days for line in now]
    before = [line.days for line in billed]
    if any(after) or any(before):
        return days.change_text(days.difference(after, before), model.product_label, closed.month)
    sign = "+" if quantity > 0 else days.MINUS
    change = f"{sign}{_decimal_text(abs(quantity))} {model.product_label}"
    if not now:
        return _no_longer_billed(change, billed)
    spans_now = [line.period_days for line in now]
    spans_before = [line.period_days for line in billed]
    if all(spans_now) and all(spans_before):  # lines frozen before spans were kept have none
        moved = days.difference(spans_now, spans_before)
        if moved:
            return _span_change(change, moved, closed.month)
    if not billed:  # a new line: all of it is added
        detail = "; ".join(line.detail for line in now if line.detail)
        return f"{change} ({detail})" if detail else change
    return gettext(
        "%(change)s (billed %(before)s, now %(now)s)",
        change=change,
        before=_decimal_text(sum((line.quantity for line in billed), ZERO)),
        now=_decimal_text(sum((line.quantity for line in now), ZERO)),
    )


def _span_change(change: str, moved: dict[int, int], month: int) -> str:
    added = [day for day, n in moved.items() if n > 0]
    removed = [day for day, n in moved.items() if n < 0]
    parts = [change]
    if added:
        parts.append(gettext("days added: %(days)s", days=days.day_ranges(added, month)))
    if removed:
        parts.append(gettext("days removed: %(days)s", days=days.day_ranges(removed, month)))
    return ", ".join(parts)


def _decimal_text(value: Decimal) -> str:
    """A quantity as people write it here: 0,5 (a decimal comma, no trailing zeros)."""
    return str(plain(value)).replace(".", ",")


def _no_longer_billed(change: str, billed: list[MonthLine]) -> str:
    """A line without days that is no longer billed: what the month's own line said, and the
    corrections billed since (their details say what they changed)."""
    own = [line.detail for line in billed if not line.is_correction and line.detail]
    settled = [line.detail for line in billed if line.is_correction and line.detail]
    was = "; ".join(dict.fromkeys(own + settled))
    if not was:
        return gettext("%(change)s, no longer billed", change=change)
    return gettext("%(change)s, no longer billed (was: %(was)s)", change=change, was=was)
