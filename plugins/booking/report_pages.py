"""Booking reports page (through core's reports index) and each report table as CSV."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response

from plugins.booking import reports, setup
from valvomo.api import (
    CONTENT_TYPES,
    N_,
    BillingPeriod,
    NotFound,
    add_months,
    month_text,
    parse_period,
    render,
    to_csv,
    today,
)

Req = Request[Any, Any, Any]
LONGEST_MONTHS = 36


def _scope(
    first: str, last: str, unit_id: str, units: list[dict[str, Any]]
) -> tuple[reports.ReportScope, dict[str, str]]:
    """The months and unit asked for, or this month and messages next to the fields."""
    this_month = BillingPeriod(today().year, today().month)
    errors: dict[str, str] = {}
    periods = []
    for name, raw, default in (
        ("first", first, add_months(this_month, -2)),
        ("last", last, this_month),
    ):
        try:
            periods.append(parse_period(raw) if raw.strip() else default)
        except ValueError:
            errors[name] = N_("Enter the month like 11/2026.")
            periods.append(default)
    start, end = periods
    if not errors and (end.year * 12 + end.month) < (start.year * 12 + start.month):
        errors["last"] = N_("The last month cannot be before the first.")
    elif not errors and (end.year - start.year) * 12 + end.month - start.month >= LONGEST_MONTHS:
        errors["last"] = N_("Choose at most 36 months.")
    unit = int(unit_id) if unit_id.isdigit() else None
    if unit_id and unit not in {u["id"] for u in units}:
        errors["unit_id"] = N_("Choose a service unit from the list.")
        unit = None
    if errors:
        return reports.ReportScope(this_month, this_month, None), errors
    return reports.ReportScope(start, end, unit), errors


class BookingReportPages(Controller):
    path = "/booking/reports"
    include_in_schema = False
    opt = {"permission": "booking.reports"}

    @get("/")
    async def reports_page(
        self,
        request: Req,
        first: str = "",
        last: str = "",
        unit_id: str = "",
        format: str = "html",
        report: str = "",
    ) -> Response[Any]:
        units = await setup.list_units()
        scope, errors = _scope(first, last, unit_id, units)
        if format == "csv" and not errors:
            return await _csv(scope, report)
        return render(
            request,
            "booking/reports.html",
            status_code=400 if errors else 200,
            errors=errors,
            values={
                "first": first or month_text(scope.first),
                "last": last or month_text(scope.last),
                "unit_id": unit_id,
            },
            unit_options=[(u["id"], u["name"]) for u in units],
            tables=[] if errors else list((await reports.build(scope)).items()),
            query=request.url.query,
        )


async def _csv(scope: reports.ReportScope, name: str) -> Response[bytes]:
    if name not in reports.NAMES:
        raise NotFound(name)
    table = (await reports.build(scope))[name]
    first, last = scope.first, scope.last
    filename = f"booking-{name}-{first.year}-{first.month:02d}-{last.year}-{last.month:02d}.csv"
    return Response(
        to_csv(table.translated_header(), table.rows),
        media_type=CONTENT_TYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
