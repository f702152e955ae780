"""Kitchen production lists and route delivery lists: printable pages and CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Response, Template

from plugins.meals import lists, services
from plugins.meals.codes import effective
from plugins.meals.forms import DayForm
from plugins.meals.scope import (
    in_scope,
    kitchen_scope,
    scoped_kitchen,
    scoped_kitchen_with_routes,
    scoped_route,
)
from plugins.meals.settings import current
from valvomo.api import (
    CONTENT_TYPES,
    N_,
    Cell,
    CurrentUser,
    fmt_phone,
    gettext,
    now,
    parse_form,
    record_views,
    render,
    require_user,
    session_data,
    set_session_data,
    to_csv,
    today,
    transaction,
)

Req = Request[Any, Any, Any]


KITCHEN_KEY = "meal_lists_kitchen"


def parse_day(raw: str, default: dt.date | None = None) -> dt.date:
    if not raw:
        return default or today()
    return parse_form(DayForm, {"day": raw}).day


async def _remember_kitchen(user: CurrentUser, kitchen_id: int) -> None:
    stored = await session_data(user.session_id or 0)
    if stored.get(KITCHEN_KEY) != kitchen_id:
        stored[KITCHEN_KEY] = kitchen_id
        await set_session_data(user.session_id or 0, stored)


async def _default_day(user: CurrentUser, raw: str) -> dt.date:
    """The asked day, else the next delivery day of the user's kitchens (kitchens cook ahead)."""
    return parse_day(raw) if raw else await _default_day_in(await kitchen_scope(user), raw)


async def _default_day_in(scope: frozenset[int] | None, raw: str) -> dt.date:
    """`_default_day` for a user whose `kitchen_scope` the caller has read."""
    if raw:
        return parse_day(raw)
    return await lists.next_delivery_day(scope, today(), current())


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
        user = require_user(request)
        scope = await kitchen_scope(user)
        kitchens = [k for k in await lists.kitchens() if in_scope(scope, k["id"])]
        remembered = (await session_data(user.session_id or 0)).get(KITCHEN_KEY)
        return render(
            request,
            "meals/lists.html",
            kitchens=kitchens,
            routes=[r for r in await lists.routes() if in_scope(scope, r["kitchen"])],
            kitchen_id=remembered if in_scope(scope, remembered or 0) else None,
            day=await lists.next_delivery_day(scope, today(), current()),
        )

    @get("/kitchen")
    async def choose_kitchen(self, request: Req, kitchen: int, day: str = "") -> Redirect:
        user = require_user(request)
        await scoped_kitchen(user, kitchen)
        date = (await _default_day(user, day)).isoformat()
        return Redirect(path=f"/meals/lists/kitchens/{kitchen}?day={date}")

    @get("/route")
    async def choose_route(self, request: Req, route: int, day: str = "") -> Redirect:
        user = require_user(request)
        await scoped_route(user, route)
        date = (await _default_day(user, day)).isoformat()
        return Redirect(path=f"/meals/lists/routes/{route}?day={date}")

    @get("/kitchens/{kitchen_id:int}")
    async def production(
        self, request: Req, kitchen_id: int, day: str = "", format: str = "html"
    ) -> Response[Any]:
        user = require_user(request)
        scope = await kitchen_scope(user)
        kitchen, kitchen_routes = await scoped_kitchen_with_routes(scope, kitchen_id)
        await _remember_kitchen(user, kitchen_id)
        date, settings = await _default_day_in(scope, day), await effective()
        if format == "csv":
            counts = await lists.production_list(kitchen_id, date, settings)
            rows: list[list[Cell]] = [
                [settings.products.get(p, p), settings.diet_label(d), n]
                for (p, d), n in counts.items()
            ]
            headers = [gettext(h) for h in (N_("Meal product"), N_("Diet"), N_("Meals"))]
            return _csv_response(to_csv(headers, rows), f"production-{kitchen_id}-{date}.csv")
        printout = await lists.kitchen_printout(kitchen_id, date, settings, kitchen_routes)
        return render(
            request,
            "meals/production.html",
            kitchen=kitchen,
            day=date,
            printout=printout,
            settings=settings,
            statuses_labels=services.STATUSES,
        )

    @get("/kitchens/{kitchen_id:int}/print")
    async def print_all(self, request: Req, kitchen_id: int, day: str = "") -> Template:
        """The production list and every route's delivery list of the day as one document."""
        user = require_user(request)
        kitchen = await scoped_kitchen(user, kitchen_id)
        await _remember_kitchen(user, kitchen_id)
        date, settings = await _default_day(user, day), await effective()
        printout = await lists.kitchen_printout(kitchen_id, date, settings)
        async with transaction():
            await record_views(
                user,
                (s.customer_id for sheet in printout.routes for s in sheet.stops),
                "meal_route_list",
            )
        return render(
            request,
            "meals/print_all.html",
            kitchen=kitchen,
            day=date,
            printout=printout,
            printed_at=now(),
            settings=settings,
            statuses_labels=services.STATUSES,
        )

    @get("/routes/{route_id:int}")
    async def deliveries(
        self, request: Req, route_id: int, day: str = "", format: str = "html"
    ) -> Response[Any]:
        user = require_user(request)
        route = await scoped_route(user, route_id)
        date, settings = await _default_day(user, day), await effective()
        stops = await lists.route_delivery_list(route_id, date, settings)
        async with transaction():
            # A delivery list shows each customer's address and key notes: one view per customer,
            # so that it appears in every listed customer's access log.
            await record_views(user, (s.customer_id for s in stops), "meal_route_list")
        if format == "csv":
            headers = [
                gettext(h)
                for h in (
                    N_("Stop"),
                    N_("Customer"),
                    N_("Address"),
                    N_("Phone"),
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
                    fmt_phone(s.phone),
                    s.door_notes,
                    settings.diet_label(s.diet),
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
            totals=lists.route_totals(stops),
            changes=changes,
            statuses_labels=services.STATUSES,
            settings=settings,
        )
