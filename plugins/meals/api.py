"""The meals JSON API: services, openings, production and delivery lists, billing lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get, post

from plugins.meals import billing, lists, reports, services
from plugins.meals.codes import effective
from plugins.meals.list_views import parse_day
from plugins.meals.report_views import parse_month
from plugins.meals.scope import scoped_kitchen, scoped_route
from plugins.meals.settings import current
from plugins.meals.tables import MealException, MealOrderLine, MealPause
from valvomo.api import (
    Day,
    Month,
    OptionalRecordId,
    RecordId,
    record_view,
    record_views,
    require_user,
    transaction,
)

Req = Request[Any, Any, Any]
PAGE_SIZE = 50


@dataclass
class OpeningRequest:
    customer_id: int
    start_date: str
    requested_meals: str
    diet: str = ""  # one diet code; or the three lists below
    diets: list[str] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)
    texture: str = ""
    door_notes: str = ""
    decided_on: str = ""
    decision_maker: str = ""
    basis: str = ""


@dataclass
class OrderLineOut:
    weekday: int
    product: str
    quantity: int
    delivery_weekday: int
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass
class MealServiceOut:
    id: int
    customer_id: int
    status: str
    start_date: dt.date
    end_date: dt.date | None
    diet: str
    kitchen_id: int | None
    route_id: int | None
    route_stop: int
    door_notes: str
    version: int
    order_lines: list[OrderLineOut] = field(default_factory=list)
    pauses: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ProductionCount:
    product: str
    diet: str
    meals: int


@dataclass
class DeliveryStop:
    route_stop: int
    customer_id: int
    name: str
    address: str
    door_notes: str
    diet: str
    meals: dict[str, int]
    meal_days: list[dt.date]


@dataclass
class BillingLineOut:
    customer_id: int
    product: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    detail: str


async def _service_out(service_id: int) -> MealServiceOut:
    row = await services.get_service(service_id)
    lines = await MealOrderLine.select().where(MealOrderLine.service == service_id)
    pauses = await MealPause.select(
        MealPause.id, MealPause.start_date, MealPause.end_date, MealPause.reason
    ).where(MealPause.service == service_id)
    exceptions = await MealException.select(
        MealException.id,
        MealException.day,
        MealException.kind,
        MealException.product,
        MealException.quantity,
        MealException.note,
    ).where(MealException.service == service_id)
    return MealServiceOut(
        id=row["id"],
        customer_id=row["customer"],
        status=row["status"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        diet=row["diet"],
        kitchen_id=row["kitchen"],
        route_id=row["route"],
        route_stop=row["route_stop"],
        door_notes=row["door_notes"],
        version=row["version"],
        order_lines=[
            OrderLineOut(
                ln["weekday"],
                ln["product"],
                ln["quantity"],
                ln["delivery_weekday"],
                ln["valid_from"],
                ln["valid_to"],
            )
            for ln in lines
        ],
        pauses=pauses,
        exceptions=exceptions,
    )


@dataclass
class PauseRequest:
    version: int
    start_date: str
    reason: str
    end_date: str = ""


@dataclass
class ReactivateRequest:
    version: int
    resume_date: str


@dataclass
class EndingRequest:
    version: int
    end_date: str
    ending_reason: str


@dataclass
class DecisionRequest:
    """The formal decision on an ending; dates as YYYY-MM-DD. `effective_date` (the last day of
    meals) defaults to the requested end date."""

    version: int
    decided_on: str = ""
    decision_maker: str = ""
    basis: str = ""
    effective_date: str = ""


@dataclass
class ExceptionRequest:
    day: str
    kind: str
    product: str = ""
    quantity: int = 0
    note: str = ""


@dataclass
class ServiceSummary:
    id: int
    customer_id: int
    customer: str
    status: str
    start_date: dt.date
    end_date: dt.date | None


@dataclass
class ServicePage:
    total: int
    page: int
    services: list[ServiceSummary]


@dataclass
class DeviationOut:
    date: dt.date
    customer_id: int
    customer: str
    kind: str
    details: str


@dataclass
class TransportOut:
    kitchen: str
    route: str
    customers: int
    deliveries: int
    meals: int


class MealApi(Controller):
    path = "/api/meals"
    tags = ["meals"]
    opt = {"permission": "meals.view"}

    @get("/services/{service_id:int}", opt={"permission": "meals.view"})
    async def get_service(self, request: Req, service_id: RecordId) -> MealServiceOut:
        out = await _service_out(service_id)
        async with transaction():
            await record_view(require_user(request), out.customer_id, "meals")
        return out

    @get("/services", opt={"permission": "meals.manage"})
    async def list_services(
        self,
        status: str = "",
        kitchen: OptionalRecordId = 0,
        route: OptionalRecordId = 0,
        page: int = 1,
    ) -> ServicePage:
        """Services by customer name, filtered by status, kitchen or route, 50 a page."""
        page = max(1, min(page, 100_000))
        filters = services.ServiceFilter(status, kitchen, route)
        total, rows = await services.list_services(filters, page, PAGE_SIZE)
        return ServicePage(
            total,
            page,
            [
                ServiceSummary(
                    r["id"],
                    r["customer"],
                    f"{r['customer.last_name']} {r['customer.first_name']}",
                    r["status"],
                    r["start_date"],
                    r["end_date"],
                )
                for r in rows
            ],
        )

    @post("/services/{service_id:int}/pause", opt={"permission": "meals.manage"}, status_code=200)
    async def pause(self, request: Req, service_id: RecordId, data: PauseRequest) -> MealServiceOut:
        async with transaction():
            await services.pause_service(
                require_user(request), service_id, data.version, asdict(data)
            )
        return await _service_out(service_id)

    @post(
        "/services/{service_id:int}/reactivate", opt={"permission": "meals.manage"}, status_code=200
    )
    async def reactivate(
        self, request: Req, service_id: RecordId, data: ReactivateRequest
    ) -> MealServiceOut:
        async with transaction():
            await services.reactivate_service(
                require_user(request), service_id, data.version, asdict(data)
            )
        return await _service_out(service_id)

    @post(
        "/services/{service_id:int}/exceptions", opt={"permission": "meals.manage"}, status_code=201
    )
    async def add_exception(
        self, request: Req, service_id: RecordId, data: ExceptionRequest
    ) -> MealServiceOut:
        async with transaction():
            await services.add_exception(require_user(request), service_id, asdict(data), current())
        return await _service_out(service_id)

    @post("/services/{service_id:int}/ending", opt={"permission": "meals.manage"}, status_code=200)
    async def request_ending(
        self, request: Req, service_id: RecordId, data: EndingRequest
    ) -> MealServiceOut:
        async with transaction():
            await services.request_ending(
                require_user(request), service_id, data.version, asdict(data)
            )
        return await _service_out(service_id)

    @post("/services/{service_id:int}/decision", opt={"permission": "meals.open"}, status_code=200)
    async def decide(
        self, request: Req, service_id: RecordId, data: DecisionRequest
    ) -> MealServiceOut:
        async with transaction():
            await services.decide_ending(
                require_user(request), service_id, data.version, asdict(data)
            )
        return await _service_out(service_id)

    @post("/openings", opt={"permission": "meals.open"}, status_code=201)
    async def open_service(self, request: Req, data: OpeningRequest) -> MealServiceOut:
        async with transaction():
            service_id = await services.open_service(
                require_user(request), data.customer_id, asdict(data), await effective()
            )
        return await _service_out(service_id)

    @get("/kitchens/{kitchen_id:int}/production", opt={"permission": "meals.lists"})
    async def production(
        self, request: Req, kitchen_id: RecordId, day: Day = ""
    ) -> list[ProductionCount]:
        await scoped_kitchen(require_user(request), kitchen_id)
        counts = await lists.production_list(kitchen_id, parse_day(day), current())
        return [ProductionCount(p, d, n) for (p, d), n in counts.items()]

    @get("/routes/{route_id:int}/deliveries", opt={"permission": "meals.lists"})
    async def deliveries(
        self, request: Req, route_id: RecordId, day: Day = ""
    ) -> list[DeliveryStop]:
        await scoped_route(require_user(request), route_id)
        stops = await lists.route_delivery_list(route_id, parse_day(day), current())
        async with transaction():
            await record_views(
                require_user(request), (s.customer_id for s in stops), "meal_route_list"
            )
        return [
            DeliveryStop(
                s.route_stop,
                s.customer_id,
                s.name,
                s.address,
                s.door_notes,
                s.diet,
                s.meals,
                s.meal_days,
            )
            for s in stops
        ]

    @get("/billing-lines", opt={"permission": "meals.reports"})
    async def billing_lines(self, request: Req, month: Month = "") -> list[BillingLineOut]:
        period = parse_month(month)
        lines = await billing.billing_lines(period, current())
        customer_ids = (ln.customer_id for ln in lines)
        await reports.record_report_view(
            require_user(request), "billing", period, customer_ids, "json"
        )
        return [
            BillingLineOut(
                ln.customer_id,
                ln.product,
                ln.description,
                ln.quantity,
                ln.unit_price,
                ln.amount,
                ln.detail,
            )
            for ln in lines
        ]

    @get("/reports/deviations", opt={"permission": "meals.reports"})
    async def deviations(self, request: Req, month: Month = "") -> list[DeviationOut]:
        period = parse_month(month)
        rows = await reports.deviations(period)
        customer_ids = (r["customer_id"] for r in rows)
        await reports.record_report_view(
            require_user(request), "deviations", period, customer_ids, "json"
        )
        fields = ("date", "customer_id", "customer", "kind", "details")
        return [DeviationOut(**{name: row[name] for name in fields}) for row in rows]

    @get("/reports/transport", opt={"permission": "meals.reports"})
    async def transport(self, month: Month = "") -> list[TransportOut]:
        rows = await reports.transport(parse_month(month), current())
        return [TransportOut(**row) for row in rows]


CONTROLLERS = [MealApi]
