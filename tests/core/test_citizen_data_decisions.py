"""The citizen's own data (page, JSON, PDF) holds the decisions about their services: the meal
service's and the security phone's, with decision maker, basis and dates, as on the page of
decisions; a relative sees only those of services their right names."""

from __future__ import annotations

import datetime as dt
import io
import json

import httpx
from pypdf import PdfReader

from core.common.clock import today
from core.customers.services import get_customer
from core.db import transaction
from core.i18n import fmt_date
from plugins.meals import decisions as meal_decisions
from plugins.security_phones import decisions as phone_decisions
from plugins.security_phones.tables import PhoneService
from tests.citizens import (
    customer_with_code,
    href,
    identify,
    new_identity_code,
    person_at_broker,
    record_right,
    staff_beside,
)
from tests.helpers import SYSTEM, assert_no_code_on_screen, post_form
from tests.oidc_provider import Provider
from tests.plugins.meals.conftest import active_service, new_region

MEALS_TITLE = "Ateriapalvelu: aloituspäätös"
PHONE_TITLE = "Turvapuhelin: päätös palvelun myöntämisestä"


def meals_decided() -> dt.date:
    return today() - dt.timedelta(days=3)


def phone_decided() -> dt.date:
    return today() - dt.timedelta(days=12)


def phone_start() -> dt.date:
    return today() - dt.timedelta(days=8)


MEALS_MAKER = "Johtava sosiaalityöntekijä Koski"
MEALS_BASIS = "Muistisairaus, ruoanlaitto ei onnistu."
MAKERS = (MEALS_MAKER, "Palveluohjaaja Mäkelä")


async def customer_with_decisions(code: str) -> int:
    """A customer with a meal service's opening decision and a security phone's decision to
    grant the service, each with its own decision maker and basis."""
    customer = await customer_with_code(code)
    meals = await active_service(await new_region(), customer=customer)
    phone = await PhoneService.insert(
        PhoneService(customer=customer, decision_date=phone_decided(), start_date=phone_start())
    ).returning(PhoneService.id)
    record = await get_customer(customer)
    async with transaction():
        await meal_decisions.record_decision(
            SYSTEM, meals, record, "opening",
            {"decided_on": meals_decided(), "decision_maker": MEALS_MAKER,
             "basis": MEALS_BASIS},
            today() + dt.timedelta(days=2),
        )  # fmt: skip
        await phone_decisions.NOTICES.record(
            SYSTEM, record, "opening",
            {"decided_on": phone_decided(), "decision_maker": "Palveluohjaaja Mäkelä",
             "basis": "Kaatumisriski, asuu yksin."},
            phone_start(), service=phone[0]["id"],
        )  # fmt: skip
    return customer


async def test_the_customers_data_holds_their_decisions_on_the_page_in_json_and_pdf(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    await customer_with_decisions(code)
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    page = await citizen_client.get(href(front.text, "/oma/my-data"))
    assert page.status_code == 200
    decisions = page.text.split("<h2>Päätökset</h2>", 1)[1].split("<h2>", 1)[0]
    shown = {title_of(section): section for section in decisions.split("<h3>")[1:]}
    phone = shown[PHONE_TITLE]
    assert f"Päätöspäivä</dt><dd>{fmt_date(phone_decided())}</dd>" in phone
    assert f"Voimassa alkaen</dt><dd>{fmt_date(phone_start())}</dd>" in phone
    assert "Palveluohjaaja Mäkelä" in phone and "Kaatumisriski, asuu yksin." in phone
    [meals] = [s for s in decisions.split("<h3>") if MEALS_MAKER in s]
    assert title_of(meals) == MEALS_TITLE and MEALS_BASIS in meals
    assert f"Päätöspäivä</dt><dd>{fmt_date(meals_decided())}</dd>" in meals
    assert_no_code_on_screen(page.text, "own data with decisions")

    data = json.loads((await citizen_client.get(href(page.text, "/oma/my-data.json"))).text)
    days = [d["decided_on"] for d in data["decisions"]]
    assert days == sorted(days, reverse=True)  # newest first, as on the page of decisions
    # (opening the meal service in the fixture records a decision of its own too)
    assert [d for d in data["decisions"] if d["decision_maker"] in MAKERS] == [
        {"title": MEALS_TITLE, "decided_on": meals_decided().isoformat(),
         "effective_date": (today() + dt.timedelta(days=2)).isoformat(),
         "decision_maker": MEALS_MAKER, "basis": MEALS_BASIS},
        {"title": PHONE_TITLE, "decided_on": phone_decided().isoformat(),
         "effective_date": phone_start().isoformat(),
         "decision_maker": "Palveluohjaaja Mäkelä", "basis": "Kaatumisriski, asuu yksin."},
    ]  # fmt: skip

    pdf = await citizen_client.get(href(page.text, "/oma/my-data.pdf"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
    )
    assert "Päätökset" in text and MEALS_TITLE in text and PHONE_TITLE in text
    assert "Päätöksentekijä: Palveluohjaaja Mäkelä" in text
    assert "Peruste: Kaatumisriski, asuu yksin." in text
    assert f"Päätöspäivä: {fmt_date(meals_decided())}" in text
    assert f"Voimassa alkaen: {fmt_date(phone_start())}" in text


def title_of(section: str) -> str:
    return section.split("</h3>", 1)[0]


async def test_a_relatives_download_holds_only_the_decisions_of_services_their_right_names(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    customer = await customer_with_decisions(new_identity_code())
    proxy = new_identity_code()
    async with staff_beside(citizen_client) as staff:
        await record_right(staff, customer, proxy, services="meals")
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, proxy))
    front = await post_form(citizen_client, "/oma/choose", {"customer": str(customer)})
    page = await citizen_client.get(href(front.text, "/oma/my-data"))
    assert MEALS_TITLE in page.text and PHONE_TITLE not in page.text
    data = json.loads((await citizen_client.get(href(page.text, "/oma/my-data.json"))).text)
    assert {d["title"] for d in data["decisions"]} == {MEALS_TITLE}
