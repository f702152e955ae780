"""The security phone on Oma Valvomo: the customer sees their service and the devices at home,
and finds them in their own data; a relative whose right names other services does not."""

from __future__ import annotations

import datetime as dt
import json

import httpx
from litestar import Litestar

from core.common.clock import today
from plugins.security_phones.tables import Device, Installation, PhoneService
from tests.citizens import (
    customer_with_code,
    href,
    identify,
    new_identity_code,
    person_at_broker,
    record_right,
)
from tests.helpers import assert_no_code_on_screen, make_user, post_form, sign_in
from tests.oidc_provider import Provider


async def phone_customer(code: str) -> tuple[int, dt.date]:
    customer = await customer_with_code(code)
    start = today() - dt.timedelta(days=40)
    await PhoneService.insert(
        PhoneService(
            customer=customer, decision_date=start - dt.timedelta(days=5), start_date=start
        )
    )
    serial = f"TP-{customer}"
    device = await Device.insert(
        Device(
            serial_number=serial,
            model="Turvis 3",
            kind="base_unit",
            status="installed",
            customer=customer,
        )
    ).returning(Device.id)
    await Installation.insert(
        Installation(device=device[0]["id"], customer=customer, installed_on=start)
    )
    return customer, start


async def test_the_customer_sees_their_security_phone_and_finds_it_in_their_data(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    _customer, start = await phone_customer(code)
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    assert "Turvapuhelin" in front.text
    assert f"Voimassa {start.day}.{start.month}.{start.year} alkaen" in front.text
    assert "Turvis 3 (Perusyksikkö)" in front.text
    assert_no_code_on_screen(front.text, "Oma Valvomo with a security phone")
    page = await citizen_client.get("/oma/my-data")
    assert "Asennetut laitteet" in page.text and "Turvis 3 (Perusyksikkö)" in page.text
    assert_no_code_on_screen(page.text, "own data with a security phone")
    data = json.loads((await citizen_client.get("/oma/my-data.json")).text)
    [service] = data["services"]["Turvapuhelin"]
    assert service["start_date"] == start.isoformat()
    assert service["devices"] == "Turvis 3 (Perusyksikkö)"


async def test_a_relative_without_the_security_phone_right_does_not_see_it(
    citizen_site: Litestar, oidc_provider: Provider
) -> None:
    customer, _start = await phone_customer(new_identity_code())
    proxy_code = new_identity_code()
    transport = httpx.ASGITransport(app=citizen_site, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as client:
        await sign_in(client, await make_user("client_guidance"))
        await record_right(client, customer, proxy_code, services="meals")
        client.cookies.clear()
        await identify(client, oidc_provider, person_at_broker(oidc_provider, proxy_code))
        front = await post_form(client, "/oma/choose", {"customer": str(customer)})
        assert "asioit henkilön" in front.text
        assert "Turvapuhelin" not in front.text
        decisions = await client.get(href(front.text, "/oma/decisions"))
        assert decisions.status_code == 200 and "Turvapuhelin" not in decisions.text


def finnish(day: dt.date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


async def test_the_decision_granting_the_service_is_on_the_customers_decisions_page(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    """The plugin keeps a decision date and a start date, no decision maker, basis or letter:
    the page shows what there is and leaves out the rest."""
    code = new_identity_code()
    _customer, start = await phone_customer(code)
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    page = await citizen_client.get(href(front.text, "/oma/decisions"))
    assert page.status_code == 200
    section = page.text.split("Turvapuhelin: päätös palvelun myöntämisestä", 1)[1]
    section = section.split("</section>", 1)[0]
    assert f"<dd>{finnish(start - dt.timedelta(days=5))}</dd>" in section
    assert f"Voimassa alkaen</dt><dd>{finnish(start)}</dd>" in section
    assert "Päätöksentekijä" not in section and "PDF" not in section
    assert_no_code_on_screen(page.text, "decisions with a security phone")
