"""Meal pages: service pages and forms, kitchen and route lists, the biller's reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from core.common.clock import today
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.common.pagination import page_count
from core.customers.services import get_customer, record_view
from core.db import transaction
from core.i18n import N_, gettext
from core.identity.guards import require_user
from core.identity.services import CurrentUser
from core.web.pages import form_data, int_field, render, render_conflict
from plugins.meals import lists, services
from plugins.meals.forms import order_form_values
from plugins.meals.list_views import MealListPages
from plugins.meals.place_views import KitchenPages
from plugins.meals.report_views import MealReportPages
from plugins.meals.settings import MealSettings, current
from plugins.meals.tables import MealException, MealOrderLine, MealPause

Req = Request[Any, Any, Any]
PAGE_SIZE = 50
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
# action → (permission, statuses in which the form is offered)
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "complete": ("meals.manage", ("opening_requested",)),
    "order": ("meals.manage", ("active", "paused", "ending_requested")),
    "delivery": ("meals.manage", ("active", "paused", "ending_requested")),
    "exception": ("meals.manage", ("active", "paused", "ending_requested")),
    "pause": ("meals.manage", ("active", "ending_requested")),
    "reactivate": ("meals.manage", ("paused",)),
    "end": ("meals.manage", ("active", "paused")),
    "decide": ("meals.open", ("ending_requested",)),
}

ACTION_LABELS = {
    "complete": N_("Complete the opening"),
    "order": N_("Change the weekly order"),
    "delivery": N_("Change kitchen, route or diet"),
    "exception": N_("Add an exception"),
    "pause": N_("Pause"),
    "reactivate": N_("Reactivate"),
    "end": N_("End the service"),
    "decide": N_("Decide on the ending"),
}


async def customer_panel_context(customer_id: int) -> dict[str, Any]:
    service = await services.current_service(customer_id)
    return {"customer_id": customer_id, "service": service, "statuses": services.STATUSES}


async def _current_lines(service_id: int, day: dt.date) -> list[dict[str, Any]]:
    running = (MealOrderLine.valid_to.is_null()) | (MealOrderLine.valid_to >= day)
    return (
        await MealOrderLine.select()
        .where((MealOrderLine.service == service_id) & running)
        .order_by(MealOrderLine.valid_from)
        .order_by(MealOrderLine.weekday)
    )


async def _service_context(service_id: int) -> dict[str, Any]:
    service = await services.get_service(service_id)
    lines = (
        await MealOrderLine.select()
        .where(MealOrderLine.service == service_id)
        .order_by(MealOrderLine.valid_from, ascending=False)
    )
    return {
        "service": service,
        "customer": await get_customer(service["customer"]),
        "lines": lines,
        "pauses": await MealPause.select()
        .where(MealPause.service == service_id)
        .order_by(MealPause.start_date, ascending=False),
        "exceptions": await MealException.select()
        .where(MealException.service == service_id)
        .order_by(MealException.day, ascending=False),
        "kitchen_names": {k["id"]: k["name"] for k in await lists.kitchens()},
        "route_names": {
            r["id"]: f"{r['kitchen.name']} – {r['name']}" for r in await lists.routes()
        },
    }


def _common(settings: MealSettings) -> dict[str, Any]:
    return {
        "action_labels": ACTION_LABELS,
        "exception_kind_options": [(k, gettext(v)) for k, v in services.EXCEPTION_KINDS.items()],
        "settings": settings,
        "statuses": services.STATUSES,
        "weekdays": list(enumerate(WEEKDAY_NAMES)),
        "exception_kinds": services.EXCEPTION_KINDS,
        "actions": ACTIONS,
    }


class MealServicePages(Controller):
    path = "/meals"
    include_in_schema = False
    opt = {"permission": "meals.view"}

    @get("/services", opt={"permission": "meals.manage"})
    async def list_services(self, request: Req, status: str = "", page: int = 1) -> Template:
        page = max(1, page)
        total, rows = await services.list_services(status, page, PAGE_SIZE)
        return render(
            request,
            "meals/services.html",
            rows=rows,
            status=status,
            page=page,
            pages=page_count(total, PAGE_SIZE),
            total=total,
            **_common(current()),
        )

    @get("/customers/{customer_id:int}/open", opt={"permission": "meals.open"})
    async def opening_form(self, request: Req, customer_id: int) -> Template:
        customer = await get_customer(customer_id)
        values = {"start_date": today().isoformat(), "diet": "normal"}
        return self._opening(request, customer, values, {})

    @post("/customers/{customer_id:int}/open", opt={"permission": "meals.open"})
    async def open_service(self, request: Req, customer_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                service_id = await services.open_service(
                    require_user(request), customer_id, data, current()
                )
        except ValidationFailed as exc:
            return self._opening(request, await get_customer(customer_id), data, exc.errors, 400)
        return Redirect(path=f"/meals/services/{service_id}")

    def _opening(
        self,
        request: Req,
        customer: Any,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "meals/open.html",
            status_code=status,
            customer=customer,
            values=values,
            errors=errors,
            **_common(current()),
        )

    @get("/services/{service_id:int}")
    async def service_page(self, request: Req, service_id: int) -> Template:
        context = await _service_context(service_id)
        async with transaction():
            await record_view(require_user(request), context["service"]["customer"], "meals")
        return render(request, "meals/service.html", **context, **_common(current()))

    @get("/services/{service_id:int}/{action:str}")
    async def action_form(self, request: Req, service_id: int, action: str) -> Template:
        user = self._allowed(request, action)
        context = await _service_context(service_id)
        async with transaction():
            await record_view(user, context["service"]["customer"], "meals")
        values = {**context["service"], "version": context["service"]["version"]}
        if action in ("order", "complete"):
            values.update(order_form_values(await _current_lines(service_id, today())))
            values["valid_from"] = max(today(), context["service"]["start_date"]).isoformat()
        return self._action_page(request, action, context, values, {})

    @post("/services/{service_id:int}/{action:str}")
    async def submit_action(self, request: Req, service_id: int, action: str) -> Response[Any]:
        user = self._allowed(request, action)
        data = await form_data(request)
        work = self._work(user, service_id, action, data)
        try:
            async with transaction():
                await work()
        except ValidationFailed as exc:
            context = await _service_context(service_id)
            return self._action_page(request, action, context, data, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request,
                exc,
                f"/meals/services/{service_id}/{action}",
                sorted(k for k in data if k != "version"),
            )
        return Redirect(path=f"/meals/services/{service_id}")

    @post(
        "/services/{service_id:int}/exceptions/{exception_id:int}/delete",
        opt={"permission": "meals.manage"},
    )
    async def remove_exception(self, request: Req, service_id: int, exception_id: int) -> Redirect:
        async with transaction():
            await services.remove_exception(require_user(request), service_id, exception_id)
        return Redirect(path=f"/meals/services/{service_id}")

    @staticmethod
    def _allowed(request: Req, action: str) -> CurrentUser:
        user = require_user(request)
        if action not in ACTIONS or not user.can(ACTIONS[action][0]):
            raise NotFound(action)
        return user

    @staticmethod
    def _work(
        user: CurrentUser, service_id: int, action: str, data: dict[str, Any]
    ) -> Callable[[], Awaitable[Any]]:
        settings, version, sid = current(), int_field(data, "version"), service_id
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "complete": lambda: services.complete_opening(user, sid, version, data, settings),
            "order": lambda: services.change_order(user, sid, version, data, settings),
            "delivery": lambda: services.update_delivery(user, sid, version, data, settings),
            "exception": lambda: services.add_exception(user, sid, data, settings),
            "pause": lambda: services.pause_service(user, sid, version, data),
            "reactivate": lambda: services.reactivate_service(user, sid, version, data),
            "end": lambda: services.request_ending(user, sid, version, data),
            "decide": lambda: services.decide_ending(user, sid, version),
        }
        return calls[action]

    @staticmethod
    def _action_page(
        request: Req,
        action: str,
        context: dict[str, Any],
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "meals/action.html",
            status_code=status,
            action=action,
            values=values,
            errors=errors,
            kitchens_list=context["kitchen_names"],
            routes_list=context["route_names"],
            **context,
            **_common(current()),
        )


CONTROLLERS: list[type[Controller]] = [
    MealServicePages,
    MealListPages,
    MealReportPages,
    KitchenPages,
]
