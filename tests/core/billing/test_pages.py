"""The biller's pages, exports and API over HTTP, with a real (fake-service) plugin."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import httpx
import openpyxl

from core.audit.tables import AuditEntry
from core.billing.periods import period_containing, previous_period
from core.billing.tables import BilledLine, BillingPeriodRecord
from core.common.clock import today
from tests.core.billing.conftest import add_customer, column, line_rows
from tests.core.billing.fake_service import FakeService
from tests.helpers import api_headers, make_user, notices, post_form, sign_in


async def two_customers(fake_service: FakeService) -> tuple[int, int]:
    aino = await add_customer("Aino", "Virtanen")
    eero = await add_customer("Eero", "Korhonen")
    fake_service.bill(2025, 3, aino, "20", detail="1.–20.3. one a day")
    fake_service.bill(2025, 3, aino, "4", "3.20", product="Delivery")
    fake_service.bill(2025, 3, eero, "10", "9.10")
    return aino, eero


async def close(
    client: httpx.AsyncClient, year: int, month: int, version: int = 1
) -> httpx.Response:
    return await post_form(
        client, f"/billing/{year}/{month}/close", {"version": version, "confirm": "yes"}
    )


async def test_month_page_shows_lines_names_totals_and_detail(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino, eero = await two_customers(fake_service)
    response = await biller.get("/billing/2025/3")
    assert response.status_code == 200
    page = response.text
    assert "Virtanen Aino" in page and "Korhonen Eero" in page
    assert "1.–20.3. one a day" in page
    assert "170,00" in page and "12,80" in page and "91,00" in page
    assert "273,80" in page  # the month's total
    assert len(fake_service.calls) == 1  # one hook call for the month
    viewed = await AuditEntry.select(AuditEntry.customer_id).where(AuditEntry.action == "view")
    assert {e["customer_id"] for e in viewed} == {aino, eero}


async def test_lines_are_paginated_by_customer(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    for number in range(55):
        customer = await add_customer(f"Asiakas{number}", "Testi")
        fake_service.bill(2025, 3, customer, "1")
    first = (await biller.get("/billing/2025/3")).text
    second = (await biller.get("/billing/2025/3?page=2")).text
    assert first.count('class="customer"') == 50
    assert second.count('class="customer"') == 5
    assert "467,50" in second  # the total covers every page


async def test_month_picker_redirects_and_explains_bad_input(biller: httpx.AsyncClient) -> None:
    response = await biller.get("/billing?month=2025-04")
    assert response.url.path == "/billing/2025/4"
    response = await biller.get("/billing?month=4/2025")
    assert response.url.path == "/billing/2025/4"
    response = await biller.get("/billing?month=huhtikuu")
    assert response.status_code == 400
    assert 'id="f-month-error"' in response.text
    assert (await biller.get("/billing/2025/13")).status_code == 404


async def test_csv_export_uses_finnish_conventions_and_is_audited(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino, eero = await two_customers(fake_service)
    response = await biller.get("/billing/2025/3/csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "billing-2025-03.csv" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1 + 3 + 2 + 1  # header, lines, a total per customer, the grand total
    number, product = column("Customer number"), column("Product")
    by_product = {(r[number], r[product]): r for r in line_rows(rows)}
    lunch = by_product[(str(aino), "Lunch")]
    assert lunch[column("Customer")] == "Virtanen Aino"
    assert lunch[column("Quantity") : column("Amount") + 1] == ["20", "8,50", "170,00"]
    assert by_product[(str(eero), "Lunch")][column("Amount")] == "91,00"
    assert rows[-1][column("Amount")] == "273,80"
    exported = await AuditEntry.select().where(AuditEntry.action == "export").output(load_json=True)
    summary = [e for e in exported if e["customer_id"] is None]
    assert [(e["entity_id"], e["after"]["customers"]) for e in summary] == [("2025-03", 2)]
    assert sorted(e["customer_id"] for e in exported if e["customer_id"]) == sorted([aino, eero])


async def test_csv_export_defuses_spreadsheet_formulas(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    customer = await add_customer("=HYPERLINK(1)", "Hakkeri")
    fake_service.bill(2025, 3, customer, "1", detail="=cmd")
    text = (await biller.get("/billing/2025/3/csv")).content.decode("utf-8-sig")
    assert ";'=cmd" in text


async def test_xlsx_export_has_numbers_and_totals(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino, _ = await two_customers(fake_service)
    response = await biller.get("/billing/2025/3/xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 7
    number, product = column("Customer number"), column("Product")
    lunch = next(r for r in line_rows(rows) if r[number] == str(aino) and r[product] == "Lunch")
    assert lunch[column("Customer")] == "Virtanen Aino"
    assert Decimal(str(lunch[column("Amount")])) == Decimal("170")
    assert Decimal(str(rows[-1][column("Amount")])) == Decimal("273.80")
    assert (await biller.get("/billing/2025/3/pdf")).status_code == 404


async def test_closing_freezes_and_later_changes_become_corrections(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino, eero = await two_customers(fake_service)
    confirm = await biller.get("/billing/2025/3/close")
    assert confirm.status_code == 200 and 'name="version" value="1"' in confirm.text
    response = await close(biller, 2025, 3)
    assert response.url.path == "/billing/2025/3"
    assert "Closed" in response.text or "Suljettu" in response.text
    assert await BilledLine.count() == 3
    closing = await AuditEntry.select().where(AuditEntry.action == "close").first()
    assert closing is not None
    assert closing["entity_id"] == "2025-03"

    fake_service.bill(2025, 3, aino, "22", detail="two more days")  # after closing
    fake_service.bill(2025, 3, eero, "0", "9.10")  # no longer billed
    march = (await biller.get("/api/billing/2025/3")).json()
    assert march["status"] == "closed" and Decimal(march["total_amount"]) == Decimal("273.80")

    april = (await biller.get("/api/billing/2025/4")).json()
    corrections = [
        (c["customer_id"], line["product"], Decimal(line["quantity"]), Decimal(line["amount"]))
        for c in april["customers"]
        for line in c["lines"]
    ]
    assert sorted(corrections) == sorted(
        [
            (aino, "Lunch", Decimal(2), Decimal("17.00")),
            (eero, "Lunch", Decimal(-10), Decimal("-91.00")),
        ]
    )
    lines = [line for c in april["customers"] for line in c["lines"]]
    assert all(line["is_correction"] and line["corrects"] == "2025-03" for line in lines)
    assert [line["correction_kind"] for line in lines] == ["change", "change"]
    page = (await biller.get("/billing/2025/4")).text
    assert "Correction to 3/2025" in page or "Oikaisu" in page
    # What changed against what was billed, not the line's detail of today ("two more days").
    assert "+2 Lunch (laskutettu 20, nyt 22)" in page


async def test_closing_the_next_month_settles_its_corrections(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino, _ = await two_customers(fake_service)
    closed = await close(biller, 2025, 3)
    assert notices(closed.text) == [("success", "Kuukausi 3/2025 on suljettu.")], closed.text
    fake_service.bill(2025, 3, aino, "21")
    fake_service.bill(2025, 4, aino, "18")
    response = await biller.post(
        "/api/billing/2025/4/close", json={"version": 1}, headers=api_headers(biller)
    )
    assert response.status_code == 200, response.text
    assert response.json()["correction_count"] == 1
    may = (await biller.get("/api/billing/2025/5")).json()
    assert may["line_count"] == 0  # settled in April, not billed again
    april_lines = await BilledLine.select().where(BilledLine.is_correction == True)  # noqa: E712
    assert [(r["corrects_year"], r["corrects_month"]) for r in april_lines] == [(2025, 3)]


async def test_stale_version_gets_409_on_the_api_and_a_conflict_page(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    await two_customers(fake_service)
    assert (await close(biller, 2025, 3)).status_code == 200
    response = await biller.post(
        "/api/billing/2025/3/close", json={"version": 1}, headers=api_headers(biller)
    )
    assert response.status_code == 409
    assert response.json()["current"]["status"] == "closed"
    page = await close(biller, 2025, 3)
    assert page.status_code == 409
    assert await BillingPeriodRecord.count() == 1


async def test_refusals_name_the_reason_and_write_nothing(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino, _ = await two_customers(fake_service)
    missing_confirmation = await post_form(biller, "/billing/2025/3/close", {"version": 1})
    assert missing_confirmation.status_code == 400
    assert 'id="f-confirm-error"' in missing_confirmation.text
    this_month = today()
    current_month = await biller.post(
        f"/api/billing/{this_month.year}/{this_month.month}/close",
        json={"version": 1},
        headers=api_headers(biller),
    )
    assert current_month.status_code == 400
    assert "period" in current_month.json()["errors"]
    assert (await close(biller, 2025, 2)).status_code == 200  # the first close starts billing
    fake_service.bill(2025, 4, aino, "3")
    blocked = await close(biller, 2025, 4)  # March still open and has lines
    assert blocked.status_code == 400
    assert 'href="/billing/2025/3"' in blocked.text
    assert (await close(biller, 2025, 1)).status_code == 400  # before billing started
    assert await BillingPeriodRecord.count() == 1
    assert await BilledLine.count() == 0  # February had no lines


async def test_empty_earlier_months_do_not_block_closing(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino, _ = await two_customers(fake_service)
    assert (await close(biller, 2025, 3)).status_code == 200
    fake_service.bill(2025, 6, aino, "5")
    response = await close(biller, 2025, 6)  # April and May have no lines
    assert response.status_code == 200
    assert "/billing/2025/6" == response.url.path


async def test_permissions_biller_closes_admin_views_others_are_refused(
    client: httpx.AsyncClient, fake_service: FakeService
) -> None:
    await two_customers(fake_service)
    await sign_in(client, await make_user("home_care"))
    assert (await client.get("/billing/2025/3")).status_code == 403
    assert (await client.get("/api/billing/2025/3")).status_code == 403
    assert (await client.get("/billing/2025/3/csv")).status_code == 403
    await sign_in(client, await make_user("admin"))
    assert (await client.get("/billing/2025/3")).status_code == 200
    assert "/billing/2025/3/close" not in (await client.get("/billing/2025/3")).text
    assert (await close(client, 2025, 3)).status_code == 403
    api_close = await client.post(
        "/api/billing/2025/3/close", json={"version": 1}, headers=api_headers(client)
    )
    assert api_close.status_code == 403
    await sign_in(client, await make_user("biller"))
    assert (await close(client, 2025, 3)).status_code == 200
    assert await BillingPeriodRecord.count() == 1


async def test_navigation_shows_billing_to_billers(biller: httpx.AsyncClient) -> None:
    page = (await biller.get("/")).text
    assert re.search(r'href="/billing"', page)


async def test_plugin_text_is_escaped_and_numbers_are_plain_in_json(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    customer = await add_customer("Aino", "Virtanen")
    fake_service.bill(2025, 3, customer, "40.000", "8.5000", product="<b>50% off</b>", detail="<i>")
    page = (await biller.get("/billing/2025/3")).text
    assert "&lt;b&gt;50% off&lt;/b&gt;" in page and "<i>" not in page
    line = (await biller.get("/api/billing/2025/3")).json()["customers"][0]["lines"][0]
    assert (line["quantity"], line["unit_price"], line["amount"]) == ("40", "8.5", "340.00")


async def test_dashboard_tells_billers_whether_last_month_is_closed(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, await make_user("biller"))
    last_month = previous_period(period_containing(today()))
    page = (await client.get("/")).text
    assert f'href="/billing/{last_month.year}/{last_month.month}"' in page
    await sign_in(client, await make_user("home_care"))
    assert "/billing/" not in (await client.get("/")).text


async def test_the_close_button_appears_only_for_ended_open_months(
    biller: httpx.AsyncClient,
) -> None:
    current = period_containing(today())
    page = (await biller.get(f"/billing/{current.year}/{current.month}")).text
    assert f"/billing/{current.year}/{current.month}/close" not in page
    assert "/billing/2025/3/close" in (await biller.get("/billing/2025/3")).text
