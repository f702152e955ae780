"""The biller's meal reports for a month, with CSV and XLSX export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response, Template

from plugins.meals import reports
from plugins.meals.settings import current
from valvomo.api import (
    CONTENT_TYPES,
    N_,
    BillingPeriod,
    Cell,
    ListArea,
    NotFound,
    ValidationFailed,
    export,
    gettext,
    list_area,
    render,
    require_user,
    runtime_of,
    today,
)
from valvomo.api import parse_month as parse_month_text

Req = Request[Any, Any, Any]


def parse_month(raw: str) -> BillingPeriod:
    if not raw:
        return BillingPeriod(today().year, today().month)
    try:
        first = parse_month_text(raw)
    except ValueError as exc:
        raise ValidationFailed({"month": N_("Enter the month like 11/2026.")}) from exc
    return BillingPeriod(first.year, first.month)


def _download(
    fmt: str,
    name: str,
    period: BillingPeriod,
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
) -> Response[bytes]:
    fmt = "xlsx" if fmt == "xlsx" else "csv"
    filename = f"meals-{name}-{period.year}-{period.month:02d}.{fmt}"
    return Response(
        export(fmt, name, [gettext(h) for h in headers], rows),
        media_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _area(request: Req, municipality: str, unit: str) -> ListArea:
    """The area a report behind a situational-picture figure is narrowed to (a kitchen by
    name)."""
    return list_area(runtime_of(request).settings.municipalities, municipality, unit)


class MealReportPages(Controller):
    path = "/meals/reports"
    include_in_schema = False
    opt = {"permission": "meals.reports"}

    @get("/billing")
    async def billing(self, request: Req, month: str = "", format: str = "html") -> Response[Any]:
        if format != "html":  # the month's one billing export is core billing's
            raise NotFound(format)
        period = parse_month(month)
        customers = await reports.billing_by_customer(period, current())
        customer_ids = (c.customer_id for c in customers)
        await reports.record_report_view(
            require_user(request), "billing", period, customer_ids, format
        )
        return self._page(
            request,
            "billing",
            period,
            customers=customers,
            total=sum((c.total for c in customers), start=0),
        )

    @get("/deviations")
    async def deviations(
        self,
        request: Req,
        month: str = "",
        format: str = "html",
        municipality: str = "",
        unit: str = "",
    ) -> Response[Any]:
        period = parse_month(month)
        area = _area(request, municipality, unit)
        rows = await reports.deviations(period, area)
        customer_ids = (r["customer_id"] for r in rows)
        await reports.record_report_view(
            require_user(request), "deviations", period, customer_ids, format
        )
        if format in ("csv", "xlsx"):
            table = reports.deviation_rows(rows)
            return _download(format, "deviations", period, reports.DEVIATION_HEADERS, table)
        return self._page(request, "deviations", period, rows=rows, area=area)

    @get("/transport")
    async def transport(
        self,
        request: Req,
        month: str = "",
        format: str = "html",
        municipality: str = "",
        unit: str = "",
    ) -> Response[Any]:
        period = parse_month(month)
        area = _area(request, municipality, unit)
        rows = await reports.transport(period, current(), area)
        if format in ("csv", "xlsx"):
            table = reports.transport_rows(rows)
            return _download(format, "transport", period, reports.TRANSPORT_HEADERS, table)
        return self._page(request, "transport", period, rows=rows, area=area)

    @staticmethod
    def _page(request: Req, report: str, period: BillingPeriod, **context: Any) -> Template:
        month = f"{period.month}/{period.year}"
        return render(
            request,
            f"meals/report_{report}.html",
            report=report,
            period=period,
            month=month,
            **context,
        )
