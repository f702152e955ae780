"""Kitchens and their delivery routes: list and add (coordinator and administrator)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from core.common.errors import ValidationFailed
from core.db import transaction
from core.identity.guards import require_user
from core.web.pages import form_data, int_field, render
from plugins.meals import lists, places

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
                await places.create_kitchen(require_user(request), str(data.get("name", "")))
        except ValidationFailed as exc:
            return await self._page(
                request,
                {"kitchen_name": data.get("name")},
                {"kitchen_name": exc.errors.get("name", "")},
                400,
            )
        return Redirect(path="/meals/kitchens")

    @post("/routes")
    async def add_route(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                await places.create_route(
                    require_user(request), int_field(data, "kitchen"), str(data.get("name", ""))
                )
        except ValidationFailed as exc:
            errors = {("route_name" if k == "name" else k): v for k, v in exc.errors.items()}
            values = {"kitchen": data.get("kitchen"), "route_name": data.get("name")}
            return await self._page(request, values, errors, 400)
        return Redirect(path="/meals/kitchens")

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
        )
