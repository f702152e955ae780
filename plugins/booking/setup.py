"""Setting up booking: service units, professionals, appointment types, openings, closures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec
from piccolo.table import Table

from plugins.booking import forms
from plugins.booking.availability import local_moment
from plugins.booking.forms import MODES
from plugins.booking.tables import AppointmentType, Closure, Opening, Professional, ServiceUnit
from valvomo.api import (
    HELSINKI,
    N_,
    Actor,
    CachedQuery,
    NotFound,
    StaffRole,
    StaffUser,
    UserRole,
    ValidationFailed,
    VersionConflict,
    audit,
    normalise_phone,
    parse_form,
    sms_recipient_problem,
    update_versioned,
)

PROFESSIONAL_ROLE = "professional"


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


async def _save_edit(
    actor: Actor,
    table: type[Table],
    entity: str,
    before: dict[str, Any],
    version: int,
    values: dict[str, Any],
    form: dict[str, Any],
    fields: tuple[str, ...],
    as_form: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """Save an edit form with the version check: a stale form gets VersionConflict carrying the
    stored record and what was submitted, both as the form shows them. Audits the change."""
    columns = {table._meta.get_column_by_name(k): v for k, v in values.items()}
    try:
        saved = await update_versioned(table, before["id"], version, columns, values)
    except VersionConflict as conflict:
        submitted = {name: form.get(name, "") for name in fields}
        raise VersionConflict(entity, as_form(conflict.current), submitted) from None
    changed_before, changed_after = audit.changes(dict(before), values)
    await audit.record(
        actor, "update", entity, before["id"], before=changed_before, after=changed_after
    )
    return dict(saved)


# -- service units -------------------------------------------------------------------------


def clean_unit(form: dict[str, Any], municipalities: tuple[str, ...]) -> dict[str, Any]:
    choices = {"municipality": municipalities}
    return msgspec.structs.asdict(parse_form(forms.UnitForm, form, choices=choices))


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
    values = msgspec.structs.asdict(parse_form(forms.TypeForm, form))
    values["modes"] = [mode for mode in MODES if mode in values["modes"]]
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
    professional = parse_form(forms.ProfessionalForm, form)
    user_id, unit_id = professional.user_id, professional.unit_id
    errors: dict[str, str] = {}
    candidates = {c["id"] for c in await professional_candidates()}
    if user_id not in candidates:
        errors["user_id"] = N_("Choose a staff user with the professional role.")
    elif await Professional.exists().where(Professional.user == user_id):
        errors["user_id"] = N_("This person is already a professional in a unit.")
    if not await ServiceUnit.exists().where(ServiceUnit.id == unit_id):
        errors["unit_id"] = N_("Choose a service unit.")
    if errors:
        raise ValidationFailed(errors)
    values = {"user": user_id, "unit": unit_id, "title": professional.title}
    return await _save(actor, Professional, values, "booking_professional")


PROFESSIONAL_FIELDS = ("unit_id", "title", "phone")


async def clean_professional_edit(form: dict[str, Any]) -> dict[str, Any]:
    """The unit, title and mobile number (for meeting messages when there is no e-mail)."""
    edit = parse_form(forms.ProfessionalEditForm, form)
    errors: dict[str, str] = {}
    phone = edit.phone.strip()
    if phone:
        problem = sms_recipient_problem(phone)
        if problem:
            errors["phone"] = problem
        else:
            phone = normalise_phone(phone) or phone
    if not await ServiceUnit.exists().where(ServiceUnit.id == edit.unit_id):
        errors["unit_id"] = N_("Choose a service unit.")
    if errors:
        raise ValidationFailed(errors)
    return {"unit": edit.unit_id, "title": edit.title, "phone": phone}


def professional_form(row: dict[str, Any]) -> dict[str, Any]:
    """A stored professional as the edit form's fields."""
    return {
        "id": row["id"],
        "version": row["version"],
        "unit_id": row["unit"],
        "title": row["title"],
        "phone": row["phone"],
    }


async def get_professional(professional_id: int) -> dict[str, Any]:
    row = (
        await Professional.select(*Professional.all_columns(), Professional.user.full_name)
        .where(Professional.id == professional_id)
        .first()
    )
    if row is None:
        raise NotFound(f"professional {professional_id}")
    return dict(row)


async def update_professional(
    actor: Actor, professional_id: int, version: int, form: dict[str, Any]
) -> None:
    """Change a professional's unit, title or mobile number in place, with the version check
    (a stale form gets VersionConflict, nothing written), audited. Bookings, openings and
    meetings stay theirs."""
    before = await get_professional(professional_id)
    values = await clean_professional_edit(form)
    await _save_edit(
        actor,
        Professional,
        "booking_professional",
        before,
        version,
        values,
        form,
        PROFESSIONAL_FIELDS,
        professional_form,
    )


async def list_professionals() -> list[dict[str, Any]]:
    return await Professional.select(
        Professional.id,
        Professional.title,
        Professional.user,
        Professional.user.full_name,
        Professional.unit,
        Professional.unit.name,
    ).order_by(Professional.user.full_name)


# On every dashboard of a user who may work bookings: the joined SQL is built once.
_PROFESSIONAL_OF_USER = CachedQuery(
    lambda user_id: (
        Professional.select(
            Professional.id, Professional.user.full_name, Professional.unit, Professional.unit.name
        )
        .where(Professional.user == user_id)
        .limit(1)
    )
)


async def professional_of_user(user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    rows = await _PROFESSIONAL_OF_USER(user_id)
    return dict(rows[0]) if rows else None


async def role_exists() -> bool:
    return bool(await StaffRole.exists().where(StaffRole.code == PROFESSIONAL_ROLE))


# -- openings and closures -----------------------------------------------------------------


def clean_opening(form: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A one-off opening (`kind` once) or a weekly one with its validity."""
    once = str(form.get("kind", "weekly")) == "once"
    opening: forms.OnceOpeningForm | forms.WeeklyOpeningForm = (
        parse_form(forms.OnceOpeningForm, form)
        if once
        else parse_form(forms.WeeklyOpeningForm, form)
    )
    values: dict[str, Any] = {
        "appointment_type": opening.appointment_type_id,
        "start_time": opening.start_time,
        "end_time": opening.end_time,
        "weekday": None,
        "on_date": None,
        "valid_until": None,
    }
    if isinstance(opening, forms.OnceOpeningForm):
        values["on_date"] = values["valid_from"] = opening.on_date
        if opening.on_date < today:
            raise ValidationFailed({"on_date": N_("This date has already passed.")})
    else:
        values["weekday"] = opening.weekday
        values["valid_from"] = opening.valid_from
        values["valid_until"] = opening.valid_until
    return values


async def add_opening(
    actor: Actor, professional_id: int, form: dict[str, Any], today: dt.date
) -> int:
    values = clean_opening(form, today)
    if not await AppointmentType.exists().where(AppointmentType.id == values["appointment_type"]):
        raise ValidationFailed({"appointment_type_id": N_("Choose an appointment type.")})
    values["professional"] = professional_id
    return await _save(actor, Opening, values, "booking_opening")


OPENING_FIELDS = (
    "appointment_type_id",
    "kind",
    "weekday",
    "valid_from",
    "valid_until",
    "on_date",
    "start_time",
    "end_time",
)


def opening_form(row: dict[str, Any]) -> dict[str, Any]:
    """A stored opening as the form's fields."""
    return {
        "id": row["id"],
        "version": row["version"],
        "appointment_type_id": str(row["appointment_type"]),
        "kind": "once" if row["on_date"] else "weekly",
        "weekday": "" if row["weekday"] is None else str(row["weekday"]),
        "valid_from": "" if row["on_date"] else row["valid_from"],
        "valid_until": row["valid_until"] or "",
        "on_date": row["on_date"] or "",
        "start_time": row["start_time"].strftime("%H:%M"),
        "end_time": row["end_time"].strftime("%H:%M"),
    }


async def get_opening(professional_id: int, opening_id: int) -> dict[str, Any]:
    row = (
        await Opening.select()
        .where((Opening.id == opening_id) & (Opening.professional == professional_id))
        .first()
    )
    if row is None:
        raise NotFound(f"opening {opening_id}")
    return dict(row)


async def update_opening(
    actor: Actor,
    professional_id: int,
    opening_id: int,
    version: int,
    form: dict[str, Any],
    today: dt.date,
) -> dict[str, Any]:
    """Change an opening in place (type, weekly or once, dates, times) with the version check
    (a stale form gets VersionConflict, nothing written), audited. Bookings already made in
    it stay; returns the saved opening."""
    before = await get_opening(professional_id, opening_id)
    values = clean_opening(form, today)
    if not await AppointmentType.exists().where(AppointmentType.id == values["appointment_type"]):
        raise ValidationFailed({"appointment_type_id": N_("Choose an appointment type.")})
    return await _save_edit(
        actor,
        Opening,
        "booking_opening",
        before,
        version,
        values,
        form,
        OPENING_FIELDS,
        opening_form,
    )


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


CLOSURE_FIELDS = ("closure_date", "closure_start", "closure_end", "reason")


def clean_closure(form: dict[str, Any]) -> dict[str, Any]:
    """The closed time (UTC moments of a Helsinki day's times) and its reason."""
    closure = parse_form(forms.ClosureForm, form)
    day, start, end = closure.closure_date, closure.closure_start, closure.closure_end
    starts_at, ends_at = local_moment(day, start), local_moment(day, end)
    if starts_at is None or ends_at is None:
        raise ValidationFailed({"closure_start": N_("The clocks skip this time.")})
    return {"starts_at": starts_at, "ends_at": ends_at, "reason": closure.reason}


def closure_form(row: dict[str, Any]) -> dict[str, Any]:
    """A stored closure as the form's fields (Helsinki date and times)."""
    start, end = row["starts_at"].astimezone(HELSINKI), row["ends_at"].astimezone(HELSINKI)
    return {
        "id": row["id"],
        "version": row["version"],
        "closure_date": start.date(),
        "closure_start": start.strftime("%H:%M"),
        "closure_end": end.strftime("%H:%M"),
        "reason": row["reason"],
    }


async def add_closure(actor: Actor, professional_id: int, form: dict[str, Any]) -> int:
    values = {"professional": professional_id, **clean_closure(form)}
    return await _save(actor, Closure, values, "booking_closure")


async def update_closure(
    actor: Actor, professional_id: int, closure_id: int, version: int, form: dict[str, Any]
) -> dict[str, Any]:
    """Change a closure's time or reason with the version check (a stale form gets
    VersionConflict, nothing written) and audit it; returns the saved closure."""
    before = (
        await Closure.select()
        .where((Closure.id == closure_id) & (Closure.professional == professional_id))
        .first()
    )
    if before is None:
        raise NotFound(f"closure {closure_id}")
    values = clean_closure(form)
    return await _save_edit(
        actor,
        Closure,
        "booking_closure",
        dict(before),
        version,
        values,
        form,
        CLOSURE_FIELDS,
        closure_form,
    )


async def remove_closure(actor: Actor, professional_id: int, closure_id: int) -> None:
    """End a closure early or undo it (the professional is back): its times are open again.
    Bookings already cancelled or moved for it stay as they are."""
    deleted = (
        await Closure.delete()
        .where((Closure.id == closure_id) & (Closure.professional == professional_id))
        .returning(Closure.id, Closure.starts_at, Closure.ends_at)
    )
    if not deleted:
        raise NotFound(f"closure {closure_id}")
    await audit.record(
        actor,
        "delete",
        "booking_closure",
        closure_id,
        before={"starts_at": deleted[0]["starts_at"], "ends_at": deleted[0]["ends_at"]},
    )


async def list_closures(professional_id: int, since: dt.datetime) -> list[dict[str, Any]]:
    return (
        await Closure.select()
        .where((Closure.professional == professional_id) & (Closure.ends_at >= since))
        .order_by(Closure.starts_at)
        .limit(50)
    )
