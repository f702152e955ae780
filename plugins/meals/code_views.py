"""Admin pages of the region's code lists: special diets, allergies and textures (coordinator
and administrator: `meals.manage`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.meals import codes
from valvomo.api import (
    N_,
    ValidationFailed,
    VersionConflict,
    form_data,
    int_field,
    is_confirmed,
    redirect_with_notice,
    render,
    render_confirmation,
    render_conflict,
    require_user,
    transaction,
)

Req = Request[Any, Any, Any]
BASE = "/meals/codes"


class MealCodePages(Controller):
    path = BASE
    include_in_schema = False
    opt = {"permission": "meals.manage"}

    @get("/")
    async def index(self, request: Req) -> Template:
        return render(
            request, "meals/codes.html", kinds=codes.KINDS, entries=await codes.all_entries()
        )

    @get("/{kind:str}")
    async def code_list(self, request: Req, kind: str) -> Template:
        return await self._list_page(request, codes.check_kind(kind), {}, {})

    @post("/{kind:str}")
    async def add(self, request: Req, kind: str) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                added = await codes.add(require_user(request), codes.check_kind(kind), data)
        except ValidationFailed as exc:
            return await self._list_page(request, kind, data, exc.errors, 400)
        return redirect_with_notice(
            f"{BASE}/{kind}", N_("%(name)s was added to the list."), name=added.name
        )

    @get("/{kind:str}/{code:str}")
    async def entry_page(self, request: Req, kind: str, code: str) -> Template:
        entry = await codes.entry(kind, code)
        return await self._entry_page(request, entry, entry.names, {})

    @post("/{kind:str}/{code:str}")
    async def rename(self, request: Req, kind: str, code: str) -> Response[Any]:
        data = await form_data(request)
        entry = await codes.entry(kind, code)
        try:
            async with transaction():
                renamed = await codes.rename(
                    require_user(request), kind, code, int_field(data, "version"), data
                )
        except ValidationFailed as exc:
            return await self._entry_page(request, entry, data, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request, exc, f"{BASE}/{kind}/{code}", ["label", "label_sv", "label_en"]
            )
        return redirect_with_notice(
            f"{BASE}/{kind}", N_("The name was changed to %(name)s."), name=renamed.name
        )

    @post("/{kind:str}/{code:str}/retire")
    async def retire(self, request: Req, kind: str, code: str) -> Response[Any]:
        data = await form_data(request)
        entry = await codes.entry(kind, code)
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Retire %(name)s?"),
                message=N_(
                    "It is no longer offered on the meal service's forms. Lists and histories "
                    "of the past still show it, and it can be taken back into use."
                ),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Retire"),
                cancel_href=f"{BASE}/{kind}/{code}",
                name=entry.name,
            )
        try:
            async with transaction():
                await codes.retire(require_user(request), kind, code, int_field(data, "version"))
        except ValidationFailed as exc:
            return await self._entry_page(request, entry, entry.names, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(request, exc, f"{BASE}/{kind}/{code}", ["retired"])
        return redirect_with_notice(f"{BASE}/{kind}", N_("%(name)s was retired."), name=entry.name)

    @post("/{kind:str}/{code:str}/restore")
    async def restore(self, request: Req, kind: str, code: str) -> Response[Any]:
        data = await form_data(request)
        entry = await codes.entry(kind, code)
        try:
            async with transaction():
                await codes.restore(require_user(request), kind, code, int_field(data, "version"))
        except VersionConflict as exc:
            return render_conflict(request, exc, f"{BASE}/{kind}/{code}", ["retired"])
        return redirect_with_notice(
            f"{BASE}/{kind}", N_("%(name)s is in use again."), name=entry.name
        )

    @staticmethod
    async def _list_page(
        request: Req, kind: str, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        return render(
            request,
            "meals/code_list.html",
            status_code=status,
            kind=kind,
            kind_label=codes.KINDS[kind],
            entries=(await codes.all_entries())[kind],
            values=values,
            errors=errors,
        )

    @staticmethod
    async def _entry_page(
        request: Req,
        entry: codes.CodeEntry,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "meals/code_entry.html",
            status_code=status,
            entry=entry,
            kind_label=codes.KINDS[entry.kind],
            in_use=len(await codes.services_using(entry.kind, entry.code)),
            values=values,
            errors=errors,
        )
