"""The security phone JSON API: the alarm centres' token-protected endpoint and read-only views."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.response import Response

from plugins.security_phones import alarms, customer_service, inventory, visits
from valvomo.api import (
    NotFound,
    RecordId,
    SystemActor,
    get_customer,
    record_view,
    require_user,
    transaction,
)

Req = Request[Any, Any, Any]


@dataclass
class AlarmIn:
    """One alarm as the alarm centre sends it; give `device_serial` or `centre_customer_id`."""

    alarm_id: str
    time: dt.datetime
    kind: str
    device_serial: str = ""
    centre_customer_id: str = ""
    detail: str = ""
    outcome: str = ""
    visit_needed: bool = False


@dataclass
class AlarmAccepted:
    id: int | None
    created: bool


@dataclass
class ApiError:
    status_code: int
    detail: str


@dataclass
class DeviceOut:
    id: int
    serial_number: str
    model: str
    kind: str
    status: str
    customer: int | None
    version: int


@dataclass
class DevicePageOut:
    items: list[DeviceOut]
    total: int
    page: int
    pages: int


@dataclass
class ServiceOut:
    customer_id: int
    service: dict[str, Any] | None
    devices: list[dict[str, Any]]
    calling_order: list[dict[str, Any]]
    keys: list[dict[str, Any]]


@dataclass
class AlarmOut:
    id: int
    centre_alarm_id: str
    occurred_at: dt.datetime
    kind: str
    detail: str
    outcome: str
    visit_needed: bool
    customer: int | None
    visited: bool


@dataclass
class AlarmPageOut:
    items: list[AlarmOut]
    total: int
    page: int
    pages: int


@dataclass
class VisitIn:
    """Times in ISO 8601 (with offset, or Helsinki local time); `version` when updating."""

    dispatched_at: str
    arrived_at: str = ""
    done_at: str = ""
    notes: str = ""
    version: int | None = None


@dataclass
class VisitOut:
    id: int
    alarm: int
    dispatched_at: dt.datetime
    arrived_at: dt.datetime | None
    done_at: dt.datetime | None
    notes: str
    version: int


def _visit_out(row: dict[str, Any]) -> VisitOut:
    return VisitOut(**{k: row[k] for k in VisitOut.__dataclass_fields__})


def _bearer(request: Req) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class AlarmCentreApi(Controller):
    path = "/api/security-phones/centres"
    tags = ["security phones"]
    opt = {"public": True, "exclude_from_csrf": True}  # the handler checks the centre's token

    @post(
        "/{centre_id:int}/alarms",
        opt={"public": True, "exclude_from_csrf": True},
        status_code=200,
    )
    async def receive_alarm(
        self, request: Req, centre_id: RecordId, data: AlarmIn
    ) -> Response[Any]:
        """Receive one alarm; authenticate with `Authorization: Bearer <the centre's token>`.

        401 without a valid token, 403 with another centre's token, 400 for a malformed alarm
        or an unknown device. Sending the same alarm again answers 200 with `created: false`.
        """
        try:
            centre = await alarms.check_centre_token(centre_id, _bearer(request))
        except alarms.TokenRefused as refused:
            return Response(
                ApiError(refused.status_code, str(refused)), status_code=refused.status_code
            )
        row = {
            **asdict(data),
            "time": data.time.isoformat(),
            "visit_needed": "yes" if data.visit_needed else "no",
        }
        actor = SystemActor(full_name=f"Alarm centre {centre['name']}")
        async with transaction():
            alarm_id, created = await alarms.receive_alarm(actor, centre_id, row)
        return Response(AlarmAccepted(alarm_id, created), status_code=201 if created else 200)


class SecurityPhoneApi(Controller):
    path = "/api/security-phones"
    tags = ["security phones"]
    opt = {"permission": "security_phones.view"}

    @get("/devices")
    async def list_devices(
        self, status: str = "", kind: str = "", serial: str = "", page: int = 1
    ) -> DevicePageOut:
        """The device inventory, 50 a page, by serial number."""
        result = await inventory.list_devices(status, kind, serial[:50], min(page, 100_000))
        fields = DeviceOut.__dataclass_fields__
        return DevicePageOut(
            items=[DeviceOut(**{k: r[k] for k in fields}) for r in result.rows],
            total=result.total,
            page=result.page,
            pages=result.pages,
        )

    @get("/customers/{customer_id:int}")
    async def customer_service(self, request: Req, customer_id: RecordId) -> ServiceOut:
        """A customer's service, installed devices, calling order and keys with hand-overs."""
        await get_customer(customer_id)
        async with transaction():
            await record_view(require_user(request), customer_id, "security_phone_service")
        service = await customer_service.current_service(customer_id)
        return ServiceOut(
            customer_id=customer_id,
            service=customer_service.service_values(service) or None,
            devices=await customer_service.installed_devices(customer_id),
            calling_order=[
                c for c in await customer_service.calling_order(customer_id) if c["position"]
            ],
            keys=await customer_service.keys_with_handovers(customer_id),
        )

    @get("/alarms", opt={"permission": "security_phones.visits"})
    async def list_alarms(self, waiting: bool = False, page: int = 1) -> AlarmPageOut:
        """Alarms newest first, 50 a page; `waiting=true` keeps those still waiting for a visit."""
        result = await visits.list_alarms(waiting_only=waiting, page=min(page, 100_000))
        return AlarmPageOut(
            items=[
                AlarmOut(
                    id=r["id"],
                    centre_alarm_id=r["centre_alarm_id"],
                    occurred_at=r["occurred_at"],
                    kind=r["kind"],
                    detail=r["detail"],
                    outcome=r["outcome"],
                    visit_needed=r["visit_needed"],
                    customer=r["customer"],
                    visited=r["visit"] is not None,
                )
                for r in result.rows
            ],
            total=result.total,
            page=result.page,
            pages=result.pages,
        )

    @get("/alarms/{alarm_id:int}/visit", opt={"permission": "security_phones.visits"})
    async def get_visit(self, request: Req, alarm_id: RecordId) -> VisitOut | None:
        """The visit recorded for an alarm, or null."""
        alarm = await visits.get_alarm(alarm_id)
        if alarm["customer"]:
            async with transaction():
                await record_view(require_user(request), alarm["customer"], "security_phone_alarm")
        visit = await visits.get_visit(alarm_id)
        return _visit_out(visit) if visit else None

    @put("/alarms/{alarm_id:int}/visit", opt={"permission": "security_phones.visits"})
    async def save_visit(self, request: Req, alarm_id: RecordId, data: VisitIn) -> VisitOut:
        """Record the visit of an alarm, or update it with the `version` last read (409: stale)."""
        async with transaction():
            await visits.save_visit(require_user(request), alarm_id, data.version, asdict(data))
            visit = await visits.get_visit(alarm_id)
        if visit is None:  # deleted with its alarm in the meantime
            raise NotFound(f"alarm {alarm_id}")
        return _visit_out(visit)


CONTROLLERS = [AlarmCentreApi, SecurityPhoneApi]
