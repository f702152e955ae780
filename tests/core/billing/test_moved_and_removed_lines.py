"""Corrections that change nothing billable, and lines no longer billed at all (both databases).

A lunch moved within a closed month (Tuesday's to Wednesday, same count and price) with one
payer is a 0 € correction: the biller sees it on the month's page as "days changed, amount
unchanged", and it settles the days when the month closes, but no invoice file carries it. A
line without days that is no longer billed says what was billed before."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import httpx
import openpyxl

from core.audit.tables import AuditEntry
from core.billing import services
from core.billing.tables import BilledLine
from core.db import transaction
from core.i18n import gettext
from core.plugins import BillingLine, BillingPeriod
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer, column, line_rows
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM

OCT, NOV, DEC = BillingPeriod(2025, 10), BillingPeriod(2025, 11), BillingPeriod(2025, 12)
WEEKDAYS = "1,2,3,6,7,9,10"  # Tuesday 7.10. and Thursday 9.10., not Wednesday 8.10.
MOVED = "1,2,3,6,8,9,10"  # Tuesday's lunch now on Wednesday


def lunches(customer: int, days: str) -> BillingLine:
    return BillingLine(customer, "meals", "lunch", "Lunch", Decimal(len(days.split(","))),
                       Decimal("6.8"), detail=days, days=days)  # fmt: skip


async def test_a_day_moved_within_a_closed_month_is_shown_but_not_exported(
    runtime: Runtime, biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino = await add_customer("Aino", "Virtanen")
    eero = await add_customer("Eero", "Aalto")  # nothing in November but the moved day
    fake_service.lines[(2025, 10)] = [lunches(aino, WEEKDAYS), lunches(eero, WEEKDAYS)]
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, OCT, 1, dt.date(2025, 11, 1))
    fake_service.lines[(2025, 10)] = [lunches(aino, MOVED), lunches(eero, MOVED)]
    fake_service.lines[(2025, 11)] = [lunches(aino, "3,4")]

    bill = await services.month_bill(runtime.host, NOV)
    moved = [line for line in bill.lines if line.corrects == OCT]
    lunch = gettext("lunch")
    assert [(ln.customer_id, ln.quantity, ln.amount, ln.days, ln.detail) for ln in moved] == [
        (c, 0, Decimal("0.00"), "7:-1,8", f"+1 {lunch} 8.10.; \u22121 {lunch} 7.10.")
        for c in sorted([aino, eero])
    ]
    assert all(line.moves_days_only for line in moved)

    page = (await biller.get("/billing/2025/11")).text
    assert page.count("Päiviä muutettu, summa ennallaan:") == 2
    assert "Aalto Eero" in page  # the biller sees every change

    rows = list(csv.reader(io.StringIO((await biller.get("/billing/2025/11/csv")).text.lstrip(
        "\ufeff")), delimiter=";"))  # fmt: skip
    assert [(r[column("Customer")], r[column("Amount")], r[column("Correction to month")])
            for r in line_rows(rows)] == [("Virtanen Aino", "13,60", "")]  # fmt: skip
    assert rows[-1][column("Amount")] == "13,60"
    sheet = openpyxl.load_workbook(
        io.BytesIO((await biller.get("/billing/2025/11/xlsx")).content)
    ).worksheets[0]
    xlsx_rows = list(sheet.iter_rows(values_only=True))
    assert [r[column("Correction to month")] for r in line_rows(xlsx_rows)] == [None]
    jsonl = (await biller.get("/billing/2025/11/jsonl")).text
    records = [json.loads(r) for r in jsonl.splitlines()]
    assert [r["type"] for r in records] == ["month", "customer", "total"]
    assert [ln["corrects"] for ln in records[1]["lines"]] == [None]
    assert records[2] == {"type": "total", "customers": 1, "lines": 1, "amount": "13.60"}
    # Eero is in no file, so no access-log entry says his data was exported.
    exported = await AuditEntry.select(AuditEntry.customer_id).where(
        (AuditEntry.action == "export") & AuditEntry.customer_id.is_not_null()
    )
    assert {e["customer_id"] for e in exported} == {aino}

    # Closing November settles the moved days: December has nothing to correct.
    async with transaction():
        closed = await services.close_period(SYSTEM, runtime.host, NOV, 1, dt.date(2025, 12, 1))
    assert closed.correction_count == 2
    assert (await services.month_bill(runtime.host, DEC)).lines == []


async def test_a_line_without_days_no_longer_billed_says_what_was_billed(
    runtime: Runtime, biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino = await add_customer("Aino", "Virtanen")
    fake_service.bill(2025, 10, aino, "1", "12.50", product="monthly_fee", detail="1.–31.10.")
    fake_service.bill(2025, 10, aino, "1", "4.00", product="visit", detail="visit 14.10.")
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, OCT, 1, dt.date(2025, 11, 1))
    # The monthly fee is withdrawn for October; the visit is billed at a new price.
    fake_service.bill(2025, 10, aino, "0", "12.50", product="monthly_fee")
    fake_service.bill(2025, 10, aino, "0", "4.00", product="visit")
    fake_service.bill(2025, 10, aino, "1", "5.00", product="visit", detail="visit 15.10.")

    bill = await services.month_bill(runtime.host, NOV)
    details = {(ln.product, ln.unit_price): ln.detail for ln in bill.lines}
    fee, visit = gettext("monthly_fee"), gettext("visit")
    assert details == {
        ("monthly_fee", Decimal("12.50")): gettext(
            "%(change)s, no longer billed (was: %(was)s)", change=f"\u22121 {fee}", was="1.–31.10."
        ),
        ("visit", Decimal("4.00")): gettext(
            "%(change)s, no longer billed (was: %(was)s)", change=f"\u22121 {visit}",
            was="visit 14.10.",
        ),
        ("visit", Decimal("5.00")): f"+1 {visit} (visit 15.10.)",
    }  # fmt: skip
    assert "no longer billed" not in details[("visit", Decimal("5.00"))]
    rows = list(csv.reader(io.StringIO((await biller.get("/billing/2025/11/csv")).text.lstrip(
        "\ufeff")), delimiter=";"))  # fmt: skip
    exported = {r[column("Detail")] for r in line_rows(rows)}
    assert details[("monthly_fee", Decimal("12.50"))] in exported

    # Settled by closing November: December has nothing to correct.
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, NOV, 1, dt.date(2025, 12, 1))
    assert (await services.month_bill(runtime.host, DEC)).lines == []


def span(first: int, last: int) -> str:
    return ",".join(str(day) for day in range(first, last + 1))


async def test_a_changed_line_without_days_says_what_changed_against_what_was_billed(
    runtime: Runtime, fake_service: FakeService
) -> None:
    """A monthly fee priced for a span of the month names the days added or removed, and a line
    with neither days nor a span says the quantity billed before and now; never today's detail
    alone."""
    aino = await add_customer("Aino", "Virtanen")
    fee = BillingLine(aino, "phones", "monthly_fee", "Monthly fee", Decimal("0.71"), Decimal("30"),
                      detail="22/31; 10.–31.10.", period_days=span(10, 31))  # fmt: skip
    extra = BillingLine(aino, "phones", "extra", "Extra", Decimal(1), Decimal("5"), detail="x")
    fake_service.lines[(2025, 10)] = [fee, extra]
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, OCT, 1, dt.date(2025, 11, 1))
    # The service started on the 15th, not the 10th, and ended on the 30th; the extra doubled.
    fake_service.lines[(2025, 10)] = [
        BillingLine(aino, "phones", "monthly_fee", "Monthly fee", Decimal("0.516"),
                    Decimal("30"), detail="16/31; 15.–30.10.", period_days=span(15, 30)),
        BillingLine(aino, "phones", "extra", "Extra", Decimal("1.5"), Decimal("5"), detail="x"),
    ]  # fmt: skip

    bill = await services.month_bill(runtime.host, NOV)
    details = {ln.product: (ln.quantity, ln.detail, ln.period_days) for ln in bill.lines}
    removed = gettext("days removed: %(days)s", days="10.–14.10., 31.10.")
    assert details["monthly_fee"] == (
        Decimal("-0.194"),
        f"\u22120,194 {gettext('monthly_fee')}, {removed}",
        "10:-1,11:-1,12:-1,13:-1,14:-1,31:-1",
    )
    assert details["extra"] == (
        Decimal("0.5"),
        gettext(
            "%(change)s (billed %(before)s, now %(now)s)",
            change=f"+0,5 {gettext('extra')}",
            before="1",
            now="1,5",
        ),
        "",
    )

    # Closed, the correction counts as billed: a later change compares against both.
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, NOV, 1, dt.date(2025, 12, 1))
    fake_service.lines[(2025, 10)][0] = BillingLine(
        aino, "phones", "monthly_fee", "Monthly fee", Decimal("0.548"), Decimal("30"),
        detail="17/31; 14.–30.10.", period_days=span(14, 30),
    )  # fmt: skip
    december = await services.month_bill(runtime.host, DEC)
    again = [ln for ln in december.lines if ln.product == "monthly_fee"]
    added = gettext("days added: %(days)s", days="14.10.")
    assert [(ln.quantity, ln.detail) for ln in again] == [
        (Decimal("0.032"), f"+0,032 {gettext('monthly_fee')}, {added}")
    ]


async def test_a_span_frozen_before_spans_were_kept_is_corrected_by_quantity(
    runtime: Runtime, fake_service: FakeService
) -> None:
    """A snapshot line from before the migration has no period_days: its correction says the
    quantity billed and now, and stores no partial span."""
    aino = await add_customer("Aino", "Virtanen")
    fake_service.lines[(2025, 10)] = [
        BillingLine(aino, "phones", "monthly_fee", "Monthly fee", Decimal(22), Decimal("1"),
                    period_days=span(10, 31)),
    ]  # fmt: skip
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, OCT, 1, dt.date(2025, 11, 1))
    await BilledLine.update({BilledLine.period_days: ""}, force=True)
    fake_service.lines[(2025, 10)] = [
        BillingLine(aino, "phones", "monthly_fee", "Monthly fee", Decimal(17), Decimal("1"),
                    period_days=span(15, 31)),
    ]  # fmt: skip
    (line,) = (await services.month_bill(runtime.host, NOV)).lines
    assert (line.quantity, line.period_days) == (Decimal(-5), "")
    assert line.detail == gettext(
        "%(change)s (billed %(before)s, now %(now)s)",
        change=f"\u22125 {gettext('monthly_fee')}",
        before="22",
        now="17",
    )
