"""Staff pages for a customer's proxy rights (relatives acting online)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from core.citizen import proxies
from core.common.errors import ValidationFailed, VersionConflict
from core.customers.services import get_customer, record_view
from core.db import transaction
from core.i18n import N_
from core.identity.guards import require_user
from core.web.confirm import is_confirmed, render_confirmation
from core.web.notices import redirect_with_notice
from core.web.pages import as_list, form_data, render, render_conflict
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]


class ProxyPages(Controller):
    path = "/customers/{customer_id:int}/proxies"
    include_in_schema = False
    opt = {"permission": "customers.edit"}

    @get("/")
    async def list_rights(self, request: Req, customer_id: int) -> Template:
        return await self._page(request, customer_id, {}, {})

    @post("/")
    async def add_right(self, request: Req, customer_id: int) -> Response[Any]:
        await get_customer(customer_id)
        data = await form_data(request)
        runtime = runtime_of(request)
        try:
            async with transaction():
                await proxies.add_right(require_user(request), customer_id, data,
                                        runtime.settings.secret, _services(request))  # fmt: skip
        except ValidationFailed as exc:
            data.pop("proxy_identity_code", None)  # never echoed back into the page
            return await self._page(request, customer_id, data, exc.errors, status=400)
        return redirect_with_notice(
            f"/customers/{customer_id}/proxies", N_("The proxy right was saved.")
        )

    @get("/{right_id:int}/edit")
    async def edit_form(self, request: Req, customer_id: int, right_id: int) -> Template:
        right = await proxies.get_right(customer_id, right_id)
        await record_view(require_user(request), customer_id, "proxy_right")
        form = {**right, "services": (right["services"] or "").split(",")}
        return await self._edit_page(request, customer_id, right_id, form, {})

    @post("/{right_id:int}/edit")
    async def edit(self, request: Req, customer_id: int, right_id: int) -> Response[Any]:
        data = await form_data(request)
        action = f"/customers/{customer_id}/proxies/{right_id}/edit"
        try:
            async with transaction():
                await proxies.update_right(require_user(request), customer_id, right_id, data,
                                           _services(request))  # fmt: skip
        except ValidationFailed as exc:
            form = {**data, "services": as_list(data.get("services"))}
            return await self._edit_page(request, customer_id, right_id, form, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(request, exc, action, list(proxies.EDITABLE))
        return redirect_with_notice(
            f"/customers/{customer_id}/proxies", N_("The proxy right was saved.")
        )

    async def _edit_page(
        self,
        request: Req,
        customer_id: int,
        right_id: int,
        form: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "citizen/proxy_edit.html",
            status_code=status,
            customer=await get_customer(customer_id),
            right=await proxies.get_right(customer_id, right_id),
            form=form,
            errors=errors,
            bases=proxies.BASES,
            services=_services(request),
        )

    @post("/{right_id:int}/withdraw")
    async def withdraw(self, request: Req, customer_id: int, right_id: int) -> Response[Any]:
        data = await form_data(request)
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Withdraw the proxy right?"),
                message=N_("The proxy can no longer act for the customer online, at once."),
                action=f"/customers/{customer_id}/proxies/{right_id}/withdraw",
                fields=data,
                confirm_label=N_("Withdraw"),
                cancel_href=f"/customers/{customer_id}/proxies",
            )
        async with transaction():
            await proxies.withdraw_right(require_user(request), customer_id, right_id)
        return redirect_with_notice(
            f"/customers/{customer_id}/proxies", N_("The proxy right was withdrawn.")
        )

    async def _page(
        self,
        request: Req,
        customer_id: int,
        form: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "citizen/proxies.html",
            status_code=status,
            customer=await get_customer(customer_id),
            rights=await proxies.rights_of_customer(customer_id),
            form=form,
            errors=errors,
            bases=proxies.BASES,
            services=_services(request),
        )


def _services(request: Req) -> list[str]:
    return list(runtime_of(request).settings.enabled_plugins)
