"""The JSON API: the same resources as the pages, 4xx bodies for bad input, never a 500."""

from __future__ import annotations

import httpx

from core.customers.tables import Customer
from tests.core.test_customers import form, valid_code
from tests.helpers import api_headers, make_user, sign_in


async def test_anonymous_api_calls_get_401_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/customers")
    assert response.status_code == 401
    assert response.json()["status_code"] == 401


async def test_me_lists_roles_and_permissions(admin: httpx.AsyncClient) -> None:
    me = (await admin.get("/api/me")).json()
    assert me["roles"] == ["admin", "client_guidance"]
    assert "customers.edit" in me["permissions"]


async def test_customer_crud_and_validation(admin: httpx.AsyncClient) -> None:
    headers = api_headers(admin)
    created = await admin.post("/api/customers", json=form(), headers=headers)
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["phone"] == "+358401234567" and customer["version"] == 1
    bad = await admin.post(
        "/api/customers", json=form(identity_code="x", first_name=""), headers=headers
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"identity_code", "first_name"}
    updated = await admin.put(
        f"/api/customers/{customer['id']}",
        json={**form(last_name="Uusi"), "version": 1},
        headers=headers,
    )
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = await admin.put(
        f"/api/customers/{customer['id']}",
        json={**form(last_name="Vanha"), "version": 1},
        headers=headers,
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["last_name"] == "Uusi"
    assert stale.json()["submitted"]["last_name"] == "Vanha"
    missing = await admin.get("/api/customers/999999")
    assert missing.status_code == 404


async def test_search_by_identity_code_is_a_post(admin: httpx.AsyncClient) -> None:
    headers = api_headers(admin)
    await admin.post("/api/customers", json=form(), headers=headers)
    found = await admin.post("/api/customers/search", json={"query": valid_code()}, headers=headers)
    assert found.status_code == 200
    assert found.json()["total"] == 1
    assert found.json()["items"][0]["identity_code"].endswith("****")


async def test_malformed_and_oversized_requests_are_4xx(admin: httpx.AsyncClient) -> None:
    headers = {**api_headers(admin), "content-type": "application/json"}
    malformed = await admin.post("/api/customers", content=b"{not json", headers=headers)
    assert malformed.status_code == 400
    wrong_type = await admin.post(
        "/api/customers", json={**form(), "first_name": 5}, headers=headers
    )
    assert wrong_type.status_code == 400
    huge = await admin.post("/api/customers", content=b"x" * (3 * 1024 * 1024), headers=headers)
    assert huge.status_code == 413
    assert await Customer.count() == 0


async def test_api_without_csrf_header_is_refused(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/api/customers", json=form())
    assert response.status_code == 403
    assert await Customer.count() == 0


async def test_users_api_is_for_administrators(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user("admin"))
    headers = api_headers(client)
    created = await client.post(
        "/api/users",
        headers=headers,
        json={
            "username": "new.user",
            "full_name": "New User",
            "password": "long-enough-pass",
            "roles": ["biller"],
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["roles"] == ["biller"]
    listed = await client.get("/api/users")
    assert any(u["username"] == "new.user" for u in listed.json())
    await sign_in(client, "new.user", "long-enough-pass")
    assert (await client.get("/api/users")).status_code == 403


async def test_audit_api(admin: httpx.AsyncClient) -> None:
    await admin.post("/api/customers", json=form(), headers=api_headers(admin))
    entries = (await admin.get("/api/audit?limit=5")).json()
    assert entries[0]["seq"] > entries[-1]["seq"]
    assert {"create", "login"} <= {e["action"] for e in (await admin.get("/api/audit")).json()}


async def test_openapi_schema_is_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/customers/search" in schema["paths"]
    assert "/customers" not in schema["paths"]  # pages are not part of the API
