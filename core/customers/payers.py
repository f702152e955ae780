"""Who pays a customer's bills, as dated periods (`CustomerPayer`): a guardian ("edunvalvoja"),
a relative, or the customer. Billing invoices each billed day to the payer in force on it
(`core.billing.invoices.payer_parts`); the biller keeps the history on the customer's payer
page, and the go-live import sets the payer in force today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.audit import services as audit
from core.common.clock import now, today
from core.common.dates import parse_date
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.customers import validation as v
from core.customers.tables import Customer, CustomerPayer
from core.db import id_conditions, insert_rows
from core.i18n import N_

if TYPE_CHECKING:
    from core.audit.services import Actor

SINCE_ALWAYS = dt.date(2000, 1, 1)  # a payer imported at go-live: the payer so far
FIELDS = ("name", "relationship", "street_address", "postal_code", "post_office")
LIMITS = {"name": 200, "relationship": 100, "street_address": 200, "post_office": 100}
ONE_DAY = dt.timedelta(days=1)


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
    for condition in id_conditions(CustomerPayer.customer, customer_ids):
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
    for condition in id_conditions(CustomerPayer.customer, customer_ids):
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


def payer_problems(values: Mapping[str, str]) -> dict[str, str]:
    """What is wrong with a payer's name and address (field → message msgid)."""
    errors: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors[name] = N_("The text is too long.")
    if values.get("postal_code") and v.postal_code_problem(values["postal_code"]):
        errors["postal_code"] = N_("A postal code has five digits.")
    if values.get("name") and not (values.get("street_address") and values.get("postal_code")):
        errors["street_address"] = N_("A payer other than the customer needs an address.")
    return errors


def parse_dates(data: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The form's dates, or None with the errors when they cannot be read."""
    values, errors = _parse(data)
    dated = {k: values.get(k) for k in ("valid_from", "valid_to")}
    return (None, errors) if "valid_from" in errors or "valid_to" in errors else (dated, errors)


def form_values(period: PayerPeriod) -> dict[str, Any]:
    """A period as its edit form starts."""
    return {**period.fields, "version": period.version,
            "valid_from": period.valid_from, "valid_to": period.valid_to}  # fmt: skip


def _parse(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {f: str(data.get(f, "")).strip() for f in FIELDS}
    errors = payer_problems(values)
    for name in ("valid_from", "valid_to"):
        raw = str(data.get(name, "")).strip()
        try:
            values[name] = parse_date(raw) if raw else None
        except ValueError:
            errors[name] = N_("Enter a date like 1.1.2027.")
    if values.get("valid_from") is None and "valid_from" not in errors:
        errors["valid_from"] = N_("Enter the first day this payer pays.")
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end and end < start:
        errors["valid_to"] = N_("The end date is before the start date.")
    return values, errors


async def add_payer(
    actor: Actor, customer_id: int, data: Mapping[str, Any], locked_until: dt.date | None
) -> int:
    """Record who pays from `valid_from` (the customer when no name is given). A payer running
    on without an end is ended the day before; any other overlap is refused, and so is a start
    in a closed billing month (`locked_until`, its last day). Call inside a transaction."""
    if not await Customer.exists().where(Customer.id == customer_id):
        raise NotFound(f"customer {customer_id}")
    values, errors = _parse(data)
    if errors:
        raise ValidationFailed(errors)
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
    values, errors = _parse(data)
    errors = errors or _locked_problems(period, values, locked_until)
    if errors:
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
