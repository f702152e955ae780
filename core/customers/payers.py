"""Who pays a customer's bills, as dated periods (`CustomerPayer`): a guardian ("edunvalvoja"),
a relative, or the customer. Billing invoices each billed day to the payer in force on it
(`core.billing.invoices.payer_parts`); the biller keeps the history on the customer's payer
page, and the go-live import sets the payer in force today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from msgspec import Meta

from core.audit import services as audit
from core.common.clock import now, today
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.customers import validation as v
from core.customers.tables import Customer, CustomerPayer
from core.db import in_conditions, insert_rows
from core.i18n import N_
from core.web.forms import After, Check, Message, Rule, parse_form

if TYPE_CHECKING:
    from core.audit.services import Actor

SINCE_ALWAYS = dt.date(2000, 1, 1)  # a payer imported at go-live: the payer so far
FIELDS = ("name", "relationship", "street_address", "postal_code", "post_office")
ONE_DAY = dt.timedelta(days=1)
TOO_LONG = Message(N_("The text is too long."))
PayerDate = Annotated[dt.date, Message(N_("Enter a date like 1.1.2027."))]


class PayerDates(msgspec.Struct, kw_only=True):
    """The payer form's period: the change page asks before it takes days away."""

    valid_from: Annotated[PayerDate, Message(missing=N_("Enter the first day this payer pays."))]
    valid_to: Annotated[
        PayerDate | None,
        After("valid_from", N_("The end date is before the start date."), or_same=True),
    ] = None


class PayerForm(PayerDates, kw_only=True):
    """Who pays from when: no name, the customer; another payer needs an address."""

    name: Annotated[str, Meta(max_length=200), TOO_LONG] = ""
    relationship: Annotated[str, Meta(max_length=100), TOO_LONG] = ""
    street_address: Annotated[
        str,
        Meta(max_length=200),
        TOO_LONG,
        Rule(
            lambda v: not v.get("name") or bool(v.get("street_address") and v.get("postal_code")),
            N_("A payer other than the customer needs an address."),
        ),
    ] = ""
    postal_code: Annotated[
        str,
        Check(v.is_postal_code),
        Message(N_("A postal code has five digits.")),
    ] = ""
    post_office: Annotated[str, Meta(max_length=100), TOO_LONG] = ""


@dataclass(frozen=True)
class PayerPeriod:
    customer_id: int
    valid_from: dt.date
    valid_to: dt.date | None
    name: str = ""  # "" = the customer pays
    relationship: str = ""
    street_address: str = ""
    postal_code: str = ""
    post_office: str = ""
    id: int | None = None
    version: int = 1

    @property
    def is_customer(self) -> bool:
        return not self.name

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def fields(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in FIELDS}


def _period(row: dict[str, Any]) -> PayerPeriod:
    return PayerPeriod(
        customer_id=row["customer"], valid_from=row["valid_from"], valid_to=row["valid_to"],
        name=row["name"], relationship=row["relationship"], street_address=row["street_address"],
        postal_code=row["postal_code"], post_office=row["post_office"], id=row["id"],
        version=row["version"],
    )  # fmt: skip


async def payers_on(customer_ids: Sequence[int], day: dt.date) -> dict[int, PayerPeriod]:
    """Each customer's payer period in force on `day` (one query on PostgreSQL, one per 500
    customers on SQLite)."""
    found: dict[int, PayerPeriod] = {}
    for condition in in_conditions(CustomerPayer.customer, customer_ids):
        rows = await CustomerPayer.select().where(
            condition
            & (CustomerPayer.valid_from <= day)
            & (CustomerPayer.valid_to.is_null() | (CustomerPayer.valid_to >= day))
        )
        found.update({r["customer"]: _period(r) for r in rows})
    return found


async def payers_between(
    customer_ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, list[PayerPeriod]]:
    """Each customer's payer periods in force on some day from `first` to `last`, in order (one
    query on PostgreSQL, one per 500 customers on SQLite)."""
    found: dict[int, list[PayerPeriod]] = {}
    for condition in in_conditions(CustomerPayer.customer, customer_ids):
        rows = (
            await CustomerPayer.select()
            .where(
                condition
                & (CustomerPayer.valid_from <= last)
                & (CustomerPayer.valid_to.is_null() | (CustomerPayer.valid_to >= first))
            )
            .order_by(CustomerPayer.valid_from)
        )
        for row in rows:
            found.setdefault(row["customer"], []).append(_period(row))
    return found


def in_force(periods: Sequence[PayerPeriod], day: dt.date) -> PayerPeriod | None:
    return next((p for p in periods if p.covers(day)), None)


async def customer_payers(customer_id: int) -> list[PayerPeriod]:
    rows = (
        await CustomerPayer.select()
        .where(CustomerPayer.customer == customer_id)
        .order_by(CustomerPayer.valid_from)
    )
    return [_period(r) for r in rows]


def parse_dates(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The form's dates, or None when they cannot be read (the save names the problem)."""
    try:
        dates = parse_form(PayerDates, data)
    except ValidationFailed:
        return None
    return {"valid_from": dates.valid_from, "valid_to": dates.valid_to}


def form_values(period: PayerPeriod) -> dict[str, Any]:
    """A period as its edit form starts."""
    return {**period.fields, "version": period.version,
            "valid_from": period.valid_from, "valid_to": period.valid_to}  # fmt: skip


def _parse(data: Mapping[str, Any]) -> dict[str, Any]:
    """The payer form's values; ValidationFailed with a message next to each wrong field."""
    return msgspec.structs.asdict(parse_form(PayerForm, data))


async def add_payer(
    actor: Actor, customer_id: int, data: Mapping[str, Any], locked_until: dt.date | None
) -> int:
    """Record who pays from `valid_from` (the customer when no name is given). A payer running
    on without an end is ended the day before; any other overlap is refused, and so is a start
    in a closed billing month (`locked_until`, its last day). Call inside a transaction."""
    if not await Customer.exists().where(Customer.id == customer_id):
        raise NotFound(f"customer {customer_id}")
    values = _parse(data)
    start, end = values["valid_from"], values["valid_to"]
    if locked_until is not None and start <= locked_until:
        raise ValidationFailed(
            {"valid_from": N_("That month is closed in billing; start from the next open month.")}
        )
    others = await customer_payers(customer_id)
    running = next((o for o in others if o.valid_to is None and o.valid_from < start), None)
    _refuse_overlap([o for o in others if o is not running], start, end)
    if running is not None:
        await _end(actor, running, start - ONE_DAY)
    return await _insert(actor, customer_id, values)


def _refuse_overlap(others: Sequence[PayerPeriod], start: dt.date, end: dt.date | None) -> None:
    for other in others:
        if other.valid_from <= (end or dt.date.max) and start <= (other.valid_to or dt.date.max):
            raise ValidationFailed(
                {"valid_from": N_("Another payer is recorded for some of these days.")}
            )


async def payer_period(customer_id: int, payer_id: int) -> PayerPeriod:
    """The customer's payer period `payer_id` (NotFound when it is another customer's)."""
    rows = await CustomerPayer.select().where(
        (CustomerPayer.id == payer_id) & (CustomerPayer.customer == customer_id)
    )
    if not rows:
        raise NotFound(f"payer {payer_id} of customer {customer_id}")
    return _period(rows[0])


def is_billed(period: PayerPeriod, locked_until: dt.date | None) -> bool:
    """Whether some of the period's days are in closed billing months (invoiced to it)."""
    return locked_until is not None and period.valid_from <= locked_until


def _locked_problems(
    period: PayerPeriod, values: Mapping[str, Any], locked_until: dt.date | None
) -> dict[str, str]:
    """Closed months stay as invoiced: a period begun in them keeps its start and its payer,
    and no period may start or end inside them anew."""
    if locked_until is None:
        return {}
    if is_billed(period, locked_until):
        changed = [f for f in (*FIELDS, "valid_from") if values[f] != getattr(period, f)]
        if changed:
            return {changed[0]: N_("This payer has been invoiced in closed months: only its end "
                                   "can be changed.")}  # fmt: skip
    elif values["valid_from"] <= locked_until:
        return {
            "valid_from": N_("That month is closed in billing; start from the next open month.")
        }
    end = values["valid_to"]
    if end != period.valid_to and end is not None and end <= locked_until:
        return {"valid_to": N_("That month is closed in billing; end the payer after it.")}
    return {}


def shortens(period: PayerPeriod, values: Mapping[str, Any]) -> bool:
    """Whether the change takes days away from the payer (the page asks first)."""
    old_end, new_end = period.valid_to or dt.date.max, values["valid_to"] or dt.date.max
    return values["valid_from"] > period.valid_from or new_end < old_end


def _audited(period: PayerPeriod) -> dict[str, Any]:
    return {**period.fields, "valid_from": period.valid_from, "valid_to": period.valid_to,
            "version": period.version}  # fmt: skip


async def change_payer(
    actor: Actor,
    customer_id: int,
    payer_id: int,
    data: Mapping[str, Any],
    version: int,
    locked_until: dt.date | None,
) -> bool:
    """Correct a payer period (payer, address, dates), refusing an overlap with another period
    and any change to closed billing months; audited. False when nothing changed. Call inside a
    transaction."""
    period = await payer_period(customer_id, payer_id)
    if period.version != version:
        raise VersionConflict("payer", _audited(period), dict(data))
    values = _parse(data)
    if errors := _locked_problems(period, values, locked_until):
        raise ValidationFailed(errors)
    others = [o for o in await customer_payers(customer_id) if o.id != payer_id]
    _refuse_overlap(others, values["valid_from"], values["valid_to"])
    before, after = audit.changes(
        {k: v for k, v in _audited(period).items() if k != "version"}, values
    )
    if not after:
        return False
    await CustomerPayer.update(
        {
            **{getattr(CustomerPayer, k): values[k] for k in after},
            CustomerPayer.version: CustomerPayer.version + 1,
        }
    ).where(CustomerPayer.id == payer_id)
    await audit.record(
        actor, "update", "payer", payer_id, customer_id=customer_id, before=before, after=after
    )
    return True


async def end_payer(
    actor: Actor,
    customer_id: int,
    payer_id: int,
    last_day: str,
    version: int,
    locked_until: dt.date | None,
) -> bool:
    """End a payer period on `last_day` (from the next day the customer pays, or a payer added
    after it); the rules of `change_payer`. Call inside a transaction."""
    period = await payer_period(customer_id, payer_id)
    data: dict[str, Any] = {**period.fields, "valid_from": period.valid_from.isoformat(),
                            "valid_to": last_day}  # fmt: skip
    if not last_day.strip():
        raise ValidationFailed({"valid_to": N_("Enter the last day this payer pays.")})
    return await change_payer(actor, customer_id, payer_id, data, version, locked_until)


async def _end(actor: Actor, period: PayerPeriod, last_day: dt.date) -> None:
    await CustomerPayer.update(
        {CustomerPayer.valid_to: last_day, CustomerPayer.version: CustomerPayer.version + 1}
    ).where(CustomerPayer.id == period.id)
    await audit.record(
        actor, "update", "payer", period.id, customer_id=period.customer_id,
        before={"valid_to": None}, after={"valid_to": last_day},
    )  # fmt: skip


async def _insert(actor: Actor, customer_id: int, values: dict[str, Any]) -> int:
    rows = await CustomerPayer.insert(
        CustomerPayer(customer=customer_id, created_at=now(), **values)
    ).returning(CustomerPayer.id)
    payer_id = int(rows[0]["id"])
    await audit.record(actor, "create", "payer", payer_id, customer_id=customer_id, after=values)
    return payer_id


@dataclass(frozen=True)
class PayerChange:
    """An import row's payer for a customer whose payer in force today differs."""

    customer_id: int
    fields: dict[str, str]
    current: PayerPeriod | None


async def write_imported(
    actor: Actor, created: Sequence[tuple[int, dict[str, str]]], changes: Sequence[PayerChange]
) -> None:
    """New customers' payers (valid from the start) and changed payers (from today, the one in
    force ended yesterday), in bulk for the new ones. Call inside a transaction."""
    moment, this_day = now(), today()
    columns = [CustomerPayer.customer, CustomerPayer.valid_from, CustomerPayer.created_at] + [
        getattr(CustomerPayer, f) for f in FIELDS
    ]
    rows = [
        (customer_id, SINCE_ALWAYS, moment, *(fields[f] for f in FIELDS))
        for customer_id, fields in created
        if fields["name"]
    ]
    await insert_rows(CustomerPayer, columns, rows)
    for change in changes:
        if change.current is not None and change.current.valid_from >= this_day:
            await CustomerPayer.delete().where(CustomerPayer.id == change.current.id)
        elif change.current is not None:
            await _end(actor, change.current, this_day - ONE_DAY)
        if change.fields["name"]:
            period = {"valid_from": this_day, "valid_to": None, **change.fields}
            await _insert(actor, change.customer_id, period)
