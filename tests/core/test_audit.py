"""The hash-chained audit log: complete, tamper-evident, and a customer's access log."""

from __future__ import annotations

import csv
import io

import httpx

from core.audit.services import verify_chain
from core.audit.tables import AuditEntry
from core.web.runtime import Runtime
from tests.core.test_customers import create, form
from tests.helpers import make_user, post_form, run_cli, sign_in


async def busy_log(admin: httpx.AsyncClient) -> int:
    customer_id = await create(admin)
    await post_form(admin, f"/customers/{customer_id}/edit", form(version=1, phone="0401111111"))
    await admin.get(f"/customers/{customer_id}")
    return customer_id


async def test_chain_is_intact_after_normal_work(admin: httpx.AsyncClient) -> None:
    await busy_log(admin)
    checked, problems = await verify_chain()
    assert checked >= 5 and problems == []


async def test_edited_entry_is_detected(admin: httpx.AsyncClient) -> None:
    await busy_log(admin)
    await AuditEntry.update({AuditEntry.actor_name: "Somebody Else"}).where(AuditEntry.seq == 3)
    _, problems = await verify_chain()
    assert [p.seq for p in problems] == [3]
    assert "edited" in problems[0].problem


async def test_deleted_entries_are_detected(admin: httpx.AsyncClient) -> None:
    await busy_log(admin)
    await AuditEntry.delete().where(AuditEntry.seq == 2)
    _, problems = await verify_chain()
    assert any("missing" in p.problem for p in problems)
    newest = (
        await AuditEntry.select(AuditEntry.seq).order_by(AuditEntry.seq, ascending=False).first()
    )
    await AuditEntry.delete().where(AuditEntry.seq == newest["seq"])
    _, problems = await verify_chain()
    assert any("newest" in p.problem for p in problems)


async def test_update_records_before_and_after_without_identity_code(
    admin: httpx.AsyncClient,
) -> None:
    customer_id = await busy_log(admin)
    update = (
        await AuditEntry.select()
        .where((AuditEntry.customer_id == customer_id) & (AuditEntry.action == "update"))
        .first()
        .output(load_json=True)
    )
    assert update["before"] == {"phone": "+358401234567"}
    assert update["after"] == {"phone": "+358401111111"}
    assert update["actor_roles"] == "admin,client_guidance"


async def test_access_log_page_and_csv(admin: httpx.AsyncClient) -> None:
    customer_id = await busy_log(admin)
    reader = await make_user("home_care")
    transport = httpx.ASGITransport(app=admin._transport.app, client=("127.0.0.3", 1))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as colleague:
        await sign_in(colleague, reader)
        assert (await colleague.get(f"/customers/{customer_id}")).status_code == 200
        assert (await colleague.get(f"/customers/{customer_id}/access-log")).status_code == 403
    page = await admin.get(f"/customers/{customer_id}/access-log")
    assert page.status_code == 200 and f"Test {reader}" in page.text and "home_care" in page.text
    exported = await admin.get(f"/customers/{customer_id}/access-log/csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text), delimiter=";"))
    assert rows[0] == ["time", "staff member", "roles", "action", "data"]
    assert any(r[1] == f"Test {reader}" and r[3] == "view" for r in rows[1:])


async def test_cli_audit_verify(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    await busy_log(admin)
    intact = run_cli(runtime, "audit", "verify")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "intact" in intact.stdout
    await AuditEntry.update({AuditEntry.action: "view"}).where(AuditEntry.seq == 2)
    broken = run_cli(runtime, "audit", "verify")
    assert broken.returncode == 1 and "NOT intact" in broken.stdout
