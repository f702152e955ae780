"""Alarm visits recorded by home care, and the alarm list they work from."""

from __future__ import annotations

from typing import Any

import msgspec

from plugins.security_phones.forms import VisitForm
from plugins.security_phones.tables import Alarm, AlarmVisit
from valvomo.api import (
    N_,
    Actor,
    BillingPeriod,
    CachedQuery,
    ListArea,
    NotFound,
    ResultPage,
    ValidationFailed,
    audit,
    customers_living_in,
    month_bounds,
    parse_form,
    today,
    update_versioned,
)

PAGE_SIZE = 50
VISIT_FIELDS = ("dispatched_at", "arrived_at", "done_at", "notes")
ALARM_COLUMNS = (
    Alarm.id,
    Alarm.centre_alarm_id,
    Alarm.occurred_at,
    Alarm.kind,
    Alarm.detail,
    Alarm.outcome,
    Alarm.visit_needed,
    Alarm.customer,
    Alarm.customer.first_name,
    Alarm.customer.last_name,
    Alarm.customer.municipality,
    Alarm.customer.street_address,
    Alarm.device.serial_number,
    Alarm.centre.name,
)


async def get_alarm(alarm_id: int) -> dict[str, Any]:
    row = await Alarm.select(*ALARM_COLUMNS).where(Alarm.id == alarm_id).first()
    if row is None:
        raise NotFound(f"alarm {alarm_id}")
    return row


async def get_visit(alarm_id: int) -> dict[str, Any] | None:
    visit: dict[str, Any] | None = (
        await AlarmVisit.select(*AlarmVisit.all_columns(), AlarmVisit.visitor.full_name)
        .where(AlarmVisit.alarm == alarm_id)
        .first()
    )
    return visit


def _clean_visit(form: dict[str, Any], alarm: dict[str, Any]) -> dict[str, Any]:
    visit = parse_form(VisitForm, form)
    dispatched, arrived, done = visit.dispatched_at, visit.arrived_at, visit.done_at
    errors: dict[str, str] = {}
    occurred = alarm["occurred_at"]
    if dispatched < occurred:
        errors["dispatched_at"] = N_("Help cannot be sent before the alarm.")
    if arrived and arrived < occurred:
        errors["arrived_at"] = N_("The visit cannot arrive before its alarm.")
    elif arrived and arrived < dispatched:
        errors["arrived_at"] = N_("The visit cannot arrive before it was sent.")
    if done and not arrived:
        errors["arrived_at"] = N_("Enter the arrival time of a finished visit.")
    elif done and arrived and done < arrived:
        errors["done_at"] = N_("The visit cannot end before it arrived.")
    if errors:
        raise ValidationFailed(errors)
    return msgspec.structs.asdict(visit)


async def save_visit(actor: Actor, alarm_id: int, version: int | None, form: dict[str, Any]) -> int:
    """Record or update the visit of an alarm; `version` None creates it."""
    alarm = await get_alarm(alarm_id)
    values = _clean_visit(form, alarm)
    existing = await get_visit(alarm_id)
    if existing is None:
        rows = (
            await AlarmVisit.insert(AlarmVisit(alarm=alarm_id, visitor=actor.id, **values))
            .on_conflict(action="DO NOTHING")
            .returning(AlarmVisit.id)
        )
        if not rows:
            raise ValidationFailed(
                {
                    "dispatched_at": N_(
                        "Someone recorded this visit at the same time; reload the page."
                    )
                }
            )
        visit_id = int(rows[0]["id"])
        await audit.record(
            actor, "create", "sp_visit", visit_id, customer_id=alarm["customer"], after=values
        )
        return visit_id
    columns = {AlarmVisit._meta.get_column_by_name(k): v for k, v in values.items()}
    await update_versioned(AlarmVisit, existing["id"], version or 0, columns, values)
    old, new = audit.changes({k: existing[k] for k in VISIT_FIELDS}, values)
    if new:
        await audit.record(
            actor,
            "update",
            "sp_visit",
            existing["id"],
            customer_id=alarm["customer"],
            before=old,
            after=new,
        )
    return int(existing["id"])


def _waiting_condition() -> Any:
    visited = AlarmVisit.select(AlarmVisit.alarm)
    return (Alarm.visit_needed == True) & Alarm.id.not_in(visited)  # noqa: E712


# On every dashboard of the visit staff: the SQL is built once (see CachedQuery).
_COUNT_WAITING = CachedQuery(lambda: Alarm.count().where(_waiting_condition()))


async def count_waiting_alarms() -> int:
    """Alarms that need a visit and have none recorded yet."""
    return int(await _COUNT_WAITING())


async def list_alarms(
    waiting_only: bool = False,
    customer_id: int | None = None,
    page: int = 1,
    month: BillingPeriod | None = None,
    area: ListArea | None = None,
) -> ResultPage:
    """Alarms newest first; `waiting_only` keeps those needing a visit that has none yet,
    `month` those received in that month (Helsinki time), `area` those of the customers who
    lived in its municipality at the month's end or sent by its alarm centre (by name), as the
    situational picture counts them."""
    condition: Any = Alarm.id > 0
    if month is not None:
        start, end = month_bounds(month)
        condition &= (Alarm.occurred_at >= start) & (Alarm.occurred_at < end)
    if area:
        day = month.last_day if month is not None else today()
        living = await customers_living_in(area, day)
        if living is not None:
            condition &= Alarm.customer.is_in(living or [0])
        if area.unit:
            condition &= Alarm.centre.name == area.unit
    if waiting_only:
        condition &= _waiting_condition()
    if customer_id is not None:
        condition &= Alarm.customer == customer_id
    page = max(1, min(page, 100_000))
    rows = (
        await Alarm.select(*ALARM_COLUMNS)
        .where(condition)
        .order_by(Alarm.occurred_at, ascending=False)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    visits = {
        v["alarm"]: v
        for v in await AlarmVisit.select(
            AlarmVisit.alarm, AlarmVisit.arrived_at, AlarmVisit.done_at
        ).where(AlarmVisit.alarm.is_in([r["id"] for r in rows] or [0]))
    }
    for row in rows:
        row["visit"] = visits.get(row["id"])
    return ResultPage(
        rows=rows, total=await Alarm.count().where(condition), page=page, page_size=PAGE_SIZE
    )
