"""Setting up booking: service units, professionals, appointment types, openings, closures."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from piccolo.table import Table

from core.audit import services as audit
from core.audit.services import Actor
from core.common.errors import NotFound, ValidationFailed
from core.common.versioned import update_versioned
from core.i18n import N_
from core.identity.tables import StaffRole, StaffUser, UserRole
from plugins.booking.availability import local_moment
from plugins.booking.bookings import MODES
from plugins.booking.tables import AppointmentType, Closure, Opening, Professional, ServiceUnit

PROFESSIONAL_ROLE = "professional"
CODE_PATTERN = re.compile(r"[A-Z0-9_]{2,30}")


def _text(form: dict[str, Any], name: str, limit: int) -> str:
    return str(form.get(name, "")).strip()[:limit]


def _required(form: dict[str, Any], name: str, limit: int, errors: dict[str, str]) -> str:
    value = _text(form, name, limit)
    if not value:
        errors[name] = N_("Required.")
    return value


def _date(raw: Any, name: str, errors: dict[str, str], required: bool = True) -> dt.date | None:
    text = str(raw or "").strip()
    if not text and not required:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = N_("Give a date like 2026-12-31.")
        return None


def _time(raw: Any, name: str, errors: dict[str, str]) -> dt.time | None:
    try:
        value = dt.time.fromisoformat(str(raw or "").strip())
    except ValueError:
        errors[name] = N_("Give a time like 09:00.")
        return None
    if value.minute % 5 or value.second:
        errors[name] = N_("Give a time like 09:00.")
        return None
    return value


async def _save(actor: Actor, table: type[Table], values: dict[str, Any], entity: str) -> int:
    rows = await table.insert(table(**values)).returning(table._meta.primary_key)
    record_id = int(rows[0]["id"])
    await audit.record(actor, "create", entity, record_id, after=values)
    return record_id


async def _update(
    actor: Actor,
    table: type[Table],
    entity: str,
    record_id: int,
    version: int,
    values: dict[str, Any],
) -> None:
    """Save with the version check (a stale form gets VersionConflict) and audit the change."""
    before = await table.select().where(table._meta.primary_key == record_id).first()
    if before is None:
        raise NotFound(f"{entity} {record_id}")
    columns = {table._meta.get_column_by_name(k): v for k, v in values.items()}
    await update_versioned(table, record_id, version, columns, values)
    changed_before, changed_after = audit.changes(dict(before), values)
    await audit.record(
        actor, "update", entity, record_id, before=changed_before, after=changed_after
    )


# -- service units -------------------------------------------------------------------------


def clean_unit(form: dict[str, Any], municipalities: tuple[str, ...]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values = {
        "name": _required(form, "name", 200, errors),
        "municipality": _text(form, "municipality", 100),
        "street_address": _text(form, "street_address", 200),
    }
    if values["municipality"] not in municipalities:
        errors["municipality"] = N_("Choose a municipality.")
    if errors:
        raise ValidationFailed(errors)
    return values


async def create_unit(actor: Actor, form: dict[str, Any], municipalities: tuple[str, ...]) -> int:
    return await _save(actor, ServiceUnit, clean_unit(form, municipalities), "booking_unit")


async def update_unit(
    actor: Actor,
    unit_id: int,
    version: int,
    form: dict[str, Any],
    municipalities: tuple[str, ...],
) -> None:
    values = clean_unit(form, municipalities)
    await _update(actor, ServiceUnit, "booking_unit", unit_id, version, values)


async def get_unit(unit_id: int) -> dict[str, Any]:
    row = await ServiceUnit.select().where(ServiceUnit.id == unit_id).first()
    if row is None:
        raise NotFound(f"service unit {unit_id}")
    return dict(row)


UNIT_FIELDS = ("name", "municipality", "street_address")


async def list_units() -> list[dict[str, Any]]:
    return await ServiceUnit.select().order_by(ServiceUnit.municipality).order_by(ServiceUnit.name)


# -- appointment types ---------------------------------------------------------------------


TYPE_FIELDS = ("code", "name", "duration_minutes", "modes", "public", "preparation", "bring_list")


def clean_type(form: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    modes = form.get("modes", [])
    modes = [modes] if isinstance(modes, str) else list(modes)
    values: dict[str, Any] = {
        "code": _required(form, "code", 30, errors).upper(),
        "name": _required(form, "name", 200, errors),
        "modes": [m for m in MODES if m in modes],
        "public": form.get("public") in ("on", "true", "1", True),
        "preparation": _text(form, "preparation", 2000),
        "bring_list": _text(form, "bring_list", 2000),
    }
    if values["code"] and not CODE_PATTERN.fullmatch(values["code"]):
        errors["code"] = N_("Use 2–30 capital letters, digits or underscores.")
    try:
        values["duration_minutes"] = int(str(form.get("duration_minutes", "")))
    except ValueError:
        values["duration_minutes"] = 0
    if not 5 <= values["duration_minutes"] <= 480 or values["duration_minutes"] % 5:
        errors["duration_minutes"] = N_("Give 5 to 480 minutes in steps of 5.")
    if not values["modes"] or len(values["modes"]) != len(modes):
        errors["modes"] = N_("Choose at least one meeting mode.")
    if errors:
        raise ValidationFailed(errors)
    return values


async def create_type(actor: Actor, form: dict[str, Any]) -> int:
    values = clean_type(form)
    if await AppointmentType.exists().where(AppointmentType.code == values["code"]):
        raise ValidationFailed({"code": N_("This code is already in use.")})
    return await _save(actor, AppointmentType, values, "booking_appointment_type")


async def update_type(actor: Actor, type_id: int, version: int, form: dict[str, Any]) -> None:
    values = clean_type(form)
    if await AppointmentType.exists().where(
        (AppointmentType.code == values["code"]) & (AppointmentType.id != type_id)
    ):
        raise ValidationFailed({"code": N_("This code is already in use.")})
    await _update(actor, AppointmentType, "booking_appointment_type", type_id, version, values)


async def get_type_row(type_id: int) -> dict[str, Any]:
    row = (
        await AppointmentType.select()
        .where(AppointmentType.id == type_id)
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(f"appointment type {type_id}")
    return dict(row)


async def list_types(public_only: bool = False) -> list[dict[str, Any]]:
    query = AppointmentType.select().order_by(AppointmentType.name)
    if public_only:
        query = query.where(AppointmentType.public.eq(True))
    return await query.output(load_json=True)


# -- professionals -------------------------------------------------------------------------


async def professional_candidates() -> list[dict[str, Any]]:
    """Active staff users holding the professional role."""
    user_ids = await UserRole.select(UserRole.user).where(UserRole.role.code == PROFESSIONAL_ROLE)
    ids = [r["user"] for r in user_ids]
    if not ids:
        return []
    return (
        await StaffUser.select(StaffUser.id, StaffUser.full_name)
        .where(StaffUser.id.is_in(ids) & StaffUser.is_active.eq(True))
        .order_by(StaffUser.full_name)
    )


async def add_professional(actor: Actor, form: dict[str, Any]) -> int:
    errors: dict[str, str] = {}
    candidates = {c["id"] for c in await professional_candidates()}
    user_id = int(form["user_id"]) if str(form.get("user_id", "")).isdigit() else 0
    unit_id = int(form["unit_id"]) if str(form.get("unit_id", "")).isdigit() else 0
    if user_id not in candidates:
        errors["user_id"] = N_("Choose a staff user with the professional role.")
    elif await Professional.exists().where(Professional.user == user_id):
        errors["user_id"] = N_("This person is already a professional in a unit.")
    if not await ServiceUnit.exists().where(ServiceUnit.id == unit_id):
        errors["unit_id"] = N_("Choose a service unit.")
    if errors:
        raise ValidationFailed(errors)
    values = {"user": user_id, "unit": unit_id, "title": _text(form, "title", 200)}
    return await _save(actor, Professional, values, "booking_professional")


async def list_professionals() -> list[dict[str, Any]]:
    return await Professional.select(
        Professional.id,
        Professional.title,
        Professional.user,
        Professional.user.full_name,
        Professional.unit,
        Professional.unit.name,
    ).order_by(Professional.user.full_name)


async def professional_of_user(user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    row = (
        await Professional.select(
            Professional.id, Professional.user.full_name, Professional.unit.name
        )
        .where(Professional.user == user_id)
        .first()
    )
    return dict(row) if row else None


async def role_exists() -> bool:
    return bool(await StaffRole.exists().where(StaffRole.code == PROFESSIONAL_ROLE))


# -- openings and closures -----------------------------------------------------------------


def clean_opening(form: dict[str, Any], today: dt.date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    kind = str(form.get("kind", "weekly"))
    start_time = _time(form.get("start_time"), "start_time", errors)
    end_time = _time(form.get("end_time"), "end_time", errors)
    if start_time and end_time and end_time <= start_time:
        errors["end_time"] = N_("The end must be after the start.")
    type_id = (
        int(form["appointment_type_id"])
        if str(form.get("appointment_type_id", "")).isdigit()
        else 0
    )
    values: dict[str, Any] = {
        "appointment_type": type_id,
        "start_time": start_time,
        "end_time": end_time,
        "weekday": None,
        "on_date": None,
        "valid_until": None,
    }
    if kind == "once":
        values["on_date"] = _date(form.get("on_date"), "on_date", errors)
        values["valid_from"] = values["on_date"]
        if values["on_date"] and values["on_date"] < today:
            errors["on_date"] = N_("This date has already passed.")
    else:
        weekday = str(form.get("weekday", ""))
        if weekday not in {str(d) for d in range(7)}:
            errors["weekday"] = N_("Choose a weekday.")
        else:
            values["weekday"] = int(weekday)
        values["valid_from"] = _date(form.get("valid_from"), "valid_from", errors)
        values["valid_until"] = _date(form.get("valid_until"), "valid_until", errors, False)
        if (
            values["valid_from"]
            and values["valid_until"]
            and (values["valid_until"] < values["valid_from"])
        ):
            errors["valid_until"] = N_("The end must be after the start.")
    if errors:
        raise ValidationFailed(errors)
    return values


async def add_opening(
    actor: Actor, professional_id: int, form: dict[str, Any], today: dt.date
) -> int:
    values = clean_opening(form, today)
    if not await AppointmentType.exists().where(AppointmentType.id == values["appointment_type"]):
        raise ValidationFailed({"appointment_type_id": N_("Choose an appointment type.")})
    values["professional"] = professional_id
    return await _save(actor, Opening, values, "booking_opening")


async def remove_opening(actor: Actor, professional_id: int, opening_id: int) -> None:
    """Stop offering an opening; bookings already made in it stay."""
    deleted = (
        await Opening.delete()
        .where((Opening.id == opening_id) & (Opening.professional == professional_id))
        .returning(Opening.id)
    )
    if not deleted:
        raise NotFound(f"opening {opening_id}")
    await audit.record(actor, "delete", "booking_opening", opening_id)


async def list_openings(professional_id: int) -> list[dict[str, Any]]:
    return (
        await Opening.select(*Opening.all_columns(), Opening.appointment_type.name)
        .where(Opening.professional == professional_id)
        .order_by(Opening.on_date)
        .order_by(Opening.weekday)
        .order_by(Opening.start_time)
    )


async def add_closure(actor: Actor, professional_id: int, form: dict[str, Any]) -> int:
    errors: dict[str, str] = {}
    day = _date(form.get("closure_date"), "closure_date", errors)
    start = _time(form.get("closure_start"), "closure_start", errors)
    end = _time(form.get("closure_end"), "closure_end", errors)
    if day and start and end and end <= start:
        errors["closure_end"] = N_("The end must be after the start.")
    if errors or not (day and start and end):
        raise ValidationFailed(errors)
    starts_at, ends_at = local_moment(day, start), local_moment(day, end)
    if starts_at is None or ends_at is None:
        raise ValidationFailed({"closure_start": N_("The clocks skip this time.")})
    values = {
        "professional": professional_id,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "reason": _text(form, "reason", 200),
    }
    return await _save(actor, Closure, values, "booking_closure")


async def list_closures(professional_id: int, since: dt.datetime) -> list[dict[str, Any]]:
    return (
        await Closure.select()
        .where((Closure.professional == professional_id) & (Closure.ends_at >= since))
        .order_by(Closure.starts_at)
        .limit(50)
    )
