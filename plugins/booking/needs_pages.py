"""Needs-mapping pages: the region's admin writes question paths (setup), and citizens answer
them on the way to booking (public). Thin: parse, call needs.py, render."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.booking import needs, needs_form
from plugins.booking.tables import AppointmentType
from valvomo.api import (
    N_,
    ValidationFailed,
    VersionConflict,
    form_data,
    redirect_with_notice,
    render,
    render_conflict,
    require_user,
    transaction,
)

Req = Request[Any, Any, Any]
FIELDS = ["name", "definition", "active"]


class NeedsSetupPages(Controller):
    path = "/booking/setup/needs"
    include_in_schema = False
    opt = {"permission": "booking.manage"}

    @get("/")
    async def paths(self, request: Req) -> Template:
        return render(request, "booking/needs_paths.html", paths=await needs.list_paths())

    @get("/new")
    async def new_path(self, request: Req, view: str = "") -> Template:
        values = {"definition": needs.EXAMPLE, "active": "yes"}
        if view == "text":
            return self._form(request, values, {})
        return await self._structured(request, values, needs.EXAMPLE)

    @get("/{path_id:int}")
    async def edit_path(self, request: Req, path_id: int, view: str = "") -> Template:
        row = await needs.get_path(path_id)
        values = {**row, "active": "yes" if row["active"] else ""}
        if view == "text":
            return self._form(request, values, {})
        return await self._structured(request, values, row["definition"])

    async def _structured(
        self,
        request: Req,
        values: dict[str, Any],
        definition: str | None,
        errors: dict[str, str] | None = None,
        layout: needs_form.Layout | None = None,
        status: int = 200,
    ) -> Template:
        """The path as a form: stored paths (`definition`) get room for one more of each."""
        if definition is not None:
            fields, stored = needs_form.form_values(needs.parse(definition))
            values, layout = {**values, **fields}, stored.with_spares()
        assert layout is not None
        types = await _public_types()
        return render(
            request,
            "booking/needs_form.html",
            status_code=status,
            values=values,
            errors=errors or {},
            layout=layout,
            types=types.values(),
            modes=needs_form.MODES,
            languages=needs_form.LANGUAGES,
        )

    @post("/new")
    async def create_path(self, request: Req) -> Response[Any]:
        return await self._save(request, None)

    @post("/{path_id:int}")
    async def update_path(self, request: Req, path_id: int) -> Response[Any]:
        return await self._save(request, path_id)

    async def _save(self, request: Req, path_id: int | None) -> Response[Any]:
        data = await form_data(request)
        structured = any(needs_form.QUESTION_FIELD.match(key) for key in data)
        try:
            if structured:
                data, _ = needs_form.clean(data, await _public_types())
            async with transaction():
                saved = await needs.save_path(require_user(request), path_id, data)
        except ValidationFailed as exc:
            if structured:
                raw = {**await form_data(request), "id": path_id}
                layout = needs_form.layout_of(raw)
                return await self._structured(request, raw, None, exc.errors, layout, 400)
            return self._form(request, {**data, "id": path_id}, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(request, exc, f"/booking/setup/needs/{path_id}", FIELDS)
        return redirect_with_notice(f"/booking/setup/needs/{saved}", N_("The path was saved."))

    @staticmethod
    def _form(
        request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        return render(
            request,
            "booking/needs_text_form.html",
            status_code=status,
            values=values,
            errors=errors,
        )


async def _public_types() -> dict[str, dict[str, Any]]:
    """The types a path may lead to, by code."""
    rows = (
        await AppointmentType.select(
            AppointmentType.code, AppointmentType.name, AppointmentType.modes
        )
        .where(AppointmentType.public.eq(True))
        .order_by(AppointmentType.name)
        .output(load_json=True)
    )
    return {row["code"]: row for row in rows}


class NeedsPublicPages(Controller):
    path = "/book/needs"
    include_in_schema = False
    opt = {"public": True, "audience": "citizen"}

    @get("/")
    async def choose_path(self, request: Req) -> Template:
        return render(
            request, "booking/public_needs.html", paths=await needs.list_paths(True), step=None
        )

    @get("/{path_id:int}")
    async def step(self, request: Req, path_id: int, answers: str = "") -> Template:
        row = await needs.get_path(path_id, active_only=True)
        choices = needs.parse_choices(answers)
        step = needs.walk(needs.parse(row["definition"]), choices)
        chosen_type = None
        if step.type_code:
            chosen_type = (
                await AppointmentType.select().where(AppointmentType.code == step.type_code).first()
            )
        return render(
            request,
            "booking/public_needs.html",
            path=row,
            step=step,
            answers=".".join(str(c) for c in choices),
            chosen_type=chosen_type,
            text_in=needs.text_in,
        )
