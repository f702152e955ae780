"""Optional TOTP second factor: set up from the user's own page, recovery codes (hashed, one
use each), compulsory per role (role page or [web] totp_roles), reset by an administrator."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import httpx
import pyotp

from core.audit.tables import AuditEntry
from core.identity import services
from core.identity.tables import RecoveryCode, StaffRole, StaffSession, StaffUser
from core.web.app import create_app
from core.web.runtime import Runtime
from tests.helpers import (
    PASSWORD,
    assert_asks_first,
    csrf,
    make_user,
    notices,
    post_confirmed,
    post_form,
    sign_in,
)

RECOVERY_CODE = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


async def turn_on(client: httpx.AsyncClient) -> str:
    secret, _ = await turn_on_with_codes(client)
    return secret


async def turn_on_with_codes(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    page = await client.get("/account/second-factor")
    secret = re.search(r'name="secret" value="([A-Z2-7]{32})"', page.text)
    assert secret, page.text
    wrong = await post_form(
        client, "/account/second-factor", {"secret": secret[1], "code": "000000"}
    )
    assert wrong.status_code == 400
    done = await post_form(
        client,
        "/account/second-factor",
        {"secret": secret[1], "code": pyotp.TOTP(secret[1]).now()},
    )
    assert done.status_code == 200 and notices(done.text)
    codes = RECOVERY_CODE.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret[1], codes


async def test_a_user_turns_on_a_second_factor_and_then_needs_a_code(
    client: httpx.AsyncClient,
) -> None:
    username = await make_user("home_care")
    await sign_in(client, username)
    secret = await turn_on(client)
    saved = await StaffUser.select(StaffUser.totp_secret).where(StaffUser.username == username)
    assert saved[0]["totp_secret"] == secret
    without = await services.log_in(username, PASSWORD, "192.0.2.1", 1)
    assert (
        without.token is None
        and without.error == "Enter the six-digit code from your authenticator app as well."
    )
    wrong = await services.log_in(username, PASSWORD, "192.0.2.1", 1, code="123456")
    assert wrong.token is None
    right = await services.log_in(username, PASSWORD, "192.0.2.1", 1, code=pyotp.TOTP(secret).now())
    assert right.token


async def test_roles_can_require_the_second_factor(runtime: Runtime) -> None:
    strict = replace(runtime, settings=replace(runtime.settings, totp_roles=("admin",)))
    transport = httpx.ASGITransport(app=create_app(runtime=strict), client=("127.0.0.1", 1))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as client:
        await sign_in(client, await make_user("admin"))
        page = await client.get("/admin/users")
        assert page.url.path == "/account/second-factor"
        api = await client.get("/api/users")
        assert api.status_code == 403
        await turn_on(client)
        assert (await client.get("/admin/users")).url.path == "/admin/users"
        other = await make_user("home_care")
        await client.post("/logout", data={"_csrf_token": csrf(client)})
        await sign_in(client, other)
        assert (await client.get("/customers")).url.path == "/customers"


async def test_recovery_codes_are_stored_hashed_and_each_signs_in_once(
    client: httpx.AsyncClient,
) -> None:
    username = await make_user("home_care")
    await sign_in(client, username)
    _, codes = await turn_on_with_codes(client)
    stored = {r["code_hash"] for r in await RecoveryCode.select(RecoveryCode.code_hash)}
    assert len(stored) == 10 and not stored & {*codes, *(c.replace("-", "") for c in codes)}
    first = await services.log_in(username, PASSWORD, "192.0.2.1", 1, code=codes[0].upper())
    assert first.token
    again = await services.log_in(username, PASSWORD, "192.0.2.1", 1, code=codes[0])
    assert again.token is None
    # Two sign-ins sending the same code at the same moment: one gets in.
    racing = await asyncio.gather(
        *[services.log_in(username, PASSWORD, "192.0.2.1", 1, code=codes[1]) for _ in range(2)]
    )
    assert sum(r.token is not None for r in racing) == 1
    user_id = (await StaffUser.select(StaffUser.id).where(StaffUser.username == username))[0]
    spent = await AuditEntry.count().where(
        (AuditEntry.action == "login") & (AuditEntry.entity_id == str(user_id["id"]))
    )
    assert spent == 2 + 1  # the set-up sign-in, and the two codes spent


async def test_the_set_up_is_reached_from_the_users_own_page_and_codes_can_be_replaced(
    client: httpx.AsyncClient,
) -> None:
    username = await make_user("home_care")
    await sign_in(client, username)
    dashboard = await client.get("/")
    assert 'href="/account/second-factor"' in dashboard.text
    _, old_codes = await turn_on_with_codes(client)
    page = await client.get("/account/second-factor")
    assert "10" in page.text and 'action="/account/second-factor/recovery-codes"' in page.text
    await assert_asks_first(client, "/account/second-factor/recovery-codes", {})
    assert await RecoveryCode.count() == 10
    replaced = await post_confirmed(client, "/account/second-factor/recovery-codes", {})
    new_codes = RECOVERY_CODE.findall(replaced.text)
    assert len(new_codes) == 10 and notices(replaced.text)
    assert not set(new_codes) & set(old_codes)
    old = await services.log_in(username, PASSWORD, "192.0.2.1", 1, code=old_codes[0])
    assert old.token is None
    new = await services.log_in(username, PASSWORD, "192.0.2.1", 1, code=new_codes[0])
    assert new.token


async def test_an_administrator_requires_the_second_factor_for_a_role(
    admin: httpx.AsyncClient, app: object
) -> None:
    biller = (
        await StaffRole.select().where(StaffRole.code == "biller").first().output(load_json=True)
    )
    form = await admin.get(f"/admin/roles/{biller['id']}")
    assert 'name="requires_second_factor"' in form.text
    saved = await post_form(
        admin,
        f"/admin/roles/{biller['id']}",
        {
            "version": biller["version"],
            "permissions": biller["permissions"],
            "requires_second_factor": "on",
        },
    )
    assert saved.status_code == 200 and notices(saved.text)
    entry = (
        await AuditEntry.select()
        .where((AuditEntry.entity == "staff_role") & (AuditEntry.entity_id == str(biller["id"])))
        .first()
        .output(load_json=True)
    )
    assert entry["after"] == {"requires_second_factor": True}
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 2))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as member:
        await sign_in(member, await make_user("biller"))
        assert (await member.get("/")).url.path == "/account/second-factor"
        await turn_on(member)
        assert (await member.get("/")).url.path == "/"


async def test_an_administrator_resets_a_lost_second_factor_after_confirming(
    admin: httpx.AsyncClient, app: object
) -> None:
    username = await make_user("home_care")
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 3))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as owner:
        await sign_in(owner, username)
        await turn_on(owner)
    user = (await StaffUser.select(StaffUser.id).where(StaffUser.username == username))[0]
    path = f"/admin/users/{user['id']}/second-factor/reset"
    page = await admin.get(f"/admin/users/{user['id']}")
    assert f'action="{path}"' in page.text
    await assert_asks_first(admin, path, {})
    assert await RecoveryCode.count() == 10
    reset = await post_confirmed(admin, path, {})
    assert reset.status_code == 200 and reset.url.path == f"/admin/users/{user['id']}"
    assert notices(reset.text)
    row = await StaffUser.select(StaffUser.totp_secret).where(StaffUser.id == user["id"])
    assert row[0]["totp_secret"] == ""
    assert await RecoveryCode.count() == 0
    assert await StaffSession.count().where(StaffSession.user == user["id"]) == 0
    entry = (
        await AuditEntry.select()
        .where((AuditEntry.entity == "staff_user") & (AuditEntry.entity_id == str(user["id"])))
        .order_by(AuditEntry.id, ascending=False)
        .first()
        .output(load_json=True)
    )
    assert entry["after"] == {"second_factor": "reset"}
    assert (await services.log_in(username, PASSWORD, "192.0.2.1", 1)).token
