"""Kitchens and their delivery routes: list and add (coordinator and administrator)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.meals import forms, lists, places, scope
from valvomo.api import (
    N_,
    ValidationFailed,
    form_data,
    is_confirmed,
    parse_form,
    redirect_with_notice,
    render,
    render_confirmation,
    require_user,
    transaction,
)

Req = Request[Any, Any, Any]


class KitchenPages(Controller):
    path = "/meals/kitchens"
    include_in_schema = False
    opt = {"permission": "meals.manage"}

    @get("/")
    async def kitchens(self, request: Req) -> Template:
        return await self._page(request, {}, {})

    @post("/")
    async def add_kitchen(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                kitchen = parse_form(forms.KitchenForm, data)
                await places.create_kitchen(require_user(request), kitchen.name)
        except ValidationFailed as exc:
            return await self._page(
                request,
                {"kitchen_name": data.get("name")},
                {"kitchen_name": exc.errors.get("name", "")},
                400,
            )
        return redirect_with_notice("/meals/kitchens", N_("The kitchen was added."))

    @post("/routes")
    async def add_route(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                route = parse_form(forms.DeliveryRouteForm, data)
                await places.create_route(require_user(request), route.kitchen, route.name)
        except ValidationFailed as exc:
            errors = {("route_name" if k == "name" else k): v for k, v in exc.errors.items()}
            values = {"kitchen": data.get("kitchen"), "route_name": data.get("name")}
            return await self._page(request, values, errors, 400)
        return redirect_with_notice("/meals/kitchens", N_("The delivery route was added."))

    @post("/staff")
    async def bind_staff(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                staff = parse_form(forms.KitchenStaffForm, data)
                await scope.bind_user(require_user(request), staff.staff_kitchen, staff.username)
        except ValidationFailed as exc:
            return await self._page(request, data, exc.errors, 400)
        return redirect_with_notice("/meals/kitchens", N_("The user was bound to the kitchen."))

    @post("/{kitchen_id:int}/staff/{binding_id:int}/remove")
    async def unbind_staff(self, request: Req, kitchen_id: int, binding_id: int) -> Response[Any]:
        data = await form_data(request)
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Remove the user from the kitchen?"),
                message=N_("The user no longer sees this kitchen's lists and customers."),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Remove"),
                cancel_href="/meals/kitchens",
            )
        async with transaction():
            await scope.unbind_user(require_user(request), kitchen_id, binding_id)
        return redirect_with_notice("/meals/kitchens", N_("The user was removed from the kitchen."))

    @staticmethod
    async def _page(
        request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        kitchens = await lists.kitchens()
        return render(
            request,
            "meals/kitchens.html",
            status_code=status,
            kitchens=kitchens,
            routes=await lists.routes(),
            values=values,
            errors=errors,
            kitchen_options=[(k["id"], k["name"]) for k in kitchens],
            staff=await scope.kitchen_staff(),
        )
