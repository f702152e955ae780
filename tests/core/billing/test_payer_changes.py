"""A payer period is corrected or ended from the customer's payer page: reached by links,
overlaps and closed months refused next to the field, shortening and ending asked first,
every change audited and a stale form answered with the conflict page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import httpx

from core.audit.tables import AuditEntry
from core.billing import invoices, services
from core.billing.tables import BillingPeriodRecord
from core.common.clock import now
from core.customers.tables import CustomerPayer
from core.plugins import BillingLine, BillingPeriod
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer
from tests.core.billing.fake_service import FakeService
from tests.helpers import assert_asks_first, notices, post_confirmed, post_form

GUARDIAN = {"name": "Laine Liisa", "relationship": "edunvalvoja", "street_address": "Tie 1",
            "postal_code": "60100", "post_office": "Seinäjoki"}  # fmt: skip


def links(page: str, text: str) -> list[str]:
    found = re.findall(r'<a[^>]*href="([^"]+)"[^>]*>\s*' + re.escape(text), page)
    assert found, f"no link {text!r}"
    return found


async def payer_pages(biller: httpx.AsyncClient, customer: int) -> tuple[str, list[str]]:
    """The customer's payer page and its periods' change pages, followed by links."""
    customer_page = await biller.get(f"/customers/{customer}")
    history = links(customer_page.text, "Maksajat")[0]
    page = await biller.get(history)
    return history, links(page.text, "Muuta tai lopeta")


async def periods() -> list[tuple[str, dt.date, dt.date | None]]:
    rows = await CustomerPayer.select().order_by(CustomerPayer.valid_from)
    return [(r["name"], r["valid_from"], r["valid_to"]) for r in rows]


async def test_biller_corrects_an_address_and_ends_the_payer(biller: httpx.AsyncClient) -> None:
    customer = await add_customer("Aino", "Virtanen")
    customer_page = await biller.get(f"/customers/{customer}")
    history = links(customer_page.text, "Maksajat")[0]
    await post_form(biller, history, {**GUARDIAN, "valid_from": "1.1.2027"})
    _, (change,) = await payer_pages(biller, customer)
    form = await biller.get(change)
    assert form.status_code == 200 and 'value="1.1.2027"' in form.text
    saved = await post_form(
        biller,
        change,
        {
            **GUARDIAN,
            "street_address": "Kirkkotie 2",
            "valid_from": "1.1.2027",
            "version": "1",
        },
    )
    assert ("success", "Maksaja tallennettiin.") in notices(saved.text)
    assert "Kirkkotie 2" in saved.text
    end = change + "/end"
    await assert_asks_first(biller, end, {"last_day": "31.3.2027", "version": "2"})
    assert await periods() == [("Laine Liisa", dt.date(2027, 1, 1), None)]
    ended = await post_confirmed(biller, end, {"last_day": "31.3.2027", "version": "2"})
    assert ("success", "Maksaja tallennettiin.") in notices(ended.text)
    assert await periods() == [("Laine Liisa", dt.date(2027, 1, 1), dt.date(2027, 3, 31))]
    updates = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(
        (AuditEntry.entity == "payer") & (AuditEntry.action == "update")
    )
    assert len(updates) == 2
    stale = await post_confirmed(biller, end, {"last_day": "28.2.2027", "version": "2"})
    assert stale.status_code == 409


async def test_overlaps_and_closed_months_are_refused_next_to_the_field(
    biller: httpx.AsyncClient,
) -> None:
    """October 2026 is closed: the guardian from 1.1.2000 has been invoiced, so only its end can
    change, and not into October; the next payer cannot be moved onto the guardian's days."""
    await BillingPeriodRecord.insert(BillingPeriodRecord(year=2026, month=10, status="closed"))
    customer = await add_customer("Aino", "Virtanen")
    await CustomerPayer.insert(
        CustomerPayer(customer=customer, valid_from=dt.date(2000, 1, 1),
                      valid_to=dt.date(2026, 12, 31), created_at=now(),
                      **GUARDIAN),
        CustomerPayer(customer=customer, valid_from=dt.date(2027, 1, 1), created_at=now(),
                      **{**GUARDIAN, "name": "Virtanen Pekka"}),
    )  # fmt: skip
    _, (billed, later) = await payer_pages(biller, customer)
    before = await periods()
    renamed = await post_form(
        biller,
        billed,
        {
            **GUARDIAN,
            "name": "Laine Liisa-Maria",
            "valid_from": "1.1.2000",
            "valid_to": "31.12.2026",
            "version": "1",
        },
    )
    assert renamed.status_code == 400 and 'id="f-name-error"' in renamed.text
    into_closed = await post_confirmed(
        biller, billed + "/end", {"last_day": "15.10.2026", "version": "1"}
    )
    assert into_closed.status_code == 400 and 'id="f-last_day-error"' in into_closed.text
    overlap = await post_form(
        biller,
        later,
        {
            **GUARDIAN,
            "name": "Virtanen Pekka",
            "valid_from": "1.12.2026",
            "version": "1",
        },
    )
    assert overlap.status_code == 400 and 'id="f-valid_from-error"' in overlap.text
    assert await periods() == before
    ended = await post_confirmed(
        biller, billed + "/end", {"last_day": "30.11.2026", "version": "1"}
    )
    assert ("success", "Maksaja tallennettiin.") in notices(ended.text)
    assert (await periods())[0][2] == dt.date(2026, 11, 30)


async def test_shortening_in_the_form_asks_first(biller: httpx.AsyncClient) -> None:
    customer = await add_customer("Aino", "Virtanen")
    await CustomerPayer.insert(
        CustomerPayer(customer=customer, valid_from=dt.date(2027, 1, 1),
                      created_at=now(), **GUARDIAN)
    )  # fmt: skip
    _, (change,) = await payer_pages(biller, customer)
    later = {**GUARDIAN, "valid_from": "1.2.2027", "version": "1"}
    await assert_asks_first(biller, change, later)
    assert (await periods())[0][1] == dt.date(2027, 1, 1)
    await post_confirmed(biller, change, later)
    assert (await periods())[0][1] == dt.date(2027, 2, 1)


async def test_another_customers_payer_is_not_found(biller: httpx.AsyncClient) -> None:
    aino, pekka = await add_customer("Aino", "Virtanen"), await add_customer("Pekka", "Laine")
    rows = await CustomerPayer.insert(
        CustomerPayer(customer=aino, valid_from=dt.date(2027, 1, 1),
                      created_at=now(), **GUARDIAN)
    ).returning(CustomerPayer.id)  # fmt: skip
    path = f"/billing/customers/{pekka}/payers/{rows[0]['id']}"
    assert (await biller.get(path)).status_code == 404
    ended = await post_confirmed(biller, path + "/end", {"last_day": "1.2.2027", "version": "1"})
    assert ended.status_code == 404
    assert (await periods())[0][2] is None


async def test_a_guardian_from_mid_month_receives_only_the_days_from_then(
    runtime: Runtime, fake_service: FakeService
) -> None:
    """Lunches on 1.–30.6. at 8,35 €, a guardian from 16.6.: the guardian's invoice has 16.–30.6.,
    the customer's 1.–15.6., the amounts add up to the month's to the cent, and a delivery fee
    without days goes to the payer on the month's last day."""
    june = BillingPeriod(2025, 6)
    customer = await add_customer("Aino", "Virtanen")
    await CustomerPayer.insert(
        CustomerPayer(customer=customer, valid_from=dt.date(2025, 6, 16), created_at=now(),
                      **GUARDIAN)
    )  # fmt: skip
    every_day = ",".join(str(d) for d in range(1, 31))
    fake_service.lines[(2025, 6)] = [
        BillingLine(customer, "meals", "lunch", "Lounas", Decimal(30), Decimal("8.35"),
                    days=every_day),
        BillingLine(customer, "meals", "monthly_fee", "Kuukausimaksu", Decimal(1), Decimal(5)),
    ]  # fmt: skip
    bill = await services.month_bill(runtime.host, june)
    month = await invoices.invoice_month(bill, with_identity_codes=False)
    by_payer = {c.payer.name: c for c in month.customers}
    assert set(by_payer) == {"Laine Liisa", "Virtanen Aino"}
    own, guardian = by_payer["Virtanen Aino"], by_payer["Laine Liisa"]
    assert [(i.line.days, i.line.detail) for i in own.lines] == [
        (",".join(str(d) for d in range(1, 16)), "1.–15.6.")
    ]
    assert {i.line.product: i.line.quantity for i in guardian.lines} == {
        "lunch": 15,
        "monthly_fee": 1,
    }
    assert own.amount + guardian.amount == bill.total_amount == Decimal("255.50")
