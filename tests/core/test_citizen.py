"""Citizens' strong identification through a broker (a real OIDC provider process)."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from pypdf import PdfReader

from core.audit.tables import AuditEntry
from core.citizen.tables import CitizenSession
from core.common.clock import today
from core.config import DEFAULT_REGION_CONTACT_PHONE, PROJECT_ROOT, ConfigError, load_settings
from core.customers.tables import Customer
from core.i18n import fmt_date
from core.identity.tables import StaffSession
from core.web.runtime import Runtime
from tests.citizens import (
    citizen_app,
    customer_with_code,
    href,
    identify,
    new_identity_code,
    person_at_broker,
)
from tests.helpers import assert_no_code_on_screen, make_user, notices, post_form, sign_in
from tests.oidc_provider import Provider
from tests.plugins.meals.conftest import active_service, new_region


async def test_customer_is_matched_by_identity_code(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    customer = await customer_with_code(code)
    response = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    assert response.status_code == 200
    assert str(response.url) == "http://testserver.local/oma"
    assert "Aino Virtanen" in response.text
    assert code not in response.text and code not in str(response.url)
    session = await CitizenSession.select().first()
    assert session["customer"] == customer and session["acting_for"] == customer
    assert code not in str(session.values())
    assert await StaffSession.count() == 0
    actions = await AuditEntry.select(AuditEntry.action, AuditEntry.actor_roles).where(
        AuditEntry.customer_id == customer
    )
    assert {"action": "login", "actor_roles": "customer"} in actions
    assert {"action": "view", "actor_roles": "customer"} in actions


async def test_non_customer_gets_a_polite_page_and_nothing_is_written(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    response = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    assert response.status_code == 403
    assert "emme löytäneet sinua asiakkaistamme" in response.text
    assert 'role="alert"' not in response.text
    assert await CitizenSession.count() == 0 and await AuditEntry.count() == 0


async def test_missing_or_invalid_identity_code_is_refused(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    for claims in ({"name": "No Code"}, {"name": "Bad", "hetu": "010101-0000"}):
        sub = f"odd-{len(claims)}-{claims.get('hetu', '')[:2]}"
        oidc_provider.set_person(sub, claims)
        response = await identify(citizen_client, oidc_provider, sub)
        assert response.status_code == 400
    assert await CitizenSession.count() == 0


async def test_citizen_session_has_no_staff_rights_and_staff_none_on_citizen_pages(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    await customer_with_code(code)
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    staff_page = await citizen_client.get("/admin/users", follow_redirects=False)
    assert staff_page.status_code in (302, 303, 401)
    username = await make_user("admin")
    async with httpx.AsyncClient(
        transport=citizen_client._transport,
        base_url="http://testserver.local",
        follow_redirects=True,
    ) as staff:
        await sign_in(staff, username)
        response = await staff.get("/oma", follow_redirects=False)
        assert response.headers["location"] == "/oma/login"


async def test_idle_citizen_session_ends(runtime: Runtime, oidc_provider: Provider) -> None:
    app = citizen_app(runtime, oidc_provider.issuer, citizen_idle_minutes=5)
    code = new_identity_code()
    await customer_with_code(code)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
        base_url="http://testserver.local",
        follow_redirects=True,
    ) as client:
        await identify(client, oidc_provider, person_at_broker(oidc_provider, code))
        assert (await client.get("/oma", follow_redirects=False)).status_code == 200
        idle = CitizenSession.last_seen_at - dt.timedelta(minutes=6)  # type: ignore[operator]
        await CitizenSession.update({CitizenSession.last_seen_at: idle}).where(
            CitizenSession.id > 0
        )
        response = await client.get("/oma", follow_redirects=False)
        assert response.headers["location"] == "/oma/login"


async def test_citizen_sign_out_ends_the_session(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    await customer_with_code(code)
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    response = await post_form(citizen_client, "/oma/logout", {})
    assert str(response.url).endswith("/oma/login")
    assert notices(response.text) == [("success", "Olet kirjautunut ulos.")]
    assert await CitizenSession.count() == 0


async def test_citizen_forms_need_the_sessions_csrf_token(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    await customer_with_code(code)
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    response = await citizen_client.post("/oma/logout", data={"_csrf_token": "forged"})
    assert response.status_code == 403
    assert await CitizenSession.count() == 1


async def test_access_log_shows_who_viewed_when_and_in_what_role(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider, citizen_site: Litestar
) -> None:
    code = new_identity_code()
    customer = await customer_with_code(code)
    username = await make_user("client_guidance")
    async with httpx.AsyncClient(
        transport=citizen_client._transport,
        base_url="http://testserver.local",
        follow_redirects=True,
    ) as staff:
        await sign_in(staff, username)
        assert (await staff.get(f"/customers/{customer}")).status_code == 200
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    page = await citizen_client.get("/oma/access-log")
    assert page.status_code == 200
    assert f"Test {username} (Asiakasohjaus)" in page.text
    assert "Aino Virtanen (Asiakas)" in page.text
    assert "katseli" in page.text
    viewed = await AuditEntry.count().where(
        (AuditEntry.entity == "access_log") & (AuditEntry.customer_id == customer)
    )
    assert viewed == 1


async def test_data_download_as_json_and_readable_page(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    customer = await customer_with_code(code, first="Eino", last="Leino")
    await Customer.update({Customer.phone: "+358401234567"}).where(Customer.id == customer)
    await identify(
        citizen_client, oidc_provider, person_at_broker(oidc_provider, code, "Eino Leino")
    )
    page = await citizen_client.get("/oma/my-data")
    assert page.status_code == 200
    assert "Leino" in page.text and "Seinäjoki" in page.text
    assert "040 123 4567" in page.text and "+358" not in page.text  # phones in national form
    download = await citizen_client.get("/oma/my-data.json")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["cache-control"] == "no-store"
    data = json.loads(download.text)
    assert data["customer"]["last_name"] == "Leino"
    assert data["customer"]["identity_code"] == code
    assert [e["action"] for e in data["access_log"]][-1] == "login"
    exports = await AuditEntry.count().where(
        (AuditEntry.entity == "citizen_data") & (AuditEntry.customer_id == customer)
    )
    assert exports == 2


async def test_data_download_as_a_readable_pdf(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    code = new_identity_code()
    customer = await customer_with_code(code, first="Åke", last="Öberg")
    await Customer.update({Customer.phone: "+358401234567"}).where(Customer.id == customer)
    front = await identify(
        citizen_client, oidc_provider, person_at_broker(oidc_provider, code, "Åke Öberg")
    )
    page = await citizen_client.get(href(front.text, "/oma/my-data"))
    download = await citizen_client.get(href(page.text, "/oma/my-data.pdf"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["cache-control"] == "no-store"
    text = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(download.content)).pages
    )
    assert "Tietosi: Åke Öberg" in text
    assert "Seinäjoki" in text
    assert "040 123 4567" in text and "+358" not in text
    assert "Ketkä ovat katselleet tietojasi" in text and "Åke Öberg (Asiakas)" in text
    assert code in text  # the customer's own identity code is their data
    exports = await AuditEntry.count().where(
        (AuditEntry.entity == "citizen_data") & (AuditEntry.customer_id == customer)
    )
    assert exports == 2


async def test_citizen_pages_in_swedish_and_english(citizen_client: httpx.AsyncClient) -> None:
    swedish = await citizen_client.get("/oma/login?lang=sv")
    assert "Dina egna tjänster" in swedish.text and 'lang="sv"' in swedish.text
    english = await citizen_client.get("/oma/login?lang=en")
    assert "Your own services" in english.text


def with_region_contact(runtime: Runtime, phone: str = "06 123 4567",
                        email: str = "asiakasohjaus@alue.fi") -> Runtime:  # fmt: skip
    settings = replace(runtime.settings, region_contact_phone=phone, region_contact_email=email)
    return replace(runtime, settings=settings)


def shows_contact(html: str) -> bool:
    return ('href="tel:061234567"' in html and "06 123 4567" in html
            and 'href="mailto:asiakasohjaus@alue.fi"' in html)  # fmt: skip


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_refusal_cut_off_and_error_pages_give_the_regions_contact(
    runtime: Runtime, oidc_provider: Provider, language: str
) -> None:
    app = citizen_app(with_region_contact(runtime), oidc_provider.issuer)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
        base_url="http://testserver.local",
        follow_redirects=True,
    ) as client:
        await client.get(f"/oma/login?lang={language}")
        stranger = person_at_broker(oidc_provider, new_identity_code())
        refused = await identify(client, oidc_provider, stranger)
        assert refused.status_code == 403 and shows_contact(refused.text)
        code = new_identity_code()
        await active_service(await new_region(), customer=await customer_with_code(code))
        front = await identify(client, oidc_provider, person_at_broker(oidc_provider, code))
        form = await client.get(href(front.text, "/oma/meals/absence"))
        assert shows_contact(form.text)
        too_late = await post_form(client, "/oma/meals/absence", {"first_day": fmt_date(today())})
        assert too_late.status_code == 400 and shows_contact(too_late.text)
        missing = await client.get("/oma/no-such-page")
        assert missing.status_code == 404 and shows_contact(missing.text)
        assert 'href="/oma"' in missing.text and 'href="/"' not in missing.text
        words = {"fi": ("pääkäyttäj", "etusivulle"), "sv": ("administratör", "startsidan"),
                 "en": ("administrator", "dashboard")}[language]  # fmt: skip
        assert words[0] not in missing.text.lower()
        assert f'<html lang="{language}">' in missing.text
        if language == "fi":  # no code or English word on a Finnish citizen page
            for page in (refused, form, too_late, missing):
                assert_no_code_on_screen(page.text, str(page.url))
    # the contact turned off (contact_phone = ""): no empty block
    plain = citizen_app(with_region_contact(runtime, "", ""), oidc_provider.issuer)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=plain, client=("127.0.0.1", 50000)),
        base_url="http://testserver.local",
        follow_redirects=True,
    ) as client:
        refused = await identify(client, oidc_provider,
                                 person_at_broker(oidc_provider, new_identity_code()))  # fmt: skip
        assert refused.status_code == 403 and "region-contact" not in refused.text


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("line", "problem"),
    [('contact_phone = "call us"', "contact_phone"), ('contact_email = "nobody"', "contact_email"),
     ("contact_phone = 6123", "contact_phone")],
)  # fmt: skip
def test_a_bad_region_contact_stops_the_start(tmp_path: Path, line: str, problem: str) -> None:
    config = tmp_path / "valvomo.toml"
    config.write_text(f"[region]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"\[region\] {problem}"):
        load_settings(config)
    config.write_text('[region]\ncontact_phone = "+358 6 123 4567"\ncontact_email = "a@b.fi"\n',
                      encoding="utf-8")  # fmt: skip
    settings = load_settings(config)
    assert (settings.region_contact_phone, settings.region_contact_email) == (
        "+358 6 123 4567",
        "a@b.fi",
    )


@pytest.mark.nodb
def test_the_default_region_gives_its_switchboard_and_another_region_sets_its_own(
    tmp_path: Path,
) -> None:
    config = tmp_path / "valvomo.toml"
    config.write_text("[region]\n", encoding="utf-8")
    assert load_settings(config).region_contact_phone == DEFAULT_REGION_CONTACT_PHONE
    config.write_text('[region]\ncontact_phone = ""\n', encoding="utf-8")
    assert load_settings(config).region_contact_phone == ""
    config.write_text('[region]\nname = "Pirkanmaan hyvinvointialue"\n', encoding="utf-8")
    assert load_settings(config).region_contact_phone == ""
    shipped = load_settings(PROJECT_ROOT / "valvomo.toml")
    assert shipped.region_contact_phone == DEFAULT_REGION_CONTACT_PHONE
