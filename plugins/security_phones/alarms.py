"""Alarms from alarm centres (CSV import and JSON endpoint), technical-alarm tasks, and visits."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from plugins.security_phones.forms import CentreForm
from plugins.security_phones.tables import Alarm, AlarmCentre, Device, PhoneService
from valvomo.api import (
    N_,
    Actor,
    Task,
    TaskKind,
    ValidationFailed,
    audit,
    create_task,
    gettext,
    insert_rows,
    now,
    parse_form,
    parse_moment,
)

KINDS = ("button", "fall", "smoke", "door", "technical")
CSV_COLUMNS = (
    "alarm_id",
    "time",
    "device_serial",
    "centre_customer_id",
    "kind",
    "detail",
    "outcome",
    "visit_needed",
)
TECHNICAL_ALARM = TaskKind(
    "security_phones.technical_alarm",
    N_("Security phone technical alarm"),
    "security_phone_coordinator",
)
TRUE = {"1", "true", "yes", "kyllä", "k", "x"}
FALSE = {"", "0", "false", "no", "ei", "e"}


# -- alarm centres and their tokens -------------------------------------------------------


def token_hash(token: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_centre(actor: Actor, name: str) -> tuple[int, str]:
    """A new alarm centre and its API token; the token is shown once and only its hash is kept."""
    name = parse_form(CentreForm, {"name": name}).name
    if await AlarmCentre.exists().where(AlarmCentre.name == name):
        raise ValidationFailed({"name": N_("An alarm centre with this name exists.")})
    token = secrets.token_urlsafe(32)
    rows = await AlarmCentre.insert(
        AlarmCentre(name=name, token_hash=token_hash(token), created_at=now())
    ).returning(AlarmCentre.id)
    centre_id = int(rows[0]["id"])
    await audit.record(actor, "create", "sp_alarm_centre", centre_id, after={"name": name})
    return centre_id, token


async def renew_token(actor: Actor, centre_id: int) -> str:
    token = secrets.token_urlsafe(32)
    updated = (
        await AlarmCentre.update({AlarmCentre.token_hash: token_hash(token)})
        .where(AlarmCentre.id == centre_id)
        .returning(AlarmCentre.id)
    )
    if not updated:
        raise ValidationFailed({"centre": N_("Choose one of the alarm centres.")})
    await audit.record(actor, "update", "sp_alarm_centre", centre_id, after={"token": "renewed"})
    return token


class TokenRefused(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


async def check_centre_token(centre_id: int, token: str | None) -> dict[str, Any]:
    """The centre if `token` is its own; 401 for a missing or unknown token, 403 for another's."""
    if not token:
        raise TokenRefused(
            401, "Send the alarm centre's API token as 'Authorization: Bearer TOKEN'."
        )
    hashed = token_hash(token)
    centre = await AlarmCentre.select().where(AlarmCentre.id == centre_id).first()
    if centre is not None and hmac.compare_digest(centre["token_hash"], hashed):
        return centre
    if await AlarmCentre.exists().where(AlarmCentre.token_hash == hashed):
        raise TokenRefused(403, "This token belongs to another alarm centre.")
    raise TokenRefused(401, "The API token is not valid.")


async def list_centres() -> list[dict[str, Any]]:
    return await AlarmCentre.select(
        AlarmCentre.id, AlarmCentre.name, AlarmCentre.created_at
    ).order_by(AlarmCentre.name)


# -- parsing rows ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: int = 0
    added: int = 0
    errors: list[str] = field(default_factory=list)
    tasks: int = 0

    @property
    def skipped(self) -> int:
        return self.rows - self.added


class Resolver:
    """Maps device serials and the centre's customer ids to ours, loaded once per import."""

    def __init__(
        self, devices: dict[str, tuple[int, int | None]], customers: dict[str, int]
    ) -> None:
        self.devices = devices
        self.customers = customers

    @classmethod
    async def load(cls, centre_id: int, only: dict[str, Any] | None = None) -> Resolver:
        """Everything for a file, or with `only` (one alarm) just its device and customer."""
        device_query = Device.select(Device.id, Device.serial_number, Device.customer)
        service_condition = (PhoneService.centre == centre_id) & (
            PhoneService.centre_customer_id != ""
        )
        if only is not None:
            serial = str(only.get("device_serial") or "").strip().upper()
            device_query = device_query.where(Device.serial_number == serial)
            service_condition &= (
                PhoneService.centre_customer_id == str(only.get("centre_customer_id") or "").strip()
            )
        devices = {d["serial_number"]: (d["id"], d["customer"]) for d in await device_query}
        services = (
            await PhoneService.select(PhoneService.customer, PhoneService.centre_customer_id)
            .where(service_condition)
            .order_by(PhoneService.start_date)
        )
        return cls(devices, {s["centre_customer_id"]: s["customer"] for s in services})


def _alarm_values(
    raw: dict[str, Any], centre_id: int, resolver: Resolver
) -> tuple[dict[str, Any] | None, list[str]]:
    """The columns of one alarm, or the problems that make it unusable."""
    problems: list[str] = []
    alarm_id = str(raw.get("alarm_id") or "").strip()
    if not alarm_id or len(alarm_id) > 64:
        problems.append("alarm_id is missing or longer than 64 characters")
    try:
        moment: dt.datetime | None = parse_moment(str(raw.get("time") or ""))
    except ValueError:
        moment = None
        problems.append(f"time {raw.get('time')!r} is not a time like 2026-11-23T14:30:00+02:00")
    kind = str(raw.get("kind") or "").strip().lower()
    if kind not in KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    visit = str(raw.get("visit_needed") or "").strip().lower()
    if visit not in TRUE | FALSE:
        problems.append(f"visit_needed {visit!r} is not yes or no")
    device_id, customer_id = _resolve_target(raw, resolver, problems)
    detail, outcome = str(raw.get("detail") or "").strip(), str(raw.get("outcome") or "").strip()
    if len(detail) > 100 or len(outcome) > 500:
        problems.append("detail (100) or outcome (500 characters) is too long")
    if problems:
        return None, problems
    return {
        "centre": centre_id,
        "centre_alarm_id": alarm_id,
        "occurred_at": moment,
        "customer": customer_id,
        "device": device_id,
        "kind": kind,
        "detail": detail,
        "outcome": outcome,
        "visit_needed": visit in TRUE,
    }, []


def _resolve_target(
    raw: dict[str, Any], resolver: Resolver, problems: list[str]
) -> tuple[int | None, int | None]:
    """The alarm's device and customer, from the device serial or the centre's customer id."""
    serial = str(raw.get("device_serial") or "").strip().upper()
    centre_customer = str(raw.get("centre_customer_id") or "").strip()
    device_id, customer_id = None, None
    if not serial and not centre_customer:
        problems.append("give device_serial or centre_customer_id")
    if serial:
        if serial not in resolver.devices:
            problems.append(f"no device has the serial number {serial!r}")
        else:
            device_id, customer_id = resolver.devices[serial]
    if centre_customer:
        if centre_customer not in resolver.customers:
            problems.append(f"no customer has the alarm centre's id {centre_customer!r}")
        else:
            customer_id = resolver.customers[centre_customer]
    return device_id, customer_id


def read_csv(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of an alarm CSV (comma or semicolon separated, header row first)."""
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in ("alarm_id", "time", "kind") if c not in (reader.fieldnames or [])]
    if missing:
        return [], [
            f"the header row lacks the columns: {', '.join(missing)} "
            f"(expected {', '.join(CSV_COLUMNS)})"
        ]
    return list(reader), []


# -- storing ------------------------------------------------------------------------------------


async def import_alarms(
    actor: Actor, centre_id: int, rows: Iterable[dict[str, Any]]
) -> ImportResult:
    """Store new alarms; the whole batch is refused if any row is malformed.

    Alarms already stored (same centre and centre's alarm id) are skipped, so re-importing a
    file adds nothing twice. Call inside one transaction.
    """
    if not await AlarmCentre.exists().where(AlarmCentre.id == centre_id):
        raise ValidationFailed({"centre": N_("Choose one of the alarm centres.")})
    resolver = await Resolver.load(centre_id)
    result, values = ImportResult(), []
    for line, raw in enumerate(rows, start=2):
        result.rows += 1
        alarm, problems = _alarm_values(raw, centre_id, resolver)
        if alarm is None:
            result.errors.extend(f"row {line}: {p}" for p in problems)
        else:
            values.append(alarm)
        if len(result.errors) >= 50:
            result.errors.append("… stopped after 50 problems")
            break
    if result.errors:
        return result
    new = await _insert_new(values)
    result.added = len(new)
    result.tasks = await _technical_tasks(actor, new)
    await audit.record(
        actor, "import", "sp_alarm", centre_id, after={"rows": result.rows, "added": result.added}
    )
    return result


async def _insert_new(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert alarms, skipping those already stored; returns the new ones."""
    columns = (Alarm.centre, Alarm.centre_alarm_id, Alarm.occurred_at, Alarm.customer,
               Alarm.device, Alarm.kind, Alarm.detail, Alarm.outcome,
               Alarm.visit_needed)  # fmt: skip
    names = [c._meta.name for c in columns]
    return await insert_rows(
        Alarm,
        columns,
        [[v[name] for name in names] for v in values],
        skip_conflicts=True,
        returning=(Alarm.id, Alarm.kind, Alarm.detail, Alarm.device, Alarm.customer),
    )


async def _technical_tasks(actor: Actor, alarms: list[dict[str, Any]]) -> int:
    """One inbox task per device and problem (e.g. low battery) among the new technical alarms.

    No second task while one for the same device and problem is still open in the inbox.
    """
    grouped: dict[tuple[int | None, int | None, str], int] = defaultdict(int)
    for alarm in alarms:
        if alarm["kind"] == "technical":
            grouped[(alarm["device"], alarm["customer"], alarm["detail"])] += 1
    if not grouped:
        return 0
    serials = {
        d["id"]: d["serial_number"]
        for d in await Device.select(Device.id, Device.serial_number).where(
            Device.id.is_in([k[0] for k in grouped if k[0]] or [0])
        )
    }
    open_tasks = (
        await Task.select(Task.customer, Task.payload)
        .where((Task.kind == TECHNICAL_ALARM.code) & (Task.status == "open"))
        .output(load_json=True)
    )
    already = {(t["customer"], t["payload"].get("device"), t["payload"].get("detail"))
               for t in open_tasks}  # fmt: skip
    created = 0
    for (device_id, customer_id, detail), count in grouped.items():
        serial = serials.get(device_id or 0, "")
        if (customer_id, serial, detail) in already:
            continue
        await create_task(
            actor,
            TECHNICAL_ALARM,
            gettext(
                "Technical alarm %(detail)s: device %(serial)s (%(count)s)",
                detail=detail or "–",
                serial=serial or "–",
                count=count,
            ),
            customer_id=customer_id,
            payload={"device": serial, "detail": detail, "count": count},
        )
        created += 1
    return created


async def receive_alarm(
    actor: Actor, centre_id: int, raw: dict[str, Any]
) -> tuple[int | None, bool]:
    """One alarm from the JSON endpoint: (its id, whether it was new). Raises ValidationFailed."""
    resolver = await Resolver.load(centre_id, only=raw)
    alarm, problems = _alarm_values(raw, centre_id, resolver)
    if alarm is None:
        raise ValidationFailed({"alarm": "; ".join(problems)})
    new = await _insert_new([alarm])
    if new:
        await _technical_tasks(actor, new)
        await audit.record(
            actor,
            "create",
            "sp_alarm",
            new[0]["id"],
            customer_id=alarm["customer"],
            after={"centre_alarm_id": alarm["centre_alarm_id"], "kind": alarm["kind"]},
        )
        return int(new[0]["id"]), True
    existing = (
        await Alarm.select(Alarm.id)
        .where((Alarm.centre == centre_id) & (Alarm.centre_alarm_id == alarm["centre_alarm_id"]))
        .first()
    )
    return (int(existing["id"]) if existing else None), False
