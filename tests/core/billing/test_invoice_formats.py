"""Every invoice format read back: payers, identity codes for billers only, totals, euro format,
negative totals flagged, correction wording, JSON lines; each export in every customer's log."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import httpx
import openpyxl

from core.audit.sealing import verify_chain
from core.audit.tables import AuditEntry
from core.billing import services
from core.customers import payers
from core.customers.tables import Customer
from core.db import transaction
from core.i18n import gettext
from core.plugins import BillingLine, BillingPeriod, hookimpl
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer, column, line_rows
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM, api_headers, make_user, sign_in

OCT, NOV = BillingPeriod(2025, 10), BillingPeriod(2025, 11)


async def with_payer(customer_id: int) -> None:
    await Customer.update({Customer.external_number: "A-1001"}).where(Customer.id == customer_id)
    async with transaction():
        await payers.add_payer(SYSTEM, customer_id, {
            "valid_from": "1.1.2025", "name": "Korhonen Liisa", "relationship": "edunvalvoja",
            "street_address": "Kirkkokatu 3", "postal_code": "60100", "post_office": "Seinäjoki",
        }, None)  # fmt: skip


def lunch(customer: int, quantity: str, days: str, price: str = "6.8") -> BillingLine:
    return BillingLine(customer, "meals", "lunch", "Lunch", Decimal(quantity), Decimal(price),
                       detail=days, days=days)  # fmt: skip


async def csv_rows(client: httpx.AsyncClient, path: str) -> list[list[str]]:
    text = (await client.get(path)).content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


async def test_csv_groups_by_payer_with_totals_and_identity_codes_for_billers(
    client: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino = await add_customer("Aino", "Virtanen")
    eero = await add_customer("Eero", "Aalto")
    await with_payer(aino)
    fake_service.lines[(2025, 10)] = [lunch(aino, "3", "1,2,3"), lunch(eero, "1", "4")]
    await sign_in(client, await make_user("biller"))
    rows = await csv_rows(client, "/billing/2025/10/csv")
    lines = line_rows(rows)
    assert [r[column("Payer")] for r in lines] == ["Aalto Eero", "Korhonen Liisa"]
    virtanen = lines[1]
    assert virtanen[column("Customer number")] == "A-1001"
    assert virtanen[column("Payer's address")] == "Kirkkokatu 3, 60100 Seinäjoki"
    assert virtanen[column("Identity code")].startswith("TEST")
    assert virtanen[column("Unit price")] == "6,80"
    assert virtanen[column("Municipality")] == "Seinäjoki"
    totals = [r for r in rows[1:] if not r[column("Product")]]
    assert [r[column("Amount")] for r in totals] == ["6,80", "20,40", "27,20"]
    logged = await AuditEntry.select(AuditEntry.customer_id).where(
        (AuditEntry.action == "export") & AuditEntry.customer_id.is_not_null()
    )
    assert sorted(r["customer_id"] for r in logged) == sorted([aino, eero])
    assert not (await verify_chain())[1]

    await sign_in(client, await make_user("admin"))  # sees billing, is not a biller
    rows = await csv_rows(client, "/billing/2025/10/csv")
    assert all(r[column("Identity code")] == "" for r in line_rows(rows))


async def test_corrections_say_what_changed_and_negative_totals_are_flagged(
    runtime: Runtime, biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino = await add_customer("Aino", "Virtanen")
    fake_service.lines[(2025, 10)] = [
        lunch(aino, "4", "1,2,5,6"),
        BillingLine(aino, "meals", "delivery", "Deliveries", Decimal(2), Decimal("2.9"),
                    days="1,5"),
    ]  # fmt: skip
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, OCT, 1, NOV.last_day)
    # October changes after closing: 3.–4.10. added, 5.10. delivery removed; November is empty.
    fake_service.lines[(2025, 10)] = [
        lunch(aino, "6", "1,2,3,4,5,6"),
        BillingLine(aino, "meals", "delivery", "Deliveries", Decimal(1), Decimal("2.9"),
                    days="1"),
    ]  # fmt: skip
    fake_service.lines[(2025, 11)] = [
        BillingLine(aino, "meals", "refund", "Refund", Decimal(1), Decimal("-20"))
    ]
    response = await biller.get("/billing/2025/11/xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    details = {r[column("Description")]: r[column("Detail")] for r in line_rows(rows)}
    lunch_name, delivery_name = gettext("lunch"), gettext("delivery")
    assert details["Lunch"] == f"+2 {lunch_name} 3.–4.10."
    assert details["Deliveries"] == f"\u22121 {delivery_name} 5.10."
    total = next(r for r in rows[1:] if r[column("Description")] == gettext("Customer total"))
    assert Decimal(str(total[column("Amount")])) == Decimal("-9.30")  # 13.60 − 2.90 − 20
    assert total[column("Note")]  # flagged
    amount_cell = sheet.cell(row=2, column=column("Amount") + 1)
    assert "€" in amount_cell.number_format
    price_cell = sheet.cell(row=2, column=column("Unit price") + 1)
    assert "€" in price_cell.number_format


async def test_json_lines_over_the_api_and_the_cli(
    runtime: Runtime, biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino = await add_customer("Aino", "Virtanen")
    await with_payer(aino)
    fake_service.lines[(2025, 10)] = [lunch(aino, "3", "1,2,3")]
    response = await biller.get("/api/billing/2025/10/export/jsonl", headers=api_headers(biller))
    assert response.status_code == 200
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [r["type"] for r in records] == ["month", "customer", "total"]
    assert records[0] == {"type": "month", "version": 1, "month": "2025-10", "status": "open"}
    customer = records[1]
    assert customer["customer_number"] == "A-1001" and customer["identity_code"]
    assert customer["payer"]["name"] == "Korhonen Liisa"
    assert customer["payer"]["relationship"] == "edunvalvoja"
    assert customer["lines"][0]["unit_price"] == "6.80"
    assert customer["lines"][0]["amount"] == "20.40" and customer["lines"][0]["days"] == "1,2,3"
    assert records[2] == {"type": "total", "customers": 1, "lines": 1, "amount": "20.40"}
    from tests.helpers import run_cli

    cli = run_cli(runtime, "billing", "export", "2025-10", "--format", "jsonl",
                  config=CONFIG_WITHOUT_PLUGINS)  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout.splitlines()[0])["month"] == "2025-10"


CONFIG_WITHOUT_PLUGINS = "[plugins]\nenabled = []\n"


class FixedWidth:
    """A region's own format, added without touching core."""

    @hookimpl
    def valvomo_invoice_formats(self) -> list[object]:
        from core.billing.invoices import InvoiceFormat

        def write(month: object) -> bytes:
            return b"".join(
                f"{c.number:<10}{c.amount:>12}\n".encode()
                for c in month.customers  # type: ignore[attr-defined]
            )

        return [InvoiceFormat("fixed", "Fixed width", "text/plain", "txt", write)]


async def test_a_plugin_adds_its_own_format(
    runtime: Runtime, biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    aino = await add_customer("Aino", "Virtanen")
    fake_service.lines[(2025, 10)] = [lunch(aino, "3", "1,2,3")]
    runtime.host.pm.register(FixedWidth(), name="fixed_width")
    try:
        page = await biller.get("/billing/2025/10")
        assert "/billing/2025/10/fixed" in page.text
        response = await biller.get("/billing/2025/10/fixed")
        assert response.text == f"{aino:<10}{'20.40':>12}\n"
    finally:
        runtime.host.pm.unregister(name="fixed_width")


async def test_each_month_goes_to_the_payer_in_force_then(
    biller: httpx.AsyncClient, fake_service: FakeService
) -> None:
    """A guardian from 1.11.2025: October's invoice still goes to the customer."""
    aino = await add_customer("Aino", "Virtanen")
    async with transaction():
        await payers.add_payer(SYSTEM, aino, {
            "valid_from": "1.11.2025", "name": "Korhonen Liisa", "relationship": "edunvalvoja",
            "street_address": "Kirkkokatu 3", "postal_code": "60100", "post_office": "Seinäjoki",
        }, None)  # fmt: skip
    fake_service.lines[(2025, 10)] = [lunch(aino, "1", "1")]
    fake_service.lines[(2025, 11)] = [lunch(aino, "1", "3")]
    for month, payer in (("10", "Virtanen Aino"), ("11", "Korhonen Liisa")):
        response = await biller.get(
            f"/api/billing/2025/{month}/export/jsonl", headers=api_headers(biller)
        )
        customer = [json.loads(line) for line in response.text.splitlines()][1]
        assert customer["payer"]["name"] == payer, month
        rows = await csv_rows(biller, f"/billing/2025/{month}/csv")
        assert rows[1][column("Payer")] == payer
