"""The device inventory: devices, their status through life, and who had them when."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.security_phones.forms import DeviceForm, DeviceStatusForm
from plugins.security_phones.tables import Device, DeviceEvent
from valvomo.api import (
    N_,
    Actor,
    NotFound,
    ResultPage,
    ValidationFailed,
    audit,
    now,
    parse_form,
    update_versioned,
)

STATUSES = ("in_stock", "installed", "returned", "in_maintenance", "lost", "retired")
INSTALLABLE = ("in_stock", "returned")
PAGE_SIZE = 50


async def add_device(actor: Actor, form: Mapping[str, Any]) -> int:
    errors: dict[str, str] = {}
    serial = str(form.get("serial_number") or "").strip().upper()
    if serial and await Device.exists().where(Device.serial_number == serial):
        errors["serial_number"] = N_("A device with this serial number exists.")
    device = parse_form(DeviceForm, form, errors=errors)
    serial, model, kind = device.serial_number, device.model, device.kind
    rows = await Device.insert(Device(serial_number=serial, model=model, kind=kind)).returning(
        Device.id
    )
    device_id = int(rows[0]["id"])
    await log_event(actor, device_id, "in_stock", None, N_("Added to stock"))
    await audit.record(
        actor,
        "create",
        "sp_device",
        device_id,
        after={"serial_number": serial, "model": model, "kind": kind},
    )
    return device_id


async def log_event(
    actor: Actor, device_id: int, status: str, customer_id: int | None, note: str = ""
) -> None:
    await DeviceEvent.insert(
        DeviceEvent(
            device=device_id,
            status=status,
            customer=customer_id,
            at=now(),
            by_name=actor.full_name,
            note=note[:500],
        )
    )


async def get_device(device_id: int) -> dict[str, Any]:
    row = (
        await Device.select(
            *Device.all_columns(), Device.customer.first_name, Device.customer.last_name
        )
        .where(Device.id == device_id)
        .first()
    )
    if row is None:
        raise NotFound(f"device {device_id}")
    return row


async def device_history(device_id: int) -> list[dict[str, Any]]:
    return (
        await DeviceEvent.select(
            *DeviceEvent.all_columns(),
            DeviceEvent.customer.first_name,
            DeviceEvent.customer.last_name,
        )
        .where(DeviceEvent.device == device_id)
        .order_by(DeviceEvent.at, ascending=False)
        .order_by(DeviceEvent.id, ascending=False)
    )


async def change_status(
    actor: Actor, device_id: int, version: int, form: Mapping[str, Any]
) -> dict[str, Any]:
    """Set a manual status (stock, maintenance, lost, retired) from the status form (with a
    note); remove installed devices first."""
    device = await get_device(device_id)
    change = parse_form(DeviceStatusForm, form)
    status, note = change.status, change.note
    if device["status"] == "installed":
        raise ValidationFailed(
            {"status": N_("The device is installed at a customer; remove it there first.")}
        )
    if device["status"] == "retired":
        raise ValidationFailed({"status": N_("A retired device cannot change status.")})
    submitted = {"status": status, "note": note}
    await update_versioned(Device, device_id, version, {Device.status: status}, submitted)
    await log_event(actor, device_id, status, None, note)
    await audit.record(
        actor,
        "update",
        "sp_device",
        device_id,
        before={"status": device["status"]},
        after={"status": status, "note": note},
    )
    return await get_device(device_id)


async def list_devices(
    status: str = "", kind: str = "", serial: str = "", page: int = 1
) -> ResultPage:
    condition: Any = None
    for column, value in ((Device.status, status), (Device.kind, kind)):
        if value:
            condition = column == value if condition is None else condition & (column == value)
    if serial:
        term = Device.serial_number.like(serial.strip().upper().replace("%", "") + "%")
        condition = term if condition is None else condition & term
    select = Device.select(
        *Device.all_columns(), Device.customer.first_name, Device.customer.last_name
    )
    count = Device.count()
    if condition is not None:
        select, count = select.where(condition), count.where(condition)
    page = max(1, min(page, 100_000))
    rows = (
        await select.order_by(Device.serial_number).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    return ResultPage(rows=rows, total=await count, page=page, page_size=PAGE_SIZE)
