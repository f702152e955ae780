"""Billing pages, exports and the billing API. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from core.billing import invoices, services
from core.billing.lines import MonthLine, plain
from core.billing.periods import (
    closed_periods,
    key,
    next_period,
    period_containing,
    period_of,
    previous_period,
    recent_periods,
)
from core.billing.services import BillPage, MonthBill
from core.common.clock import today
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.customers.areas import ListArea, customers_living_in, list_area
from core.db import transaction
from core.i18n import N_
from core.identity.guards import require_user
from core.plugins.types import BillingPeriod
from core.web.notices import redirect_with_notice
from core.web.pages import form_data, int_field, render, render_conflict
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]
MONTH_INPUT = re.compile(r"^\s*(?:(\d{4})-(\d{1,2})|(\d{1,2})[/.](\d{4}))\s*$")


def parse_month_input(raw: str) -> BillingPeriod:
    """A month typed as 2026-11 (the month input) or 11/2026; ValidationFailed otherwise."""
    match = MONTH_INPUT.match(raw)
    if match:
        year, month = (match[1], match[2]) if match[1] else (match[4], match[3])
        try:
            return period_of(int(year), int(month))
        except NotFound:
            pass
    raise ValidationFailed({"month": N_("Enter a month like 2026-11 or 11/2026.")})


class BillingPages(Controller):
    path = "/billing"
    include_in_schema = False
    opt = {"permission": "billing.view"}

    @get("/")
    async def choose_month(self, request: Req, month: str = "") -> Response[Any]:
        """The month picker; without a choice, the previous month (the one usually billed)."""
        if not month:
            default = previous_period(period_containing(today()))
            return Redirect(path=f"/billing/{default.year}/{default.month}")
        try:
            chosen = parse_month_input(month)
        except ValidationFailed as exc:
            default = previous_period(period_containing(today()))
            return await self._month_page(request, default, 1, exc.errors, {"month": month})
        return Redirect(path=f"/billing/{chosen.year}/{chosen.month}")

    @get("/{year:int}/{month:int}")
    async def month_page(
        self, request: Req, year: int, month: int, page: int = 1, municipality: str = ""
    ) -> Template:
        """The month's lines; from the situational picture, those of the customers who lived in
        one municipality at the month's end (as its billed euros are counted)."""
        area = list_area(runtime_of(request).settings.municipalities, municipality)
        return await self._month_page(request, period_of(year, month), page, area=area)

    @get("/{year:int}/{month:int}/{file_format:str}")
    async def export(self, request: Req, year: int, month: int, file_format: str) -> Response[Any]:
        """The month in one of the invoice formats; each customer's access log records it."""
        return await _export(request, period_of(year, month), file_format)

    @get("/{year:int}/{month:int}/close", opt={"permission": "billing.close"})
    async def confirm_close(self, request: Req, year: int, month: int) -> Template:
        return await self._close_form(request, period_of(year, month))

    @post("/{year:int}/{month:int}/close", opt={"permission": "billing.close"})
    async def close_month(self, request: Req, year: int, month: int) -> Response[Any]:
        period = period_of(year, month)
        data = await form_data(request)
        path = f"/billing/{year}/{month}"
        if data.get("confirm") != "yes":
            errors = {"confirm": N_("Tick the box to confirm that the month is ready to close.")}
            return await self._close_form(request, period, errors, int_field(data, "version"))
        try:
            async with transaction():
                await services.close_period(
                    require_user(request),
                    runtime_of(request).host,
                    period,
                    int_field(data, "version"),
                    today(),
                )
        except services.EarlierMonthOpen as exc:
            return await self._close_form(request, period, exc.errors, blocking=exc.month)
        except ValidationFailed as exc:
            return await self._close_form(request, period, exc.errors)
        except VersionConflict as exc:
            return render_conflict(request, exc, f"{path}/close", ["status"])
        return redirect_with_notice(path, N_("Month %(month)s is closed."), month=f"{month}/{year}")

    async def _month_page(
        self,
        request: Req,
        period: BillingPeriod,
        page: int,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        area: ListArea | None = None,
    ) -> Template:
        bill = await services.month_bill(runtime_of(request).host, period)
        if area:
            bill = services.of_customers(bill, await customers_living_in(area, period.last_day))
        shown = await services.bill_page(bill, page)
        async with transaction():
            await services.record_views(
                require_user(request), period, [c.customer_id for c in shown.customers]
            )
        closed = {(s.period.year, s.period.month) for s in await closed_periods()}
        return render(
            request,
            "billing/month.html",
            status_code=400 if errors else 200,
            bill=bill,
            shown=shown,
            period=period,
            previous=previous_period(period),
            following=next_period(period),
            recent=[(p, (p.year, p.month) in closed) for p in recent_periods(today())],
            has_ended=period.last_day < today(),
            formats=list(invoices.invoice_formats(runtime_of(request).host).values()),
            errors=errors or {},
            values=values or {"month": key(period)},
            area=area or ListArea(),
        )

    async def _close_form(
        self,
        request: Req,
        period: BillingPeriod,
        errors: dict[str, str] | None = None,
        version: int | None = None,
        blocking: BillingPeriod | None = None,
    ) -> Template:
        bill = await services.month_bill(runtime_of(request).host, period)
        return render(
            request,
            "billing/close.html",
            status_code=400 if errors else 200,
            bill=bill,
            period=period,
            version=version or bill.state.version,
            blocking=blocking,
            errors=errors or {},
        )


# -- API ---------------------------------------------------------------------------------


@dataclass
class LineOut:
    service: str
    product: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    detail: str
    is_correction: bool
    corrects: str | None
    # "change" or "moved_days" (only days moved, 0 €) for a correction, else null
    correction_kind: str | None


@dataclass
class CustomerLinesOut:
    customer_id: int
    name: str
    amount: Decimal
    lines: list[LineOut]


@dataclass
class ProductTotalOut:
    service: str
    product: str
    is_correction: bool
    quantity: Decimal
    amount: Decimal


@dataclass
class MonthOut:
    """A month's status, totals and one page of customers with their lines."""

    month: str
    status: str
    version: int
    closed_at: dt.datetime | None
    closed_by: str
    total_amount: Decimal
    line_count: int
    correction_count: int
    customer_count: int
    totals: list[ProductTotalOut]
    customers: list[CustomerLinesOut]
    page: int
    pages: int


@dataclass
class CloseIn:
    """Close the month whose status you read at `version` (a stale version gets 409)."""

    version: int


def _line_out(line: MonthLine) -> LineOut:
    return LineOut(
        service=line.service,
        product=line.product,
        description=line.description,
        quantity=plain(line.quantity),
        unit_price=plain(line.unit_price),
        amount=line.amount,
        detail=line.detail,
        is_correction=line.is_correction,
        corrects=key(line.corrects) if line.corrects else None,
        correction_kind=line.correction_kind or None,
    )


def _month_out(bill: MonthBill, shown: BillPage) -> MonthOut:
    state = bill.state
    return MonthOut(
        month=key(bill.period),
        status=state.status,
        version=state.version,
        closed_at=state.closed_at,
        closed_by=state.closed_by_name,
        total_amount=bill.total_amount,
        line_count=len(bill.lines),
        correction_count=bill.correction_count,
        customer_count=shown.customer_count,
        totals=[
            ProductTotalOut(t.service, t.product, t.is_correction, plain(t.quantity), t.amount)
            for t in bill.totals
        ],
        customers=[
            CustomerLinesOut(c.customer_id, c.name, c.amount, [_line_out(x) for x in c.lines])
            for c in shown.customers
        ],
        page=shown.page,
        pages=shown.pages,
    )


async def _export(request: Req, period: BillingPeriod, file_format: str) -> Response[Any]:
    """Identity codes are in the file for billers (who may close months) only."""
    chosen = invoices.invoice_formats(runtime_of(request).host).get(file_format)
    if chosen is None:
        raise NotFound(file_format)
    user = require_user(request)
    exported = await invoices.export_month(
        user,
        runtime_of(request).host,
        period,
        chosen,
        with_identity_codes=user.can("billing.close"),
    )
    return Response(
        content=exported.content,
        media_type=exported.media_type,
        headers={"content-disposition": f'attachment; filename="{exported.filename}"'},
    )


class BillingApi(Controller):
    path = "/api/billing"
    tags = ["billing"]
    opt = {"permission": "billing.view"}

    @get("/{year:int}/{month:int}")
    async def month_lines(self, request: Req, year: int, month: int, page: int = 1) -> MonthOut:
        """The month's totals and 50 customers a page with their lines, by customer number."""
        period = period_of(year, month)
        bill = await services.month_bill(runtime_of(request).host, period)
        shown = await services.bill_page(bill, page)
        async with transaction():
            await services.record_views(
                require_user(request), period, [c.customer_id for c in shown.customers]
            )
        return _month_out(bill, shown)

    @get("/{year:int}/{month:int}/export/{file_format:str}")
    async def export(self, request: Req, year: int, month: int, file_format: str) -> Response[Any]:
        """The month for the invoicing system: `jsonl` (JSON lines, see docs/billing.md),
        `csv` or `xlsx`, or a region's own format. Written to each customer's access log."""
        return await _export(request, period_of(year, month), file_format)

    @post("/{year:int}/{month:int}/close", opt={"permission": "billing.close"}, status_code=200)
    async def close_month(self, request: Req, year: int, month: int, data: CloseIn) -> MonthOut:
        """Freeze the month with its pending corrections. 400 with a reason, 409 if stale."""
        period = period_of(year, month)
        async with transaction():
            bill = await services.close_period(
                require_user(request), runtime_of(request).host, period, data.version, today()
            )
        return _month_out(bill, await services.bill_page(bill, 1))
