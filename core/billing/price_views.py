"""Price pages for billers: products with their prices, adding next year's price, removing a
price not yet billed, and each product's cost centre and account. Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from core.audit import services as audit
from core.billing import fees, prices
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.customers import payers
from core.customers.services import get_customer
from core.db import transaction
from core.i18n import N_, gettext
from core.identity.guards import require_user
from core.plugins.types import Product
from core.web.confirm import is_confirmed, render_confirmation
from core.web.notices import redirect_with_notice
from core.web.pages import form_data, int_field, render, render_conflict
from core.web.runtime import runtime_of

if TYPE_CHECKING:
    from core.audit.services import Actor

Req = Request[Any, Any, Any]


def billing_products(request: Req) -> list[Product]:
    """Every enabled plugin's billed products, by service and code."""
    found = runtime_of(request).host.collect("valvomo_billing_products")
    return sorted(found, key=lambda p: (p.service, p.code))


def _product(request: Req, code: str) -> Product:
    product = next((p for p in billing_products(request) if p.code == code), None)
    if product is None:
        raise NotFound(f"product {code}")
    return product


class PricePages(Controller):
    path = "/billing/prices"
    include_in_schema = False
    opt = {"permission": "billing.prices"}

    @get("/")
    async def products(self, request: Req) -> Template:
        products = billing_products(request)
        listed = await prices.price_list(products)
        accounts = await prices.product_accounts()
        return render(
            request,
            "billing/prices.html",
            products=products,
            prices=listed,
            accounts=accounts,
            locked_until=await prices.last_closed_day(),
        )

    @get("/{code:str}")
    async def product(self, request: Req, code: str) -> Template:
        return await self._product_page(request, _product(request, code))

    @post("/{code:str}")
    async def add_price(self, request: Req, code: str) -> Response[Any]:
        product = _product(request, code)
        return await _save_form(
            request,
            lambda actor, data: prices.add_price(actor, product, data),
            lambda errors, data: self._product_page(request, product, errors, data),
            f"/billing/prices/{code}",
            N_("The price was saved."),
        )

    @post("/{code:str}/accounts")
    async def save_accounts(self, request: Req, code: str) -> Response[Any]:
        product = _product(request, code)
        data = await form_data(request)
        try:
            async with transaction():
                await prices.save_accounts(
                    require_user(request), product, data, int_field(data, "version", 1)
                )
        except VersionConflict as exc:
            return render_conflict(
                request, exc, f"/billing/prices/{code}", ["cost_centre", "account"]
            )
        return redirect_with_notice(
            f"/billing/prices/{code}", N_("The cost centre and account were saved.")
        )

    @post("/{code:str}/{price_id:int}/remove")
    async def remove_price(self, request: Req, code: str, price_id: int) -> Response[Any]:
        product = _product(request, code)
        data = await form_data(request)
        back = f"/billing/prices/{code}"
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Remove the price?"),
                message=N_("The price is removed; the price before it continues in its place."),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Remove"),
                cancel_href=back,
            )
        try:
            async with transaction():
                await prices.remove_price(
                    require_user(request), product, price_id, int_field(data, "version", 1)
                )
        except ValidationFailed as exc:
            return await self._product_page(request, product, exc.errors)
        except VersionConflict as exc:
            return render_conflict(request, exc, back, ["amount", "valid_from", "valid_to"])
        return redirect_with_notice(back, N_("The price was removed."))

    async def _product_page(
        self,
        request: Req,
        product: Product,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Template:
        listed = await prices.price_list([product])
        accounts = (await prices.product_accounts([product.code])).get(
            product.code, prices.Accounts()
        )
        return render(
            request,
            "billing/product.html",
            status_code=400 if errors else 200,
            product=product,
            periods=listed.of(product.code),
            accounts=accounts,
            locked_until=await prices.last_closed_day(),
            errors=errors or {},
            values=values or {},
        )


async def _save_form(
    request: Req,
    save: Callable[[Actor, dict[str, Any]], Awaitable[Any]],
    page: Callable[[dict[str, str], dict[str, Any]], Awaitable[Template]],
    back: str,
    notice: str,
) -> Response[Any]:
    """A form's POST: `save` the submitted data in a transaction and go `back` with the
    `notice`, or show the `page` again with the errors at their fields and the input kept."""
    data = await form_data(request)
    try:
        async with transaction():
            await save(require_user(request), data)
    except ValidationFailed as exc:
        return await page(exc.errors, data)
    return redirect_with_notice(back, notice)


async def _customer_page(
    request: Req,
    customer_id: int,
    template: str,
    errors: dict[str, str] | None,
    values: dict[str, Any],
    *,
    audited: str,
    **context: Any,
) -> Template:
    """A billing page of one customer's records (`audited`, the kind of record its view is
    logged as), 400 when it shows errors."""
    customer = await get_customer(customer_id)
    await _audit_view(request, customer_id, audited)
    return render(
        request,
        template,
        status_code=400 if errors else 200,
        customer=customer,
        errors=errors or {},
        values=values,
        **context,
    )


class CustomerRecordPages(Controller):
    """A customer's billing records of one kind, for billers: the list with a form for a new
    one. A subclass names its `records` (the path), `template`, `audited` (the kind its views
    are logged as) and `saved` notice, and gives `_save` and `_context`."""

    include_in_schema = False
    opt = {"permission": "billing.prices"}
    records = template = audited = saved = ""
    start_values: dict[str, Any] = {}

    @get("/")
    async def records_page(self, request: Req, customer_id: int) -> Template:
        return await self._page(request, customer_id)

    @post("/")
    async def add_record(self, request: Req, customer_id: int) -> Response[Any]:
        return await _save_form(
            request,
            lambda actor, data: self._save(actor, customer_id, data),
            lambda errors, data: self._page(request, customer_id, errors, data),
            f"/billing/customers/{customer_id}/{self.records}",
            self.saved,
        )

    async def _page(
        self,
        request: Req,
        customer_id: int,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Template:
        return await _customer_page(
            request, customer_id, self.template, errors, values or self.start_values,
            audited=self.audited, **await self._context(request, customer_id),
        )  # fmt: skip

    async def _save(self, actor: Actor, customer_id: int, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def _context(self, request: Req, customer_id: int) -> dict[str, Any]:
        raise NotImplementedError


class FeeDecisionPages(CustomerRecordPages):
    """A customer's fee decisions."""

    path = "/billing/customers/{customer_id:int}/fees"
    records, template, audited = "fees", "billing/fees.html", "fee_decision"
    saved = N_("The fee decision was saved.")
    start_values = {"kind": "reduction"}

    async def _save(self, actor: Actor, customer_id: int, data: dict[str, Any]) -> int:
        return await fees.add_decision(actor, customer_id, data)

    async def _context(self, request: Req, customer_id: int) -> dict[str, Any]:
        return {
            "decisions": await fees.customer_decisions(customer_id),
            "product_options": [(p.code, gettext(p.label)) for p in billing_products(request)],
        }


class PayerPages(CustomerRecordPages):
    """A customer's payers as dated periods: the history, a form for a change, and each
    period's page to correct or end it."""

    path = "/billing/customers/{customer_id:int}/payers"
    records, template, audited = "payers", "billing/payers.html", "payer"
    saved = N_("The payer was saved.")

    async def _save(self, actor: Actor, customer_id: int, data: dict[str, Any]) -> int:
        return await payers.add_payer(actor, customer_id, data, await prices.last_closed_day())

    async def _context(self, request: Req, customer_id: int) -> dict[str, Any]:
        return {
            "periods": await payers.customer_payers(customer_id),
            "locked_until": await prices.last_closed_day(),
        }

    @get("/{payer_id:int}")
    async def period(self, request: Req, customer_id: int, payer_id: int) -> Template:
        return await self._period_page(request, customer_id, payer_id)

    @post("/{payer_id:int}")
    async def change(self, request: Req, customer_id: int, payer_id: int) -> Response[Any]:
        data = await form_data(request)
        locked_until = await prices.last_closed_day()
        period = await payers.payer_period(customer_id, payer_id)
        values = payers.parse_dates(data)
        if values is not None and payers.shortens(period, values) and not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Shorten the payer's period?"),
                message=N_(
                    "The days taken away are invoiced to the customer, or to the payer "
                    "recorded for them."
                ),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Save the shorter period"),
                cancel_href=request.url.path,
            )
        return await self._saved(
            request, customer_id, payer_id, data,
            lambda actor: payers.change_payer(
                actor, customer_id, payer_id, data, int_field(data, "version", 1), locked_until
            ),
        )  # fmt: skip

    @post("/{payer_id:int}/end")
    async def end(self, request: Req, customer_id: int, payer_id: int) -> Response[Any]:
        data = await form_data(request)
        back = f"/billing/customers/{customer_id}/payers/{payer_id}"
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("End the payer?"),
                message=N_(
                    "From the day after %(day)s the customer pays, unless another payer "
                    "is recorded for those days."
                ),
                action=request.url.path,
                fields=data,
                confirm_label=N_("End the payer"),
                cancel_href=back,
                day=str(data.get("last_day", "")),
            )
        locked_until = await prices.last_closed_day()
        return await self._saved(
            request, customer_id, payer_id, data,
            lambda actor: payers.end_payer(
                actor, customer_id, payer_id, str(data.get("last_day", "")),
                int_field(data, "version", 1), locked_until,
            ),
            errors_at={"valid_to": "last_day"},
        )  # fmt: skip

    async def _saved(
        self,
        request: Req,
        customer_id: int,
        payer_id: int,
        data: dict[str, Any],
        save: Callable[[Actor], Awaitable[bool]],
        errors_at: dict[str, str] | None = None,
    ) -> Response[Any]:
        """Save in a transaction; errors are shown at their fields (`errors_at` renames them for
        the end form, whose one field is `last_day`)."""
        back = f"/billing/customers/{customer_id}/payers/{payer_id}"
        try:
            async with transaction():
                changed = await save(require_user(request))
        except ValidationFailed as exc:
            errors = {(errors_at or {}).get(k, k): v for k, v in exc.errors.items()}
            return await self._period_page(request, customer_id, payer_id, errors, data)
        except VersionConflict as exc:
            return render_conflict(request, exc, back, ["name", "valid_from", "valid_to"])
        notice = N_("The payer was saved.") if changed else N_("Nothing changed.")
        return redirect_with_notice(f"/billing/customers/{customer_id}/payers", notice)

    async def _period_page(
        self,
        request: Req,
        customer_id: int,
        payer_id: int,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Template:
        period = await payers.payer_period(customer_id, payer_id)
        locked_until = await prices.last_closed_day()
        return await _customer_page(
            request, customer_id, "billing/payer.html", errors,
            values or payers.form_values(period),
            audited="payer", period=period, locked_until=locked_until,
            billed=payers.is_billed(period, locked_until),
        )  # fmt: skip


async def _audit_view(request: Req, customer_id: int, audited: str) -> None:
    async with transaction():
        await audit.record(
            require_user(request), "view", audited, customer_id, customer_id=customer_id
        )
