"""Sign-in, sessions in the database, throttling, CSRF, argon2 and the administrator's pages."""

from __future__ import annotations

import re

import httpx

from core.identity.tables import LoginAttempt, StaffRole, StaffSession, StaffUser
from tests.helpers import PASSWORD, csrf, make_user, notices, post_form, sign_in


async def test_sign_in_and_out(client: httpx.AsyncClient) -> None:
    username = await make_user("client_guidance")
    response = await sign_in(client, username)
    assert response.status_code == 200 and "Test " + username in response.text
    assert await StaffSession.count() == 1
    out = await post_form(client, "/logout", {})
    assert out.url.path == "/login"
    assert notices(out.text) == [("success", "Olet kirjautunut ulos.")]
    assert await StaffSession.count() == 0
    assert (await client.get("/customers")).url.path == "/login"


async def test_passwords_are_argon2_hashes(client: httpx.AsyncClient) -> None:
    username = await make_user()
    row = (
        await StaffUser.select(StaffUser.password_hash)
        .where(StaffUser.username == username)
        .first()
    )
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_wrong_password_is_refused_without_saying_which_part(
    client: httpx.AsyncClient,
) -> None:
    username = await make_user()
    wrong = await sign_in(client, username, "not-the-password")
    unknown = await sign_in(client, "nobody-here", "whatever")
    assert wrong.status_code == unknown.status_code == 400
    assert 'id="login-error"' in wrong.text and 'id="login-error"' in unknown.text
    assert await StaffSession.count() == 0


async def test_failed_logins_are_throttled_per_account(client: httpx.AsyncClient) -> None:
    username = await make_user()
    for _ in range(5):
        await sign_in(client, username, "wrong-password-x")
    slowed = await sign_in(client, username)  # the right password must wait its turn
    assert slowed.status_code == 429 and await StaffSession.count() == 0
    assert int(slowed.headers["retry-after"]) >= 1
    assert await LoginAttempt.count() == 6  # recorded before any check, so parallel tries count


async def test_failed_logins_are_throttled_per_address(client: httpx.AsyncClient) -> None:
    username = await make_user()
    for i in range(20):
        await sign_in(client, f"guess{i}", "wrong-password-x")
    assert (await sign_in(client, username)).status_code == 429


async def test_disabling_a_user_signs_them_out_at_once(
    admin: httpx.AsyncClient, app: object
) -> None:
    username = await make_user("client_guidance")
    transport = httpx.ASGITransport(app=app, client=("127.0.0.2", 1))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as colleague:
        await sign_in(colleague, username)
        assert (await colleague.get("/customers")).url.path == "/customers"
        user = await StaffUser.select().where(StaffUser.username == username).first()
        saved = await post_form(
            admin,
            f"/admin/users/{user['id']}",
            {
                "version": user["version"],
                "full_name": user["full_name"],
                "email": "",
                "language": "fi",
                "roles": "client_guidance",
            },
        )
        assert saved.status_code == 200
        assert (await colleague.get("/customers")).url.path == "/login"


async def test_forms_without_csrf_token_are_refused(client: httpx.AsyncClient) -> None:
    username = await make_user()
    await client.get("/login")
    response = await client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 403
    forged = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "_csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert await StaffSession.count() == 0
    assert csrf(client)


async def test_next_parameter_cannot_leave_the_site(client: httpx.AsyncClient) -> None:
    username = await make_user()
    await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "_csrf_token": csrf(client),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_admin_creates_user_with_validation(admin: httpx.AsyncClient) -> None:
    bad = await post_form(
        admin,
        "/admin/users/new",
        {"username": "A B", "full_name": "", "password": "short", "language": "fi"},
    )
    assert bad.status_code == 400
    for field in ("username", "full_name", "password"):
        assert f'id="f-{field}-error"' in bad.text
    ok = await post_form(
        admin,
        "/admin/users/new",
        {
            "username": "anna.a",
            "full_name": "Anna Aaltonen",
            "password": "long-enough-pass",
            "language": "fi",
            "roles": ["home_care", "biller"],
        },
    )
    assert ok.status_code == 200 and "Anna Aaltonen" in ok.text
    taken = await post_form(
        admin,
        "/admin/users/new",
        {
            "username": "anna.a",
            "full_name": "Another",
            "password": "long-enough-pass",
            "language": "fi",
        },
    )
    assert taken.status_code == 400


async def test_stale_user_edit_shows_conflict(admin: httpx.AsyncClient) -> None:
    username = await make_user("home_care")
    user = await StaffUser.select().where(StaffUser.username == username).first()
    form = {
        "version": 1,
        "full_name": "First edit",
        "email": "",
        "language": "fi",
        "is_active": "on",
        "roles": "home_care",
    }
    await post_form(admin, f"/admin/users/{user['id']}", form)
    conflict = await post_form(admin, f"/admin/users/{user['id']}", {**form, "full_name": "Late"})
    assert conflict.status_code == 409
    assert "First edit" in conflict.text and "Late" in conflict.text


async def test_role_permissions_can_be_changed(admin: httpx.AsyncClient) -> None:
    role = await StaffRole.select().where(StaffRole.code == "home_care").first()
    page = await admin.get(f"/admin/roles/{role['id']}")
    assert page.status_code == 200
    saved = await post_form(
        admin,
        f"/admin/roles/{role['id']}",
        {"version": role["version"], "permissions": ["customers.view"]},
    )
    assert saved.status_code == 200
    stored = (
        await StaffRole.select().where(StaffRole.id == role["id"]).first().output(load_json=True)
    )
    assert stored["permissions"] == ["customers.view"]
    unknown = await post_form(
        admin,
        f"/admin/roles/{role['id']}",
        {"version": stored["version"], "permissions": ["launch.missiles"]},
    )
    assert unknown.status_code == 400
    assert 'id="f-permissions"' in unknown.text and 'name="permissions"' in unknown.text


async def test_users_without_permission_get_403(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user("home_care"))
    response = await client.get("/admin/users")
    assert response.status_code == 403
    assert "<h1>" in response.text
    assert re.search(r"<html lang=\"fi\">", response.text)


async def test_plugins_page_lists_installed_plugins(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/admin/plugins")
    assert response.status_code == 200


async def test_a_new_role_gets_the_permissions_it_declares() -> None:
    from core.db import transaction
    from core.identity.services import sync_roles
    from core.plugins import Permission, Role

    role = Role("laundry", "Laundry", permissions=("customers.view", "tasks.work"))
    async with transaction():
        await sync_roles([role], [Permission("laundry.view", "See laundry", ("laundry",))])
    stored = (
        await StaffRole.select().where(StaffRole.code == "laundry").first().output(load_json=True)
    )
    assert stored["permissions"] == ["customers.view", "laundry.view", "tasks.work"]
