"""The biller's price pages, reached from the dashboard: next year's price, the closed-month
lock and overlaps refused next to the field, removal asked first."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from core.billing.tables import BillingPeriodRecord, Price
from tests.helpers import assert_asks_first, notices, post_confirmed, post_form


def link(page: str, text: str) -> str:
    match = re.search(r'<a[^>]*href="([^"]+)"[^>]*>\s*' + re.escape(text), page)
    assert match, f"no link {text!r}"
    return match[1]


async def test_biller_enters_next_years_price_from_the_dashboard(
    biller: httpx.AsyncClient,
) -> None:
    dashboard = await biller.get("/")
    prices = await biller.get(link(dashboard.text, "Hinnat"))
    assert prices.status_code == 200 and "Lounas" in prices.text
    lunch_href = link(prices.text, "Lounas")
    product = await biller.get(lunch_href)
    assert "Asetuksista" in product.text  # the seed price from valvomo.toml
    saved = await post_form(biller, lunch_href, {"amount": "7,10", "valid_from": "1.1.2027"})
    assert saved.status_code == 200
    assert ("success", "Hinta tallennettiin.") in notices(saved.text)
    assert "7,10" in saved.text and "31.12.2026" in saved.text


async def test_bad_prices_are_refused_next_to_the_field(biller: httpx.AsyncClient) -> None:
    await BillingPeriodRecord.insert(BillingPeriodRecord(year=2026, month=10, status="closed"))
    locked = await post_form(
        biller, "/billing/prices/lunch", {"amount": "7,10", "valid_from": "1.10.2026"}
    )
    assert locked.status_code == 400
    assert 'id="f-valid_from-error"' in locked.text and "lukittu" in locked.text
    assert 'value="7,10"' in locked.text  # the input is kept
    bad = await post_form(biller, "/billing/prices/lunch", {"amount": "7,1x", "valid_from": "x"})
    assert bad.status_code == 400 and 'id="f-amount-error"' in bad.text
    assert await Price.count() == 0


async def test_removing_a_price_asks_first(biller: httpx.AsyncClient) -> None:
    await post_form(biller, "/billing/prices/lunch", {"amount": "7,10", "valid_from": "1.1.2027"})
    new = await Price.select().where(Price.valid_from == dt.date(2027, 1, 1)).first()
    path = f"/billing/prices/lunch/{new['id']}/remove"
    await assert_asks_first(biller, path, {"version": new["version"]})
    assert await Price.count() == 3  # seeds of lunch (2) and the new one
    removed = await post_confirmed(biller, path, {"version": new["version"]})
    assert ("success", "Hinta poistettiin.") in notices(removed.text)
    assert await Price.count() == 2


async def test_a_coordinator_sees_no_price_pages(client: httpx.AsyncClient) -> None:
    from tests.helpers import make_user, sign_in

    await sign_in(client, await make_user("meal_coordinator"))
    assert (await client.get("/billing/prices")).status_code == 403


async def test_biller_records_a_fee_decision_from_the_customer_page(
    biller: httpx.AsyncClient,
) -> None:
    from core.billing.tables import FeeDecision
    from tests.core.billing.conftest import add_customer

    customer = await add_customer("Aino", "Virtanen")
    page = await biller.get(f"/customers/{customer}")
    fees = link(page.text, "Maksupäätökset")
    form = {"kind": "reduction", "percent": "150", "valid_from": "1.1.2027", "basis": "tulot",
            "decided_by": "Laine"}  # fmt: skip
    refused = await post_form(biller, fees, form)
    assert refused.status_code == 400 and 'id="f-percent-error"' in refused.text
    assert await FeeDecision.count() == 0
    saved = await post_form(biller, fees, {**form, "percent": "30"})
    assert ("success", "Maksupäätös tallennettiin.") in notices(saved.text)
    assert "30 %" in saved.text


async def test_biller_records_a_change_of_payer_from_the_customer_page(
    biller: httpx.AsyncClient,
) -> None:
    """The guardian takes over from 1.1.2027: the running payer ends the day before; a payer
    without an address and a start in a closed month are refused next to the field."""
    from core.customers.tables import CustomerPayer
    from tests.core.billing.conftest import add_customer

    await BillingPeriodRecord.insert(BillingPeriodRecord(year=2026, month=10, status="closed"))
    customer = await add_customer("Aino", "Virtanen")
    page = await biller.get(f"/customers/{customer}")
    payers = link(page.text, "Maksajat")
    first = {"valid_from": "1.11.2026", "name": "Virtanen Pekka", "relationship": "poika",
             "street_address": "Tie 1", "postal_code": "60100",
             "post_office": "Seinäjoki"}  # fmt: skip
    saved = await post_form(biller, payers, first)
    assert ("success", "Maksaja tallennettiin.") in notices(saved.text)
    no_address = {**first, "valid_from": "1.1.2027", "name": "Laine Liisa", "street_address": ""}
    refused = await post_form(biller, payers, no_address)
    assert refused.status_code == 400 and 'id="f-street_address-error"' in refused.text
    closed = await post_form(biller, payers, {**first, "valid_from": "1.10.2026"})
    assert closed.status_code == 400 and 'id="f-valid_from-error"' in closed.text
    guardian = {**no_address, "street_address": "Kirkkotie 2", "relationship": "edunvalvoja"}
    saved = await post_form(biller, payers, guardian)
    assert ("success", "Maksaja tallennettiin.") in notices(saved.text)
    assert "31.12.2026" in saved.text and "Laine Liisa" in saved.text
    rows = await CustomerPayer.select().order_by(CustomerPayer.valid_from)
    assert [(r["name"], r["valid_to"]) for r in rows] == [
        ("Virtanen Pekka", dt.date(2026, 12, 31)),
        ("Laine Liisa", None),
    ]
