"""The security phone on Oma Valvomo: the customer sees their service and the devices at home,
and finds them in their own data; a relative whose right names other services does not."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import httpx
import pytest
from litestar import Litestar
from pypdf import PdfReader

from core.audit.tables import AuditEntry
from core.common.clock import today
from core.customers.tables import Customer
from core.i18n import fmt_date
from core.notifications.tables import OutboxMessage
from core.web.runtime import Runtime
from plugins.security_phones.tables import Device, Installation, PhoneDecision, PhoneService
from tests.citizens import (
    customer_with_code,
    href,
    identify,
    new_identity_code,
    person_at_broker,
    record_right,
)
from tests.helpers import (
    assert_no_code_on_screen,
    make_user,
    post_confirmed,
    post_form,
    sign_in,
)
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


async def test_staff_records_the_decisions_and_the_customer_reads_them_with_maker_and_basis(
    coordinator: httpx.AsyncClient, citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    """Starting a service records the decision to grant it and ending it the decision to end
    it, each with its decision maker and basis, entered on the staff page's forms; the
    customer reads both on their page of decisions, as meal-service decisions are shown."""
    code = new_identity_code()
    customer = await customer_with_code(code)
    await Customer.update({Customer.phone: "+358401234567"}).where(Customer.id == customer)
    decided, start = today() - dt.timedelta(days=10), today() - dt.timedelta(days=5)
    last_day = today() + dt.timedelta(days=20)
    staff_page = f"/security-phones/customers/{customer}"
    page = await coordinator.get(staff_page)
    start_form = form_fields(page.text, f"{staff_page}/service")
    assert {"decision_date", "decision_maker", "basis", "start_date"} <= start_form
    opening = {
        "decision_date": fmt_date(decided),
        "start_date": fmt_date(start),
        "decision_maker": "Sosiaaliohjaaja Laine",
        "basis": "Kaatumisriski, asuu yksin.",
    }
    missing = await post_form(coordinator, f"{staff_page}/service",
                              {**opening, "decision_maker": ""})  # fmt: skip
    assert missing.status_code == 400 and 'id="f-decision_maker-error"' in missing.text
    assert await PhoneService.count() == 0 and await PhoneDecision.count() == 0
    started = await post_form(coordinator, f"{staff_page}/service", opening)
    assert started.status_code == 200 and "Sosiaaliohjaaja Laine" in started.text
    end_form = form_fields(started.text, f"{staff_page}/end")
    assert {"decided_on", "decision_maker", "basis", "end_date"} <= end_form
    service = await PhoneService.select().where(PhoneService.customer == customer).first()
    ending = {"end_date": fmt_date(last_day), "version": service["version"],
              "decided_on": fmt_date(today()), "decision_maker": "Palveluohjaaja Mäkelä",
              "basis": "Muuttaa palvelutaloon."}  # fmt: skip
    future = {**ending, "decided_on": fmt_date(today() + dt.timedelta(days=1))}
    refused = await post_confirmed(coordinator, f"{staff_page}/end", future)
    assert refused.status_code == 400 and 'id="f-decided_on-error"' in refused.text
    assert await PhoneDecision.count() == 1
    ended = await post_confirmed(coordinator, f"{staff_page}/end", ending)
    assert ended.status_code == 200 and "Palveluohjaaja Mäkelä" in ended.text
    audited = await AuditEntry.select(AuditEntry.entity).where(
        (AuditEntry.customer_id == customer) & (AuditEntry.action == "create")
    )
    assert [a["entity"] for a in audited].count("sp_decision") == 2
    # The customer's phone takes text messages: each decision is told by SMS, in Finnish.
    told = await OutboxMessage.select().where(OutboxMessage.customer_id == customer)
    assert sorted(m["reference"].rsplit(":", 1)[0] for m in told) == [
        "security_phones:decision", "security_phones:decision"]  # fmt: skip
    assert any("myönnetty turvapuhelinpalvelu" in m["body"] and "Laine" in m["body"]
               for m in told)  # fmt: skip
    assert "Tekstiviesti" in ended.text

    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    decisions = await citizen_client.get(href(front.text, "/oma/decisions"))
    assert decisions.status_code == 200
    granted = section_of(decisions.text, "Turvapuhelin: päätös palvelun myöntämisestä")
    assert f"<dd>{finnish(decided)}</dd>" in granted
    assert f"Voimassa alkaen</dt><dd>{finnish(start)}</dd>" in granted
    assert "Sosiaaliohjaaja Laine" in granted and "Kaatumisriski, asuu yksin." in granted
    ending_section = section_of(decisions.text, "Turvapuhelin: päätös palvelun päättämisestä")
    assert f"<dd>{finnish(today())}</dd>" in ending_section
    assert f"Voimassa alkaen</dt><dd>{finnish(last_day)}</dd>" in ending_section
    assert "Palveluohjaaja Mäkelä" in ending_section and "Muuttaa palvelutaloon." in ending_section
    assert_no_code_on_screen(decisions.text, "decisions with a security phone")
    letter = await citizen_client.get(href(ending_section, "/oma/security-phones/decisions/"))
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(letter.content)).pages[0].extract_text().split())
    assert "Päätös turvapuhelinpalvelustasi" in text and "Palveluohjaaja Mäkelä" in text
    assert f"viimeinen palvelupäivä on {finnish(last_day)}" in text


def form_fields(html: str, action: str) -> set[str]:
    """The names of the fields of the form posting to `action`."""
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return set(re.findall(r'name="([a-z_]+)"', form))


def section_of(html: str, title: str) -> str:
    return html.split(title, 1)[1].split("</section>", 1)[0]


async def test_services_started_before_decisions_were_kept_get_their_opening_decision(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration's step gives each existing service its decision to grant it, from the
    service's dates; the customer's page then shows the dates and leaves maker and basis out."""
    from importlib import import_module

    from core import piccolo_conf
    from plugins.security_phones.decisions import citizen_view

    # The step writes through Piccolo's engine finder, as `valvomo migrate` sets it; another
    # test of this process may have migrated another database since this one.
    monkeypatch.setattr(piccolo_conf, "DB", runtime.database.engine)

    customer, start = await phone_customer(new_identity_code())
    assert await PhoneDecision.count() == 0
    step = import_module(
        "plugins.security_phones.migrations.security_phones_2026_11_26t09_57_19_000000"
    )
    manager = await step.forwards()
    for raw in manager.raw:
        await raw()
    [decision] = await citizen_view(customer)
    assert decision.title == "Security phone: decision to grant the service"
    assert (decision.decided_on, decision.effective_date) == (start - dt.timedelta(days=5), start)
    assert (decision.decision_maker, decision.basis, decision.letter_href) == ("", "", "")
    row = await PhoneDecision.select(PhoneDecision.created_at).first()
    assert row["created_at"].tzinfo is not None
