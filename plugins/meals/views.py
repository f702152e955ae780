"""Meal pages: service pages and forms, kitchen and route lists, the biller's reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from plugins.meals import change_reports, decisions, diets, forms, lists, services
from plugins.meals.code_views import MealCodePages
from plugins.meals.codes import effective
from plugins.meals.forms import WEEKDAY_NAMES, order_form_values
from plugins.meals.list_views import MealListPages
from plugins.meals.place_views import KitchenPages
from plugins.meals.report_views import MealReportPages, parse_month
from plugins.meals.settings import MealSettings
from plugins.meals.tables import (
    DeliveryRoute,
    Kitchen,
    MealException,
    MealOrderLine,
    MealPause,
)
from valvomo.api import (
    N_,
    CurrentUser,
    NotFound,
    Undo,
    ValidationFailed,
    VersionConflict,
    fmt_date,
    form_data,
    get_customer,
    gettext,
    int_field,
    is_confirmed,
    page_count,
    parse_form,
    record_view,
    redirect_with_notice,
    render,
    render_confirmation,
    render_conflict,
    require_user,
    runtime_of,
    today,
    transaction,
)

Req = Request[Any, Any, Any]
PAGE_SIZE = 50
# action → (permission, statuses in which the form is offered)
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "complete": ("meals.manage", ("opening_requested",)),
    "order": ("meals.manage", ("active", "paused", "ending_requested")),
    "delivery": ("meals.manage", ("active", "paused", "ending_requested")),
    "diet": ("meals.manage", diets.CHANGEABLE),
    "exception": ("meals.manage", ("active", "paused", "ending_requested")),
    "pause": ("meals.manage", ("active", "ending_requested")),
    "reactivate": ("meals.manage", ("paused",)),
    "end": ("meals.manage", ("active", "paused")),
    "decide": ("meals.open", ("ending_requested",)),
    "report": ("meals.report_change", change_reports.REPORTABLE),
}

ACTION_LABELS = {
    "complete": N_("Complete the opening"),
    "order": N_("Change the weekly order"),
    "delivery": N_("Change kitchen or route"),
    "diet": N_("Change diets from a date"),
    "exception": N_("Add an exception"),
    "pause": N_("Pause"),
    "reactivate": N_("Reactivate"),
    "end": N_("End the service"),
    "decide": N_("Decide on the ending"),
    "report": N_("Report a change"),
}
ACTION_NOTICES = {
    "complete": N_("The opening was completed; the service is active."),
    "order": N_("The new weekly order was saved."),
    "delivery": N_("Kitchen and route were saved."),
    "diet": N_("The diets were saved; the kitchens' lists show them from the date given."),
    "exception": N_("The exception was saved."),
    "pause": N_("The pause was saved."),
    "reactivate": N_("The service was reactivated."),
    "end": N_("The ending was sent to client guidance for a decision."),
    "decide": N_("The decision was saved and the customer's notice prepared."),
    "report": N_("The change was reported to the meal coordinator."),
}


async def customer_panel_context(customer_id: int) -> dict[str, Any]:
    service = await services.current_service(customer_id)
    status_text = ""
    if service is not None:
        label, variables = services.status_label(service, today())
        status_text = gettext(label, **{k: fmt_date(v) for k, v in variables.items()})
    return {"customer_id": customer_id, "service": service, "status_text": status_text}


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
    label, label_vars = services.status_label(service, today())
    settings = await effective()
    diet_history = await diets.history(service, settings)
    return {
        "service": service,
        "diet_history": diet_history,
        "diet_now": next((d for d in diet_history if d["valid_from"] <= today()), None),
        "status_text": gettext(label, **{k: fmt_date(v) for k, v in label_vars.items()}),
        "decisions": await decisions.decisions_of(service_id),
        "reports": await change_reports.reports_of(service_id),
        "customer": await get_customer(service["customer"]),
        "lines": lines,
        "pauses": await MealPause.select()
        .where(MealPause.service == service_id)
        .order_by(MealPause.start_date, ascending=False),
        "exceptions": await MealException.select()
        .where(MealException.service == service_id)
        .order_by(MealException.day, ascending=False),
        **await _place_names(service),
        **_common(settings),
    }


async def _place_names(service: dict[str, Any]) -> dict[str, dict[int, str]]:
    """The names of the service's own kitchen and route (all of them only where a form
    offers them: see `_action_page`)."""
    kitchen = await Kitchen.select(Kitchen.id, Kitchen.name).where(
        Kitchen.id == (service["kitchen"] or 0)
    )
    route = await DeliveryRoute.select(
        DeliveryRoute.id, DeliveryRoute.name, DeliveryRoute.kitchen.name
    ).where(DeliveryRoute.id == (service["route"] or 0))
    return {
        "kitchen_names": {k["id"]: k["name"] for k in kitchen},
        "route_names": {r["id"]: f"{r['kitchen.name']} – {r['name']}" for r in route},
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
        "decision_kinds": decisions.KINDS,
        "report_kinds": change_reports.KINDS,
        "report_channels": change_reports.CHANNELS,
        "report_statuses": change_reports.STATUSES,
        "report_kind_options": [(k, gettext(v)) for k, v in change_reports.KINDS.items()],
        "report_channel_options": [(k, gettext(v)) for k, v in change_reports.CHANNELS.items()],
    }


class MealServicePages(Controller):
    path = "/meals"
    include_in_schema = False
    opt = {"permission": "meals.view"}

    @get("/services", opt={"permission": "meals.manage"})
    async def list_services(
        self,
        request: Req,
        status: str = "",
        kitchen: int = 0,
        route: int = 0,
        changed: str = "",
        page: int = 1,
        municipality: str = "",
        unit: str = "",
        month: str = "",
    ) -> Template:
        if unit:  # a kitchen by name, as the situational picture links to its customers
            kitchen = next((k["id"] for k in await lists.kitchens() if k["name"] == unit), -1)
        if municipality not in runtime_of(request).settings.municipalities:
            municipality = ""
        # a month: the services behind the situational picture's customers of that month
        during = parse_month(month).first_day if month else None
        filters = services.ServiceFilter(
            status, kitchen, route, changed == "week", "", municipality, during
        )
        return await self._services_page(request, filters, max(1, page))

    async def _services_page(
        self, request: Req, filters: services.ServiceFilter, page: int
    ) -> Template:
        total, rows = await services.list_services(filters, page, PAGE_SIZE)
        changed = "week" if filters.changed_this_week else ""
        month = filters.month.isoformat()[:7] if filters.month else ""
        params = urlencode({"status": filters.status, "kitchen": filters.kitchen or "",
                            "route": filters.route or "", "changed": changed,
                            "municipality": filters.municipality, "month": month})  # fmt: skip
        return render(
            request,
            "meals/services.html",
            rows=rows,
            filters=filters,
            kitchens=await lists.kitchens(),
            routes=await lists.routes(filters.kitchen) if filters.kitchen else [],
            municipalities=runtime_of(request).settings.municipalities,
            page=page,
            # A search answers its POST with its first page: the query never enters a URL.
            pages=1 if filters.query else page_count(total, PAGE_SIZE),
            total=total,
            pager_base=f"/meals/services?{params}&",
            **_common(await effective()),
        )

    @get("/customers/{customer_id:int}/open", opt={"permission": "meals.open"})
    async def opening_form(self, request: Req, customer_id: int) -> Template:
        customer = await get_customer(customer_id)
        values = {
            "start_date": today().isoformat(),
            "texture": "normal",
            "decided_on": today().isoformat(),
            "decision_maker": require_user(request).full_name,
        }
        return await self._opening(request, customer, values, {})

    @post("/customers/{customer_id:int}/open", opt={"permission": "meals.open"})
    async def open_service(self, request: Req, customer_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                service_id = await services.open_service(
                    require_user(request), customer_id, data, await effective()
                )
        except ValidationFailed as exc:
            return await self._opening(
                request, await get_customer(customer_id), data, exc.errors, 400
            )
        return redirect_with_notice(
            f"/meals/services/{service_id}", N_("The opening request was sent to the coordinator.")
        )

    async def _opening(
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
            **_common(await effective()),
        )

    @get("/services/{service_id:int}")
    async def service_page(self, request: Req, service_id: int) -> Template:
        context = await _service_context(service_id)
        async with transaction():
            await record_view(require_user(request), context["service"]["customer"], "meals")
        return render(request, "meals/service.html", **context)

    @get("/services/{service_id:int}/{action:str}")
    async def action_form(
        self, request: Req, service_id: int, action: str, report: int = 0
    ) -> Template:
        user = self._allowed(request, action)
        context = await _service_context(service_id)
        async with transaction():
            await record_view(user, context["service"]["customer"], "meals")
        service = context["service"]
        values = {**service, "version": service["version"]}
        if action in ("order", "complete"):
            values.update(order_form_values(await _current_lines(service_id, today())))
            values["valid_from"] = max(today(), service["start_date"]).isoformat()
        if action == "decide":
            values.update(decided_on=today().isoformat(), effective_date=service["end_date"])
        if action == "diet":
            values.update(await diets.form_values(service, today()))
        if action == "report":
            values = {"version": service["version"]}
        if report and user.can("meals.manage"):
            found = await change_reports.get_report(service_id, report)
            values.update(change_reports.prefill(found, action))
        return await self._action_page(request, action, context, values, {})

    @post("/services/{service_id:int}/{action:str}")
    async def submit_action(self, request: Req, service_id: int, action: str) -> Response[Any]:
        user = self._allowed(request, action)
        data = await form_data(request)
        work = self._work(user, service_id, action, data, await effective())
        report_id = int_field(data, "report") if user.can("meals.manage") else 0
        try:
            async with transaction():
                await work()
                if report_id and action != "report":
                    await change_reports.mark_handled(user, service_id, report_id, action)
        except ValidationFailed as exc:
            context = await _service_context(service_id)
            return await self._action_page(request, action, context, data, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request,
                exc,
                f"/meals/services/{service_id}/{action}",
                sorted(k for k in data if k != "version"),
            )
        return redirect_with_notice(f"/meals/services/{service_id}", ACTION_NOTICES[action])

    @post("/services/search", opt={"permission": "meals.manage"})
    async def search(self, request: Req) -> Response[Any]:
        """The customer search arrives by POST and is answered at once, so an identity code
        never enters a URL, a log line or the session."""
        data = await form_data(request)
        query = str(data.get("q", ""))[:100].strip()
        if not query:
            return Redirect(path="/meals/services")
        found = await services.matching_service_ids(query, limit=2)
        if len(found) == 1:  # found in one step
            return Redirect(path=f"/meals/services/{found[0]}")
        return await self._services_page(request, services.ServiceFilter("", 0, 0, False, query), 1)

    @get("/services/{service_id:int}/reports/{report_id:int}", opt={"permission": "meals.manage"})
    async def report_page(self, request: Req, service_id: int, report_id: int) -> Template:
        context = await _service_context(service_id)
        report = await change_reports.get_report(service_id, report_id)
        async with transaction():
            await record_view(require_user(request), context["service"]["customer"], "meals")
        return await self._report_page(request, context, report, {}, {})

    @post(
        "/services/{service_id:int}/reports/{report_id:int}/handled",
        opt={"permission": "meals.manage"},
    )
    async def report_handled(self, request: Req, service_id: int, report_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                handled = parse_form(forms.HandledForm, data)
                await change_reports.mark_handled(
                    require_user(request), service_id, report_id, "note", handled.outcome
                )
        except ValidationFailed as exc:
            context = await _service_context(service_id)
            report = await change_reports.get_report(service_id, report_id)
            return await self._report_page(request, context, report, data, exc.errors, 400)
        return redirect_with_notice(
            f"/meals/services/{service_id}", N_("The report was marked handled.")
        )

    async def _report_page(
        self,
        request: Req,
        context: dict[str, Any],
        report: dict[str, Any],
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        action = change_reports.ACTION_OF_KIND.get(report["kind"])
        allowed = action is not None and context["service"]["status"] in ACTIONS[action][1]
        return render(
            request,
            "meals/report.html",
            status_code=status,
            report=report,
            suggested_action=action if allowed else None,
            values=values,
            errors=errors,
            **context,
        )

    @get(
        "/services/{service_id:int}/decisions/{decision_id:int}/letter",
        media_type="application/pdf",
    )
    async def decision_letter(
        self, request: Req, service_id: int, decision_id: int
    ) -> Response[bytes]:
        decision = await decisions.get_decision(service_id, decision_id)
        service = await services.get_service(service_id)
        customer = await get_customer(service["customer"])
        async with transaction():
            await record_view(require_user(request), customer.id, "meal_decision")
        return decisions.NOTICES.letter_response(decision, customer)

    @post(
        "/services/{service_id:int}/exceptions/{exception_id:int}/delete",
        opt={"permission": "meals.manage"},
    )
    async def remove_exception(
        self, request: Req, service_id: int, exception_id: int
    ) -> Response[Any]:
        back = f"/meals/services/{service_id}"
        data = await form_data(request)
        if not is_confirmed(data):
            exception = await (
                MealException.select(MealException.day)
                .where((MealException.id == exception_id) & (MealException.service == service_id))
                .first()
            )
            if exception is None:
                raise NotFound(f"meal exception {exception_id}")
            return render_confirmation(
                request,
                title=N_("Remove the exception?"),
                message=N_(
                    "The exception on %(day)s will be removed; the day follows the weekly order."
                ),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Remove the exception"),
                cancel_href=back,
                day=exception["day"],
            )
        async with transaction():
            removed = await services.remove_exception(
                require_user(request), service_id, exception_id
            )
        # An ended service's exception can be removed but not added again: no undo to offer.
        service = await services.get_service(service_id)
        undo = _exception_undo(service_id, removed) if services.takes_exceptions(service) else None
        return redirect_with_notice(back, N_("The exception was removed."), undo=undo)

    @staticmethod
    def _allowed(request: Req, action: str) -> CurrentUser:
        user = require_user(request)
        if action not in ACTIONS or not user.can(ACTIONS[action][0]):
            raise NotFound(action)
        return user

    @staticmethod
    def _work(
        user: CurrentUser,
        service_id: int,
        action: str,
        data: dict[str, Any],
        settings: MealSettings,
    ) -> Callable[[], Awaitable[Any]]:
        version, sid = int_field(data, "version"), service_id
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "complete": lambda: services.complete_opening(user, sid, version, data, settings),
            "order": lambda: services.change_order(user, sid, version, data, settings),
            "delivery": lambda: services.update_delivery(user, sid, version, data, settings),
            "diet": lambda: diets.change_diet(user, sid, version, data, settings),
            "exception": lambda: services.add_exception(user, sid, data, settings),
            "pause": lambda: services.pause_service(user, sid, version, data),
            "reactivate": lambda: services.reactivate_service(user, sid, version, data),
            "end": lambda: services.request_ending(user, sid, version, data),
            "decide": lambda: services.decide_ending(user, sid, version, data),
            "report": lambda: change_reports.report_change(user, sid, data),
        }
        return calls[action]

    @staticmethod
    async def _action_page(
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
            kitchens_list={k["id"]: k["name"] for k in await lists.kitchens()},
            routes_list={
                r["id"]: f"{r['kitchen.name']} – {r['name']}" for r in await lists.routes()
            },
            **context,
        )


def _exception_undo(service_id: int, removed: dict[str, Any]) -> Undo:
    """The form that adds the removed exception again (the add form's own checks apply)."""
    fields = {
        "day": removed["day"].isoformat(),
        "kind": removed["kind"],
        "product": removed["product"] or "",
        "quantity": str(removed["quantity"] if removed["quantity"] is not None else ""),
        "note": removed["note"] or "",
    }
    return Undo(f"/meals/services/{service_id}/exception", fields)


CONTROLLERS: list[type[Controller]] = [
    MealServicePages,
    MealCodePages,
    MealListPages,
    MealReportPages,
    KitchenPages,
]
