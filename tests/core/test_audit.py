"""The hash-chained audit log: complete, tamper-evident, and a customer's access log."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.audit.keys import AuditKeys, current_keys, use_keys
from core.audit.sealing import chain_message, oldest_unsealed_at, seal_all, verify_chain
from core.audit.services import sealed_content
from core.audit.signing import sign
from core.audit.tables import AuditEntry, AuditSeal
from core.common.clock import now
from core.web.runtime import Runtime
from tests import database
from tests.core.test_customers import create, form
from tests.helpers import make_user, post_form, run_cli, sign_in


async def busy_log(admin: httpx.AsyncClient) -> int:
    customer_id = await create(admin)
    await post_form(admin, f"/customers/{customer_id}/edit", form(version=1, phone="0401111111"))
    await admin.get(f"/customers/{customer_id}")
    return customer_id


async def test_chain_is_intact_after_normal_work(admin: httpx.AsyncClient) -> None:
    await busy_log(admin)
    report, problems = await verify_chain()
    assert report.checked >= 5 and report.unsealed == report.checked and problems == []
    assert await seal_all() == report.checked
    report, problems = await verify_chain()
    assert report.sealed == report.checked and report.unsealed == 0 and problems == []


async def entry_ids() -> list[int]:
    return [r["id"] for r in await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id)]


async def test_edited_entry_is_detected(admin: httpx.AsyncClient) -> None:
    await busy_log(admin)
    await seal_all()
    third = (await entry_ids())[2]
    await AuditEntry.update({AuditEntry.actor_name: "Somebody Else"}).where(AuditEntry.id == third)
    _, problems = await verify_chain()
    assert [p.seq for p in problems] == [3]
    assert "edited" in problems[0].problem


async def test_deleted_entries_are_detected(admin: httpx.AsyncClient) -> None:
    await busy_log(admin)
    await seal_all()
    await AuditEntry.delete().where(AuditEntry.id == (await entry_ids())[1])
    _, problems = await verify_chain()
    assert any("missing" in p.problem for p in problems)


async def test_rechaining_without_the_key_is_detected(admin: httpx.AsyncClient) -> None:
    """Gap 1: an attacker edits an entry, deletes the next, and recomputes every later hash
    and the head with the app's own functions; without the key the MACs do not match."""
    await busy_log(admin)
    await seal_all()
    ids = await entry_ids()
    await AuditEntry.update({AuditEntry.action: "view"}).where(AuditEntry.id == ids[1])
    await AuditEntry.delete().where(AuditEntry.id == ids[2])
    await AuditSeal.delete().where(AuditSeal.entry == ids[2])
    attacker = AuditKeys(keys={"k1": b"a guess at the key, 32 characters+"}, current_id="k1")
    entries = {e["id"]: e for e in await AuditEntry.select()}
    seals = await AuditSeal.select().order_by(AuditSeal.seq)
    prev = ""
    for seq, seal in enumerate(seals, start=1):
        entry = entries[seal["entry"]]
        mac = attacker.mac("k1", sealed_content(entry))
        chain = attacker.mac("k1", chain_message(seq, entry["id"], mac, prev))
        await AuditEntry.update({AuditEntry.mac: mac}).where(AuditEntry.id == entry["id"])
        await AuditSeal.update(
            {AuditSeal.seq: -seq, AuditSeal.prev_hash: prev, AuditSeal.chain_hash: chain}
        ).where(AuditSeal.id == seal["id"])
        prev = chain
    await AuditSeal.update({AuditSeal.seq: AuditSeal.seq * -1}, force=True)
    report, problems = await verify_chain()
    assert report.sealed == len(seals)
    assert problems and all("MAC" in p.problem for p in problems)


async def test_entries_keep_verifying_after_key_rotation(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    customer_id = await busy_log(admin)
    old = current_keys()
    rotated = AuditKeys(keys={**old.keys, "k9": b"x" * 40}, current_id="k9")
    use_keys(rotated)
    try:
        await admin.get(f"/customers/{customer_id}")
        await seal_all()
        report, problems = await verify_chain()
        assert problems == [] and report.sealed >= 6
        assert {r["key_id"] for r in await AuditEntry.select(AuditEntry.key_id)} == {
            old.current_id,
            "k9",
        }
        use_keys(AuditKeys(keys={"k9": b"x" * 40}, current_id="k9"))
        _, problems = await verify_chain()
        assert any("not configured" in p.problem for p in problems)
    finally:
        use_keys(old)


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
    assert page.status_code == 200 and f"Test {reader}" in page.text and "Kotihoito" in page.text
    exported = await admin.get(f"/customers/{customer_id}/access-log/csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["time", "staff member", "roles", "action", "data"]
    assert any(r[1] == f"Test {reader}" and r[3] == "view" for r in rows[1:])


async def test_cli_audit_verify_seal_and_checkpoints(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    await busy_log(admin)
    points = runtime.settings.var_dir / "checkpoints-test.jsonl"
    points.unlink(missing_ok=True)
    written = run_cli(runtime, "audit", "checkpoint", "--to", str(points))
    assert written.returncode == 0, written.stdout + written.stderr
    intact = run_cli(runtime, "audit", "verify", "--checkpoints", "--file", str(points))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "intact" in intact.stdout and "1 checkpoints compared" in intact.stdout
    # Truncation: the newest seal and its entry go; only the checkpoint can tell.
    newest = await AuditSeal.select().order_by(AuditSeal.seq, ascending=False).first()
    await AuditSeal.delete().where(AuditSeal.id == newest["id"])
    await AuditEntry.delete().where(AuditEntry.id == newest["entry"])
    assert (await verify_chain())[1] == []
    broken = run_cli(runtime, "audit", "verify", "--checkpoints", "--file", str(points))
    assert broken.returncode == 1 and "NOT intact" in broken.stdout
    assert "missing" in broken.stdout
    forged = points.read_text().replace('"seq": ', '"seq": 1').splitlines()[0]
    points.write_text(forged + "\n")
    unsigned = run_cli(runtime, "audit", "verify", "--checkpoints", "--file", str(points))
    assert unsigned.returncode == 1 and "not signed" in unsigned.stdout


async def test_checkpoints_are_checked_with_the_public_key_alone(
    admin: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    """An auditor holding only the exported public key verifies a checkpoint with nothing of
    Valvomo's; a checkpoint signed by any other key (or MAC'd) is refused."""
    await busy_log(admin)
    points = tmp_path / "points.jsonl"
    assert run_cli(runtime, "audit", "checkpoint", "--to", str(points)).returncode == 0
    exported = run_cli(runtime, "audit", "public-key")
    assert exported.returncode == 0 and "BEGIN PUBLIC KEY" in exported.stdout
    public_file = tmp_path / "audit-public.pem"
    public_file.write_text(exported.stdout)
    public = serialization.load_pem_public_key(exported.stdout.encode())
    point = json.loads(points.read_text().splitlines()[0])
    assert point["algorithm"] == "ed25519" and point["seq"] >= 5
    signed = {k: point[k] for k in ("algorithm", "at", "chain_hash", "key_id", "seq")}
    message = json.dumps(signed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    public.verify(base64.b64decode(point["signature"]), message.encode())  # type: ignore[union-attr]
    verified = run_cli(
        runtime, "audit", "verify", "--checkpoints", "--file", str(points),
        "--public-key", str(public_file),
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    other = Ed25519PrivateKey.generate()
    forged = {**point, "signature": sign(other, message)}
    mac_d = {**point, "signature": current_keys().mac(current_keys().current_id, message)}
    points.write_text(json.dumps(forged) + "\n" + json.dumps(mac_d) + "\n")
    refused = run_cli(
        runtime, "audit", "verify", "--checkpoints", "--file", str(points),
        "--public-key", str(public_file),
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stdout.count("not signed") == 2


async def test_app_role_may_only_insert_into_the_audit_tables(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The documented PostgreSQL set-up (`valvomo audit grants`): the app's role appends audit
    entries and seals, but UPDATE, DELETE and TRUNCATE of them are refused."""
    if database.backend() != "postgres":
        pytest.skip("database roles exist on PostgreSQL only; SQLite has no privileges")
    await busy_log(admin)
    role = f"valvomo_app_{uuid.uuid4().hex[:8]}"
    printed = run_cli(runtime, "audit", "grants", "--role", role)
    assert printed.returncode == 0, printed.stderr
    url = urlparse(runtime.database.url)
    owner = await asyncpg.connect(runtime.database.url)
    try:
        await owner.execute(f"CREATE ROLE {role} LOGIN")
        await owner.execute(printed.stdout)
        app_role = await asyncpg.connect(
            urlunparse(url._replace(netloc=f"{role}@{url.hostname}:{url.port}"))
        )
        try:
            await app_role.execute(
                "INSERT INTO audit_log (at, action, entity, key_id, mac) "
                "VALUES (now(), 'view', 'customer', 'k1', 'x')"
            )
            await app_role.execute("UPDATE customer SET phone = phone")
            for statement in (
                "UPDATE audit_log SET action = 'view'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "UPDATE audit_seal SET chain_hash = ''",
                "DELETE FROM audit_seal",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await app_role.execute(statement)
        finally:
            await app_role.close()
    finally:
        await owner.execute(f"DROP OWNED BY {role}")
        await owner.execute(f"DROP ROLE {role}")
        await owner.close()


async def test_oldest_unsealed_entry_for_the_sealing_lag(admin: httpx.AsyncClient) -> None:
    await busy_log(admin)
    waiting = await oldest_unsealed_at()
    assert waiting is not None and waiting <= now()
    await seal_all()
    assert await oldest_unsealed_at() is None
