"""Kitchen production lists and route delivery lists: printable pages and CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Response, Template

from core.common.clock import today
from core.common.errors import NotFound, ValidationFailed
from core.common.exports import CONTENT_TYPES, Cell, to_csv
from core.customers.services import record_views
from core.db import transaction
from core.i18n import N_, gettext
from core.identity.guards import require_user
from core.web.pages import render
from plugins.meals import lists, services
from plugins.meals.forms import parse_date
from plugins.meals.settings import current
from plugins.meals.tables import DeliveryRoute, Kitchen

Req = Request[Any, Any, Any]


def parse_day(raw: str) -> dt.date:
    if not raw:
        return today()
    errors: dict[str, str] = {}
    day = parse_date({"day": raw}, "day", errors)
    if day is None:
        raise ValidationFailed(errors)
    return day


def _csv_response(content: bytes, filename: str) -> Response[bytes]:
    return Response(
        content,
        media_type=CONTENT_TYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class MealListPages(Controller):
    path = "/meals/lists"
    include_in_schema = False
    opt = {"permission": "meals.lists"}

    @get("/")
    async def index(self, request: Req) -> Template:
        return render(
            request,
            "meals/lists.html",
            kitchens=await lists.kitchens(),
            routes=await lists.routes(),
            day=today(),
        )

    @get("/kitchen")
    async def choose_kitchen(self, kitchen: int, day: str = "") -> Redirect:
        return Redirect(path=f"/meals/lists/kitchens/{kitchen}?day={parse_day(day).isoformat()}")

    @get("/route")
    async def choose_route(self, route: int, day: str = "") -> Redirect:
        return Redirect(path=f"/meals/lists/routes/{route}?day={parse_day(day).isoformat()}")

    @get("/kitchens/{kitchen_id:int}")
    async def production(
        self, request: Req, kitchen_id: int, day: str = "", format: str = "html"
    ) -> Response[Any]:
        kitchen = await Kitchen.select().where(Kitchen.id == kitchen_id).first()
        if kitchen is None:
            raise NotFound(f"kitchen {kitchen_id}")
        date, settings = parse_day(day), current()
        counts = await lists.production_list(kitchen_id, date, settings)
        if format == "csv":
            rows: list[list[Cell]] = [
                [settings.products.get(p, p), settings.diets.get(d, d), n]
                for (p, d), n in counts.items()
            ]
            headers = [gettext(h) for h in (N_("Meal product"), N_("Diet"), N_("Meals"))]
            return _csv_response(to_csv(headers, rows), f"production-{kitchen_id}-{date}.csv")
        return render(
            request,
            "meals/production.html",
            kitchen=kitchen,
            day=date,
            counts=counts,
            settings=settings,
            total=sum(counts.values()),
        )

    @get("/routes/{route_id:int}")
    async def deliveries(
        self, request: Req, route_id: int, day: str = "", format: str = "html"
    ) -> Response[Any]:
        route = (
            await DeliveryRoute.select(
                DeliveryRoute.id, DeliveryRoute.name, DeliveryRoute.kitchen.name
            )
            .where(DeliveryRoute.id == route_id)
            .first()
        )
        if route is None:
            raise NotFound(f"route {route_id}")
        date, settings = parse_day(day), current()
        stops = await lists.route_delivery_list(route_id, date, settings)
        async with transaction():
            # A delivery list shows each customer's address and key notes: one view per customer,
            # so that it appears in every listed customer's access log.
            await record_views(
                require_user(request), (s.customer_id for s in stops), "meal_route_list"
            )
        if format == "csv":
            headers = [
                gettext(h)
                for h in (
                    N_("Stop"),
                    N_("Customer"),
                    N_("Address"),
                    N_("Door and key notes"),
                    N_("Diet"),
                    N_("Meals"),
                )
            ]
            rows: list[list[Cell]] = [
                [
                    s.route_stop,
                    s.name,
                    s.address,
                    s.door_notes,
                    settings.diets.get(s.diet, s.diet),
                    ", ".join(f"{settings.products.get(p, p)} ×{n}" for p, n in s.meals.items()),
                ]
                for s in stops
            ]
            return _csv_response(to_csv(headers, rows), f"route-{route_id}-{date}.csv")
        changes = await lists.route_changes(route_id, date, stops, settings)
        return render(
            request,
            "meals/route.html",
            route=route,
            day=date,
            stops=stops,
            changes=changes,
            statuses_labels=services.STATUSES,
            settings=settings,
        )
