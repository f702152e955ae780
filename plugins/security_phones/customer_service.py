"""A customer's security phone: start, installation, devices, keys, calling order, ending."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any

import msgspec

from plugins.security_phones import decisions
from plugins.security_phones.forms import (
    EndServiceForm,
    HandoverForm,
    InstallationVisitForm,
    InstallDeviceForm,
    KeyForm,
    OpeningForm,
    RemoveDeviceForm,
    ServiceForm,
    calling_order_form,
)
from plugins.security_phones.inventory import INSTALLABLE, log_event
from plugins.security_phones.tables import (
    AlarmCentre,
    CallingContact,
    Device,
    HomeKey,
    Installation,
    KeyHandover,
    PhoneService,
    ServiceCentreChange,
)
from valvomo.api import (
    N_,
    Actor,
    CachedQuery,
    ContactPerson,
    NotFound,
    TaskKind,
    ValidationFailed,
    audit,
    create_task,
    decision_date_problems,
    decision_values,
    get_customer,
    gettext,
    now,
    parse_form,
    today,
    update_versioned,
)

COLLECT_DEVICES = TaskKind(
    "security_phones.collect_devices",
    N_("Collect security phone devices and return keys"),
    "security_phone_coordinator",
)
SERVICE_FIELDS = ("decision_date", "start_date", "centre", "centre_customer_id")


@dataclass(frozen=True)
class ServiceRecord:
    id: int
    customer: int
    decision_date: dt.date
    start_date: dt.date
    end_date: dt.date | None
    installation_date: dt.date | None
    installer: str
    centre: int | None
    centre_customer_id: str
    version: int

    @property
    def is_active(self) -> bool:
        return self.end_date is None


_NEWEST_SERVICE = CachedQuery(
    lambda customer_id: (
        PhoneService.select()
        .where(PhoneService.customer == customer_id)
        .order_by(PhoneService.start_date, ascending=False)
        .order_by(PhoneService.id, ascending=False)
        .limit(1)
    )
)


async def current_service(customer_id: int) -> ServiceRecord | None:
    """The customer's newest service, active or ended."""
    rows = await _NEWEST_SERVICE(customer_id)
    return ServiceRecord(**rows[0]) if rows else None


async def active_service(customer_id: int) -> ServiceRecord:
    service = await current_service(customer_id)
    if service is None or not service.is_active:
        raise ValidationFailed(
            {"service": N_("The customer has no active security phone service.")}
        )
    return service


async def _clean_service(service: ServiceForm) -> dict[str, Any]:
    centre = service.centre
    if centre is not None and not await AlarmCentre.exists().where(AlarmCentre.id == centre):
        raise ValidationFailed({"centre": N_("Choose one of the alarm centres.")})
    if problems := decision_date_problems(service.decision_date, None, "decision_date"):
        raise ValidationFailed(problems)
    return {name: getattr(service, name) for name in SERVICE_FIELDS}


async def start_service(actor: Actor, customer_id: int, form: dict[str, Any]) -> int:
    """Start a service and record the decision granting it (decision maker and basis)."""
    customer = await get_customer(customer_id)
    opening = parse_form(OpeningForm, form)
    values = await _clean_service(opening)
    existing = await current_service(customer_id)
    if existing and existing.is_active:
        raise ValidationFailed({"start_date": N_("The customer already has an active service.")})
    if existing and existing.end_date and values["start_date"] <= existing.end_date:
        raise ValidationFailed(
            {"start_date": N_("The new service must start after the last one ended.")}
        )
    rows = await PhoneService.insert(PhoneService(customer=customer_id, **values)).returning(
        PhoneService.id
    )
    service_id = int(rows[0]["id"])
    await audit.record(
        actor, "create", "sp_service", service_id, customer_id=customer_id, after=values
    )
    decision = {"decided_on": opening.decision_date, "decision_maker": opening.decision_maker,
                "basis": opening.basis}  # fmt: skip
    await decisions.NOTICES.record(
        actor, customer, "opening", decision, opening.start_date, service=service_id
    )
    return service_id


async def update_service(
    actor: Actor, customer_id: int, version: int, form: dict[str, Any]
) -> None:
    """Correct the decision, start date and alarm centre details of the active service (the
    dates of the opening decision with them)."""
    service = await active_service(customer_id)
    values = await _clean_service(parse_form(ServiceForm, form))
    columns = {PhoneService._meta.get_column_by_name(k): v for k, v in values.items()}
    await update_versioned(PhoneService, service.id, version, columns, values)
    await decisions.correct_opening(service.id, values["decision_date"], values["start_date"])
    if values["centre"] != service.centre:  # the centre's history, dated the day it is recorded
        await ServiceCentreChange.insert(
            ServiceCentreChange(
                service=service.id, previous_centre=service.centre, changed_on=today()
            )
        )
    old, new = audit.changes({k: getattr(service, k) for k in SERVICE_FIELDS}, values)
    if new:
        await audit.record(
            actor,
            "update",
            "sp_service",
            service.id,
            customer_id=customer_id,
            before=old,
            after=new,
        )


async def record_installation_visit(
    actor: Actor, customer_id: int, version: int, form: dict[str, Any]
) -> None:
    service = await active_service(customer_id)
    visit = parse_form(InstallationVisitForm, form)
    day, installer = visit.installation_date, visit.installer
    if day < service.start_date:
        raise ValidationFailed(
            {"installation_date": N_("The installation cannot be before the service starts.")}
        )
    values = {"installation_date": day, "installer": installer}
    await update_versioned(
        PhoneService,
        service.id,
        version,
        {PhoneService.installation_date: day, PhoneService.installer: installer},
        values,
    )
    await audit.record(
        actor,
        "update",
        "sp_service",
        service.id,
        customer_id=customer_id,
        before={"installation_date": service.installation_date, "installer": service.installer},
        after=values,
    )


# -- devices at the customer ------------------------------------------------------------------


async def install_device(actor: Actor, customer_id: int, form: dict[str, Any]) -> int:
    """Install a device from stock; refuse one installed elsewhere, retired, lost or in repair."""
    service = await active_service(customer_id)
    installing = parse_form(InstallDeviceForm, form)
    day = installing.installed_on
    errors: dict[str, str] = {}
    device = await Device.select().where(Device.serial_number == installing.serial_number).first()
    if device is None:
        errors["serial_number"] = N_("No device has this serial number.")
    elif device["status"] == "installed":
        errors["serial_number"] = N_("This device is already installed at a customer.")
    elif device["status"] == "retired":
        errors["serial_number"] = N_("This device is retired and cannot be installed.")
    elif device["status"] not in INSTALLABLE:
        errors["serial_number"] = N_("This device is lost or in maintenance.")
    if day < service.start_date:
        errors["installed_on"] = N_("The installation cannot be before the service starts.")
    if errors or device is None:
        raise ValidationFailed(errors)
    updated = (
        await Device.update(
            {
                Device.status: "installed",
                Device.customer: customer_id,
                Device.version: Device.version + 1,
            }
        )
        .where((Device.id == device["id"]) & Device.status.is_in(list(INSTALLABLE)))
        .returning(Device.id)
    )
    if not updated:  # someone installed it at the same moment
        raise ValidationFailed(
            {"serial_number": N_("This device is already installed at a customer.")}
        )
    await Installation.insert(
        Installation(device=device["id"], customer=customer_id, installed_on=day)
    )
    await log_event(actor, device["id"], "installed", customer_id)
    await audit.record(
        actor,
        "update",
        "sp_device",
        device["id"],
        customer_id=customer_id,
        before={"status": device["status"]},
        after={"status": "installed", "installed_on": day},
    )
    return int(device["id"])


async def remove_device(
    actor: Actor, customer_id: int, device_id: int, form: dict[str, Any]
) -> None:
    installation = (
        await Installation.select()
        .where(
            (Installation.device == device_id)
            & (Installation.customer == customer_id)
            & Installation.removed_on.is_null()
        )
        .first()
    )
    if installation is None:
        raise NotFound(f"device {device_id} at customer {customer_id}")
    day = parse_form(RemoveDeviceForm, form).removed_on
    if day < installation["installed_on"]:
        raise ValidationFailed(
            {"removed_on": N_("The device cannot be removed before it was installed.")}
        )
    await Installation.update({Installation.removed_on: day}).where(
        Installation.id == installation["id"]
    )
    await Device.update(
        {Device.status: "returned", Device.customer: None, Device.version: Device.version + 1}
    ).where(Device.id == device_id)
    await log_event(actor, device_id, "returned", customer_id)
    await audit.record(
        actor,
        "update",
        "sp_device",
        device_id,
        customer_id=customer_id,
        before={"status": "installed"},
        after={"status": "returned", "removed_on": day},
    )


_INSTALLED_DEVICES = CachedQuery(
    lambda customer_id: (
        Installation.select(
            Installation.id,
            Installation.installed_on,
            Installation.device,
            Installation.device.serial_number,
            Installation.device.model,
            Installation.device.kind,
        )
        .where((Installation.customer == customer_id) & Installation.removed_on.is_null())
        .order_by(Installation.installed_on)
    )
)


async def installed_devices(customer_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await _INSTALLED_DEVICES(customer_id)
    return rows


_SERVICE_FIELDS = [f.name for f in fields(ServiceRecord)]
_DEVICE_KEYS = ("id", "installed_on", "device", "device.serial_number", "device.model",
                "device.kind")  # fmt: skip
SERVICE_WITH_DEVICES_SQL = (
    "SELECT "  # noqa: S608 - only column names of the tables enter the text
    + ", ".join(f"s.{name} AS {name}" for name in _SERVICE_FIELDS)
    + ', i.id AS "i.id", i.installed_on AS "i.installed_on", i.device AS "i.device",'
    ' d.serial_number AS "i.device.serial_number", d.model AS "i.device.model",'
    ' d.kind AS "i.device.kind"'
    " FROM sp_service s"
    " LEFT JOIN sp_installation i ON i.customer = s.customer AND i.removed_on IS NULL"
    " LEFT JOIN sp_device d ON d.id = i.device"
    " WHERE s.id = (SELECT id FROM sp_service WHERE customer = {}"
    " ORDER BY start_date DESC, id DESC LIMIT 1)"
    " ORDER BY i.installed_on, i.id"
)


async def service_with_devices(
    customer_id: int,
) -> tuple[ServiceRecord | None, list[dict[str, Any]]]:
    """`current_service` and, with a service, `installed_devices`, in one statement (the
    customer page's panel)."""
    rows = await PhoneService.raw(SERVICE_WITH_DEVICES_SQL, customer_id)
    if not rows:
        return None, []
    service = ServiceRecord(**{name: rows[0][name] for name in _SERVICE_FIELDS})
    installed = [row for row in rows if row["i.id"] is not None]
    devices = [{key: row[f"i.{key}"] for key in _DEVICE_KEYS} for row in installed]
    return service, devices


# -- calling order --------------------------------------------------------------------------


async def calling_order(customer_id: int) -> list[dict[str, Any]]:
    """The customer's contact persons, those in the calling order first and in that order."""
    contacts = (
        await ContactPerson.select()
        .where(ContactPerson.customer == customer_id)
        .order_by(ContactPerson.id)
    )
    positions = {
        row["contact"]: row["position"]
        for row in await CallingContact.select().where(CallingContact.customer == customer_id)
    }
    for contact in contacts:
        contact["position"] = positions.get(contact["id"])
    return sorted(contacts, key=lambda c: (c["position"] is None, c["position"] or 0, c["id"]))


def calling_order_version(contacts: list[dict[str, Any]]) -> str:
    """A fingerprint of the order as shown; a save based on another one is refused."""
    return ",".join(
        f"{c['id']}:{c['position'] or 0}" for c in sorted(contacts, key=lambda c: c["id"])
    )


async def set_calling_order(actor: Actor, customer_id: int, form: dict[str, Any]) -> None:
    """Positions from fields `position_<contact id>`; a blank position leaves the contact out."""
    current = await calling_order(customer_id)
    if str(form.get("order_version") or "") != calling_order_version(current):
        raise ValidationFailed({"calling_order": N_(
            "Someone changed the contact persons or their order meanwhile; check and save again."
        )})  # fmt: skip
    contacts = {c["id"]: c for c in current}
    positions = msgspec.structs.asdict(parse_form(calling_order_form(list(contacts)), form))
    chosen = [
        (position, contact_id)
        for contact_id in contacts
        if (position := positions[f"position_{contact_id}"]) is not None
    ]
    if len({p for p, _ in chosen}) != len(chosen):
        raise ValidationFailed(
            {"calling_order": N_("Give each contact person a different number.")}
        )
    before = [c["name"] for c in contacts.values() if c["position"] is not None]
    await CallingContact.delete().where(CallingContact.customer == customer_id)
    ordered = [contact_id for _, contact_id in sorted(chosen)]
    if ordered:
        await CallingContact.insert(
            *[
                CallingContact(customer=customer_id, contact=cid, position=i)
                for i, cid in enumerate(ordered, start=1)
            ]
        )
    await audit.record(
        actor,
        "update",
        "sp_calling_order",
        customer_id,
        customer_id=customer_id,
        before={"order": before},
        after={"order": [contacts[c]["name"] for c in ordered]},
    )


# -- keys ------------------------------------------------------------------------------------


async def add_key(actor: Actor, customer_id: int, form: dict[str, Any]) -> int:
    await get_customer(customer_id)
    key = parse_form(KeyForm, form)
    label, holder = key.label, key.holder
    rows = await HomeKey.insert(
        HomeKey(customer=customer_id, label=label, holder=holder)
    ).returning(HomeKey.id)
    key_id = int(rows[0]["id"])
    await KeyHandover.insert(
        KeyHandover(key=key_id, to_holder=holder, at=now(), by_name=actor.full_name)
    )
    await audit.record(
        actor,
        "create",
        "sp_key",
        key_id,
        customer_id=customer_id,
        after={"label": label, "holder": holder},
    )
    return key_id


async def hand_over_key(
    actor: Actor, customer_id: int, key_id: int, version: int, form: dict[str, Any]
) -> None:
    """Log a hand-over; `returned=1` marks the key as given back to the customer."""
    key = (
        await HomeKey.select()
        .where((HomeKey.id == key_id) & (HomeKey.customer == customer_id))
        .first()
    )
    if key is None:
        raise NotFound(f"key {key_id}")
    if key["returned"]:
        raise ValidationFailed({"to_holder": N_("This key has already been returned.")})
    handover = parse_form(HandoverForm, form)
    returned = handover.returned
    if not returned and not handover.to_holder:
        raise ValidationFailed(
            {"to_holder": N_("Enter who holds the key (at most 200 characters).")}
        )
    to_holder = N_("Returned to the customer") if returned else handover.to_holder
    values = {"holder": to_holder, "returned": returned}
    submitted = {"holder": to_holder, "to_holder": to_holder, "returned": "1" if returned else ""}
    await update_versioned(
        HomeKey, key_id, version, {HomeKey.holder: to_holder, HomeKey.returned: returned}, submitted
    )
    await KeyHandover.insert(
        KeyHandover(
            key=key_id,
            from_holder=key["holder"],
            to_holder=to_holder,
            at=now(),
            by_name=actor.full_name,
        )
    )
    await audit.record(
        actor,
        "update",
        "sp_key",
        key_id,
        customer_id=customer_id,
        before={"holder": key["holder"]},
        after=values,
    )


async def keys_with_handovers(customer_id: int) -> list[dict[str, Any]]:
    keys = await HomeKey.select().where(HomeKey.customer == customer_id).order_by(HomeKey.id)
    handovers = (
        await KeyHandover.select()
        .where(KeyHandover.key.is_in([k["id"] for k in keys] or [0]))
        .order_by(KeyHandover.at)
    )
    for key in keys:
        key["handovers"] = [h for h in handovers if h["key"] == key["id"]]
    return keys


# -- ending ------------------------------------------------------------------------------------


async def end_service(actor: Actor, customer_id: int, version: int, form: dict[str, Any]) -> int:
    """End the service and put a task to collect the devices and return the keys in the inbox."""
    service = await active_service(customer_id)
    ending = parse_form(EndServiceForm, form)
    end = ending.end_date
    if end < service.start_date:
        raise ValidationFailed({"end_date": N_("The service cannot end before it starts.")})
    if problems := decision_date_problems(ending.decided_on, service.decision_date):
        raise ValidationFailed(problems)
    await update_versioned(
        PhoneService, service.id, version, {PhoneService.end_date: end}, {"end_date": end}
    )
    await audit.record(
        actor,
        "update",
        "sp_service",
        service.id,
        customer_id=customer_id,
        before={"end_date": None},
        after={"end_date": end},
    )
    customer = await get_customer(customer_id)
    await decisions.NOTICES.record(
        actor, customer, "ending", decision_values(ending), end, service=service.id
    )
    return await _collection_task(actor, customer_id, end)


async def _collection_task(actor: Actor, customer_id: int, end: dt.date) -> int:
    devices = [d["device.serial_number"] for d in await installed_devices(customer_id)]
    keys = [k["label"] for k in await keys_with_handovers(customer_id) if not k["returned"]]
    customer = await get_customer(customer_id)
    return await create_task(
        actor,
        COLLECT_DEVICES,
        gettext(
            "%(name)s: security phone ends %(date)s; collect devices: %(devices)s, "
            "return keys: %(keys)s",
            name=customer.full_name,
            date=f"{end:%d.%m.%Y}",
            devices=len(devices),
            keys=len(keys),
        ),
        customer_id=customer_id,
        payload={"end_date": end.isoformat(), "devices": devices, "keys": keys},
    )


async def end_on_death(actor: Actor, customer_id: int, day: dt.date | None) -> None:
    """Core says the customer died: end an active service on that day (or today)."""
    service = await current_service(customer_id)
    if service is None or not service.is_active:
        return
    end = max(day or today(), service.start_date)
    await PhoneService.update(
        {PhoneService.end_date: end, PhoneService.version: PhoneService.version + 1}
    ).where(PhoneService.id == service.id)
    await audit.record(
        actor,
        "update",
        "sp_service",
        service.id,
        customer_id=customer_id,
        before={"end_date": None},
        after={"end_date": end},
    )
    await _collection_task(actor, customer_id, end)


def service_values(service: ServiceRecord | None) -> dict[str, Any]:
    return asdict(service) if service else {}
