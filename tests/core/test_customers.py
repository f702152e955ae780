"""The customer register through the pages and the services, on the real database."""

from __future__ import annotations

import re
from typing import Any

import httpx

from core.audit.tables import AuditEntry
from core.customers import services
from core.customers.tables import ContactPerson, Customer
from tests.helpers import post_confirmed, post_form

VALID = {
    "identity_code": "010150-123A",  # not real: checksum computed below
    "first_name": "Aino",
    "last_name": "Virtanen",
    "street_address": "Koulutie 5",
    "postal_code": "60100",
    "municipality": "Seinäjoki",
    "phone": "040 123 4567",
    "language": "fi",
    "status": "active",
}


def valid_code(base: str = "010150", sign: str = "-", individual: str = "123") -> str:
    from core.customers.validation import CHECK_CHARS

    return f"{base}{sign}{individual}{CHECK_CHARS[int(base + individual) % 31]}"


def form(**changes: Any) -> dict[str, Any]:
    return {**VALID, "identity_code": valid_code(), **changes}


async def create(client: httpx.AsyncClient, **changes: Any) -> int:
    response = await post_form(client, "/customers/new", form(**changes))
    assert response.status_code == 200, response.text
    match = re.search(r"/customers/(\d+)/edit", response.text)
    assert match
    return int(match.group(1))


async def test_create_customer_shows_page_and_audits(admin: httpx.AsyncClient) -> None:
    customer_id = await create(admin)
    row = await Customer.select().where(Customer.id == customer_id).first()
    assert row["phone"] == "+358401234567"
    assert row["search_name"] == "virtanen aino"
    entries = await AuditEntry.select().where(AuditEntry.customer_id == customer_id)
    actions = [e["action"] for e in entries]
    assert "create" in actions and "view" in actions
    created = next(e for e in entries if e["action"] == "create")
    assert valid_code() not in str(created["after"])  # the identity code never enters the log


async def test_each_bad_field_gets_its_own_message_and_nothing_is_written(
    admin: httpx.AsyncClient,
) -> None:
    cases = {
        "identity_code": "010150-123X",
        "first_name": "",
        "last_name": "   ",
        "municipality": "Helsinki",
        "phone": "12ab",
        "postal_code": "601",
        "language": "de",
        "status": "gone",
    }
    for field, bad in cases.items():
        response = await post_form(admin, "/customers/new", form(**{field: bad}))
        assert response.status_code == 400, field
        assert f'id="f-{field}-error"' in response.text, field
        assert 'aria-invalid="true"' in response.text
    assert await Customer.count() == 0


async def test_ended_status_needs_a_date(admin: httpx.AsyncClient) -> None:
    response = await post_form(admin, "/customers/new", form(status="ended"))
    assert response.status_code == 400
    assert 'id="f-status_date-error"' in response.text
    await create(admin, status="ended", status_date="31.10.2026")
    row = await Customer.select(Customer.status_date).first()
    assert str(row["status_date"]) == "2026-10-31"


async def test_duplicate_identity_code_is_refused(admin: httpx.AsyncClient) -> None:
    await create(admin)
    response = await post_form(admin, "/customers/new", form(first_name="Other"))
    assert response.status_code == 400
    assert await Customer.count() == 1


async def test_search_by_name_phone_and_identity_code_never_puts_code_in_url(
    admin: httpx.AsyncClient,
) -> None:
    await create(admin)
    await create(
        admin,
        identity_code=valid_code("020250", "A", "456"),
        first_name="Eino",
        last_name="Koskinen",
        phone="050 765 4321",
    )
    for query, expected, absent in [
        ("virt", "Virtanen", "Koskinen"),
        ("aino virtanen", "Virtanen", "Koskinen"),
        ("050 765", "Koskinen", "Virtanen"),
        (valid_code("020250", "A", "456"), "Koskinen", "Virtanen"),
    ]:
        response = await post_form(admin, "/customers/search", {"q": query})
        assert response.status_code == 200
        # a single match opens the customer page at once; the query itself is never in the URL
        assert str(response.url).startswith("http://testserver.local/customers")
        assert expected in response.text and absent not in response.text, query
        assert valid_code("020250", "A", "456") not in str(response.url)


async def test_customer_list_is_paginated(admin: httpx.AsyncClient) -> None:
    for i in range(30):
        await create(
            admin,
            identity_code=valid_code("010150", "-", f"{100 + i:03d}"),
            last_name=f"Asiakas{i:02d}",
        )
    first = await admin.get("/customers")
    assert first.text.count('href="/customers/') - first.text.count("/customers/new") >= 25
    second = await admin.get("/customers?page=2")
    assert "Asiakas29" in second.text and "Asiakas00" not in second.text


async def test_stale_edit_shows_conflict_with_both_values(admin: httpx.AsyncClient) -> None:
    customer_id = await create(admin)
    await post_form(admin, f"/customers/{customer_id}/edit", form(version=1, phone="0401111111"))
    response = await post_form(
        admin, f"/customers/{customer_id}/edit", form(version=1, phone="0402222222")
    )
    assert response.status_code == 409
    assert "+358401111111" in response.text and "+358402222222" in response.text
    row = await Customer.select(Customer.phone, Customer.version).first()
    assert row == {"phone": "+358401111111", "version": 2}
    # Choosing "save mine" resubmits with the current version and wins.
    version = re.search(r'name="version" value="(\d+)"', response.text)
    assert version and version.group(1) == "2"
    again = await post_form(
        admin, f"/customers/{customer_id}/edit", form(version=2, phone="0402222222")
    )
    assert again.status_code == 200
    assert (await Customer.select(Customer.phone).first())["phone"] == "+358402222222"


async def test_contact_persons(admin: httpx.AsyncClient) -> None:
    customer_id = await create(admin)
    bad = await post_form(admin, f"/customers/{customer_id}/contacts", {"name": ""})
    assert bad.status_code == 400 and 'id="f-name-error"' in bad.text
    ok = await post_form(
        admin,
        f"/customers/{customer_id}/contacts",
        {"name": "Liisa Virtanen", "relationship": "tytär", "phone": "0501234567"},
    )
    assert ok.status_code == 200 and "Liisa Virtanen" in ok.text
    contact = await ContactPerson.select().first()
    removed = await post_confirmed(
        admin, f"/customers/{customer_id}/contacts/{contact['id']}", {"action": "delete"}
    )
    assert removed.status_code == 200
    assert await ContactPerson.count() == 0


async def test_search_service_uses_one_condition_per_kind() -> None:
    assert services.search_condition("") is None
    page = await services.search_customers("nobody")
    assert page.total == 0 and page.pages == 1


async def test_contact_person_is_edited_with_version_check(admin: httpx.AsyncClient) -> None:
    customer_id = await create(admin)
    await post_form(
        admin, f"/customers/{customer_id}/contacts", {"name": "Liisa", "phone": "0501234567"}
    )
    contact = await ContactPerson.select().first()
    path = f"/customers/{customer_id}/contacts/{contact['id']}"
    assert (await admin.get(path)).status_code == 200
    bad = await post_form(admin, path, {"version": 1, "name": "Liisa", "phone": "abc"})
    assert bad.status_code == 400 and 'id="f-phone-error"' in bad.text
    ok = await post_form(admin, path, {"version": 1, "name": "Liisa V", "phone": "0501234567"})
    assert ok.status_code == 200
    stale = await post_form(admin, path, {"version": 1, "name": "Old", "phone": "0501234567"})
    assert stale.status_code == 409
    assert (await ContactPerson.select(ContactPerson.name).first())["name"] == "Liisa V"
