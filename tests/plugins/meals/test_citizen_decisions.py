"""The customer sees the decisions about their meal service and the messages sent to them on
Oma Valvomo: date, decision maker, basis, the letter as PDF; a proxy only with a meals right."""

from __future__ import annotations

import datetime as dt

import httpx

from core.audit.tables import AuditEntry
from core.common.clock import today
from core.config import NotificationSettings
from core.customers.services import get_customer
from core.customers.tables import Customer
from core.db import transaction
from core.i18n import fmt_date
from plugins.meals import decisions
from tests.citizens import (
    customer_with_code,
    href,
    identify,
    new_identity_code,
    person_at_broker,
    record_right,
    staff_beside,
)
from tests.core.notifications.conftest import (  # noqa: F401  (fixtures used below)
    gateway,
    gateway_process,
    make_worker,
    notification_settings,
    smtp,
    smtp_server,
)
from tests.helpers import SYSTEM, assert_no_code_on_screen, post_form
from tests.oidc_provider import Provider
from tests.plugins.meals.conftest import active_service, new_region

DECIDED = {"decision_maker": "Sosiaaliohjaaja Laine", "basis": "Kotona asumisen tuki"}


async def customer_with_decision(code: str, phone: str = "+358401234567") -> tuple[int, int]:
    customer = await customer_with_code(code)
    await Customer.update({Customer.phone: phone}).where(Customer.id == customer)
    service = await active_service(await new_region(), customer=customer)
    decided_on = today() - dt.timedelta(days=3)
    async with transaction():
        decision = await decisions.record_decision(
            SYSTEM, service, await get_customer(customer), "opening",
            {"decided_on": decided_on, **DECIDED}, today() + dt.timedelta(days=2),
        )  # fmt: skip
    return customer, decision


async def test_customer_reads_decisions_and_notices_and_the_letter(
    citizen_client: httpx.AsyncClient,
    oidc_provider: Provider,
    notification_settings: NotificationSettings,  # noqa: F811
) -> None:
    code = new_identity_code()
    customer, _decision = await customer_with_decision(code)
    assert await make_worker(notification_settings).run_until_idle() >= 1
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    page = await citizen_client.get(href(front.text, "/oma/decisions"))
    assert page.status_code == 200
    assert "Ateriapalvelu: aloituspäätös" in page.text
    assert fmt_date(today() - dt.timedelta(days=3)) in page.text
    assert fmt_date(today() + dt.timedelta(days=2)) in page.text
    assert "Sosiaaliohjaaja Laine" in page.text and "Kotona asumisen tuki" in page.text
    assert "Tekstiviesti" in page.text and "Päätös ateriapalvelustanne" in page.text
    assert_no_code_on_screen(page.text, "decisions and notices")
    letter = await citizen_client.get(href(page.text, "/oma/meals/decisions/"))
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")
    viewed = await AuditEntry.select(AuditEntry.entity).where(
        (AuditEntry.customer_id == customer) & (AuditEntry.action == "view")
    )
    assert {"entity": "citizen_decisions"} in viewed and {"entity": "meal_decision"} in viewed
    log = await citizen_client.get(href(front.text, "/oma/access-log"))
    assert "Päätökset ja ilmoitukset" in log.text and "Ateriapalvelun päätös" in log.text
    assert_no_code_on_screen(log.text, "access log")


async def test_another_customers_letter_is_not_found(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    _other, decision = await customer_with_decision(new_identity_code())
    code = new_identity_code()
    await customer_with_code(code, first="Eino", last="Leino")
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    page = await citizen_client.get(href(front.text, "/oma/decisions"))
    assert "Ateriapalvelu: aloituspäätös" not in page.text
    assert "Palveluistasi ei ole täällä päätöksiä." in page.text
    missing = await citizen_client.get(f"/oma/meals/decisions/{decision}/letter")
    assert missing.status_code == 404


async def test_a_proxy_sees_decisions_only_of_services_the_right_names(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    customer, decision = await customer_with_decision(new_identity_code())
    booking_only, meals = new_identity_code(), new_identity_code()
    async with staff_beside(citizen_client) as staff:
        await record_right(staff, customer, booking_only, services="booking")
        await record_right(staff, customer, meals, services="meals")
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, booking_only))
    await post_form(citizen_client, "/oma/choose", {"customer": str(customer)})
    page = await citizen_client.get("/oma/decisions")
    assert "Ateriapalvelu: aloituspäätös" not in page.text
    refused = await citizen_client.get(
        f"/oma/meals/decisions/{decision}/letter", follow_redirects=False
    )
    assert refused.status_code in (302, 303, 401)
    await post_form(citizen_client, "/oma/logout", {})
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, meals))
    await post_form(citizen_client, "/oma/choose", {"customer": str(customer)})
    page = await citizen_client.get("/oma/decisions")
    assert "Ateriapalvelu: aloituspäätös" in page.text
    entry = (
        await AuditEntry.select(AuditEntry.actor_roles)
        .where(AuditEntry.entity == "citizen_decisions")
        .order_by(AuditEntry.id, ascending=False)
        .first()
    )
    assert entry == {"actor_roles": "proxy"}
