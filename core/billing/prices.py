"""Price lists: each product's unit prices with validity dates, kept by billers.

Products come from the plugins (`valvomo_billing_products`). A product without stored prices is
priced by its seed prices from valvomo.toml; the first price a biller saves for it stores the
seeds first, so from then on the stored rows are the whole truth. A price that is valid on any
day of a closed billing month is locked: billed months never change their price.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.audit import services as audit
from core.billing.forms import PriceForm
from core.billing.periods import closed_periods
from core.billing.tables import Price, ProductAccounts
from core.common.clock import now
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.i18n import N_, fmt_date
from core.plugins.types import Product
from core.web.forms import parse_form

if TYPE_CHECKING:
    from core.audit.services import Actor

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class PricePeriod:
    """A unit price from `valid_from` to `valid_to` (None: until further notice)."""

    product: str
    valid_from: dt.date
    valid_to: dt.date | None
    amount: Decimal
    id: int | None = None  # None: a seed from valvomo.toml, not yet stored
    version: int = 1

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, first: dt.date, last: dt.date | None) -> bool:
        return (last is None or self.valid_from <= last) and (
            self.valid_to is None or first <= self.valid_to
        )

    def locked(self, last_closed_day: dt.date | None) -> bool:
        """Valid on a day of a closed month, so part of what has been billed."""
        return last_closed_day is not None and self.valid_from <= last_closed_day


@dataclass(frozen=True)
class PriceList:
    """The prices of some products, as read in one query."""

    periods: Mapping[str, tuple[PricePeriod, ...]]

    def price_on(self, product: str, day: dt.date) -> Decimal:
        """The unit price valid on `day` (of seeds that overlap, the latest-starting one);
        LookupError when there is none."""
        for period in reversed(self.periods.get(product, ())):
            if period.covers(day):
                return period.amount
        raise LookupError(f"no price for {product} on {day.isoformat()}")

    def of(self, product: str) -> tuple[PricePeriod, ...]:
        return self.periods.get(product, ())


def _seeds(product: Product) -> tuple[PricePeriod, ...]:
    return tuple(
        PricePeriod(product.code, s.valid_from, s.valid_to, s.amount) for s in product.seed_prices
    )


async def price_list(products: Iterable[Product]) -> PriceList:
    """Stored prices of `products`, or their seed prices where none is stored yet."""
    wanted = {p.code: p for p in products}
    stored: dict[str, list[PricePeriod]] = defaultdict(list)
    if wanted:
        rows = await Price.select().where(Price.product.is_in(list(wanted)))
        for row in rows:
            stored[row["product"]].append(_period(row))
    periods = {
        code: tuple(sorted(stored[code], key=lambda p: p.valid_from))
        if code in stored
        else _seeds(product)
        for code, product in wanted.items()
    }
    return PriceList(periods)


def _period(row: dict[str, Any]) -> PricePeriod:
    return PricePeriod(
        row["product"],
        row["valid_from"],
        row["valid_to"],
        Decimal(row["amount"]),
        row["id"],
        row["version"],
    )


async def last_closed_day() -> dt.date | None:
    """The last day of the latest closed billing month: prices up to it are locked."""
    closed = await closed_periods()
    return max((s.period.last_day for s in closed), default=None)


async def _stored(actor: Actor, product: Product) -> list[PricePeriod]:
    """The product's stored prices; its seed prices are stored first if none are."""
    rows = await Price.select().where(Price.product == product.code).order_by(Price.valid_from)
    if rows:
        return [_period(r) for r in rows]
    for seed in _seeds(product):
        seed_id = await _insert(seed, "valvomo.toml")
        await audit.record(actor, "create", "price", seed_id, after=_audited(seed))
    rows = await Price.select().where(Price.product == product.code).order_by(Price.valid_from)
    return [_period(r) for r in rows]


async def _insert(period: PricePeriod, by: str) -> int:
    rows = await Price.insert(
        Price(
            product=period.product,
            valid_from=period.valid_from,
            valid_to=period.valid_to,
            amount=period.amount,
            created_at=now(),
            created_by_name=by,
        )
    ).returning(Price.id)
    return int(rows[0]["id"])


def _audited(period: PricePeriod) -> dict[str, Any]:
    return {
        "product": period.product,
        "valid_from": period.valid_from,
        "valid_to": period.valid_to,
        "amount": str(period.amount),
    }


async def add_price(actor: Actor, product: Product, data: Mapping[str, Any]) -> int:
    """Store a new price. An open-ended price running into it ends the day before it starts,
    so next year's price is one step. Call inside a transaction."""
    price = parse_form(PriceForm, data)
    amount, valid_from, valid_to = price.amount, price.valid_from, price.valid_to
    closed_until = await last_closed_day()
    if closed_until and valid_from <= closed_until:
        raise ValidationFailed({"valid_from": N_(
            "Prices of closed billing months are locked: start after the last closed month."
        )})  # fmt: skip
    current = await _stored(actor, product)
    for running in current:
        if running.valid_to is None and running.valid_from < valid_from:
            ended = valid_from - ONE_DAY
            await Price.update({Price.valid_to: ended, Price.version: Price.version + 1}).where(
                Price.id == running.id
            )
            await audit.record(
                actor,
                "update",
                "price",
                running.id,
                before={"valid_to": None},
                after={"valid_to": ended},
            )
            current = [p for p in current if p.id != running.id]
    clash = next((p for p in current if p.overlaps(valid_from, valid_to)), None)
    if clash is not None:
        raise ValidationFailed(
            {"valid_from": N_("Another price of this product is valid on some of these days.")}
        )
    new = PricePeriod(product.code, valid_from, valid_to, amount)
    price_id = await _insert(new, actor.full_name)
    await audit.record(actor, "create", "price", price_id, after=_audited(new))
    return price_id


async def remove_price(actor: Actor, product: Product, price_id: int, version: int) -> None:
    """Remove a price not yet billed; the price before it, if it ended the day before this one
    started, runs on as far as this one did. Call inside a transaction."""
    current = await _stored(actor, product)
    removed = next((p for p in current if p.id == price_id), None)
    if removed is None:
        raise NotFound(f"price {price_id}")
    if removed.version != version:
        raise VersionConflict("billing_price", _audited(removed), {"version": version})
    if removed.locked(await last_closed_day()):
        raise ValidationFailed(
            {"price": N_("This price was valid in a closed billing month and is locked.")}
        )
    await Price.delete().where(Price.id == price_id)
    await audit.record(actor, "delete", "price", price_id, before=_audited(removed))
    before = next((p for p in current if p.valid_to == removed.valid_from - ONE_DAY), None)
    if before is not None:
        await Price.update(
            {Price.valid_to: removed.valid_to, Price.version: Price.version + 1}
        ).where(Price.id == before.id)
        await audit.record(
            actor,
            "update",
            "price",
            before.id,
            before={"valid_to": before.valid_to},
            after={"valid_to": removed.valid_to},
        )


@dataclass(frozen=True)
class Accounts:
    cost_centre: str = ""
    account: str = ""
    version: int = 1


async def product_accounts(codes: Sequence[str] | None = None) -> dict[str, Accounts]:
    """Each product's cost centre and account in the region's books."""
    query = ProductAccounts.select()
    if codes is not None:
        query = query.where(ProductAccounts.product.is_in(list(codes) or [""]))
    return {
        r["product"]: Accounts(r["cost_centre"], r["account"], r["version"]) for r in await query
    }


async def save_accounts(
    actor: Actor, product: Product, data: Mapping[str, Any], version: int
) -> None:
    """Set a product's cost centre and account. Call inside a transaction."""
    values = {
        "cost_centre": str(data.get("cost_centre", "")).strip()[:40],
        "account": str(data.get("account", "")).strip()[:40],
    }
    before = (await product_accounts([product.code])).get(product.code)
    if before is None:
        await ProductAccounts.insert(
            ProductAccounts(
                product=product.code,
                cost_centre=values["cost_centre"],
                account=values["account"],
            )
        )
        old: dict[str, Any] = {"cost_centre": "", "account": ""}
    else:
        if before.version != version:
            raise VersionConflict(
                "billing_product_accounts",
                {"cost_centre": before.cost_centre, "account": before.account},
                dict(values),
            )
        await ProductAccounts.update(
            {
                ProductAccounts.cost_centre: values["cost_centre"],
                ProductAccounts.account: values["account"],
                ProductAccounts.version: ProductAccounts.version + 1,
            }
        ).where(ProductAccounts.product == product.code)
        old = {"cost_centre": before.cost_centre, "account": before.account}
    changed_before, changed_after = audit.changes(old, values)
    await audit.record(
        actor,
        "update",
        "product_accounts",
        product.code,
        before=changed_before,
        after=changed_after,
    )


def describe(period: PricePeriod) -> str:
    """ "1.1.2027–" or "1.1.2026–31.12.2026"."""
    end = fmt_date(period.valid_to) if period.valid_to else ""
    return f"{fmt_date(period.valid_from)}–{end}"
