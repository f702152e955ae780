"""Gaps 6 and 10: no identity code in logs or sessions, housekeeping of old rows."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging

import httpx
import pytest

from core.audit.tables import AuditEntry, AuditSeal
from core.common.clock import now
from core.common.log_privacy import IdentityCodeFilter, mask, safe_request_line
from core.customers.tables import Customer
from core.housekeeping import cleanup, run_housekeeping
from core.identity.tables import LoginAttempt, StaffSession, StaffUser
from core.web.runtime import Runtime
from tests.core.test_customers import create, form
from tests.helpers import api_headers, make_user, post_form, run_cli, sign_in


async def test_concurrent_creations_of_one_customer_give_400_not_500(
    admin: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    data = form()
    responses = await asyncio.gather(
        *[admin.post("/api/customers", json=data, headers=api_headers(admin)) for _ in range(20)]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) + statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 201, 400}, statuses
    refused = next(r for r in responses if r.status_code == 400).json()
    assert refused["errors"] == {"identity_code": "A customer with this identity code exists."}
    assert await Customer.count() == 1
    assert data["identity_code"] not in caplog.text
    assert "already exists" not in caplog.text


async def test_search_terms_are_not_kept_in_the_session(admin: httpx.AsyncClient) -> None:
    customer = form()
    await post_form(admin, "/customers/new", customer)
    found = await post_form(admin, "/customers/search", {"q": customer["identity_code"]})
    assert found.status_code == 200 and customer["last_name"] in found.text
    for session in await StaffSession.select(StaffSession.data):
        assert customer["identity_code"] not in str(session["data"])
    assert customer["identity_code"] not in str(found.url)


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("valvomo.test")
    with caplog.at_level(logging.INFO):
        log.info("looked up %s", "131052-308T")
        try:
            raise ValueError("Key (identity_code)=(131052-308T) already exists")
        except ValueError:
            log.exception("failed")
    assert "131052-308T" not in caplog.text and "[identity code]" in caplog.text
    record = logging.LogRecord("x", logging.INFO, "f", 1, "code %s", ("010101A123B",), None)
    IdentityCodeFilter().filter(record)
    assert record.getMessage() == "code [identity code]"
    assert mask("phone 0401234567, date 13.10.1952") == "phone 0401234567, date 13.10.1952"


def test_access_log_lines_lose_tokens_and_query_strings() -> None:
    token = "a" * 40
    assert safe_request_line(f"/book/manage/{token}/cancel?new=1") == "/book/manage/[token]/cancel"
    assert safe_request_line("/customers/12?page=2") == "/customers/12"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "f",
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", f"/book/manage/{token}?x=1", "1.1", 200),
        None,
    )
    factory_made = logging.getLogRecordFactory()(
        record.name, record.levelno, "f", 1, record.msg, record.args, None
    )
    assert token not in factory_made.getMessage() and "?x=1" not in factory_made.getMessage()


async def test_cleanup_deletes_expired_sessions_and_old_attempts(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    username = await make_user()
    await sign_in(client, username)
    await sign_in(client, username, "wrong-password-x")
    await StaffSession.insert(
        StaffSession(
            token_hash="0" * 64,
            user=(await StaffSession.select(StaffSession.user).first())["user"],
            created_at=now() - dt.timedelta(days=2),
            expires_at=now() - dt.timedelta(days=1),
            data={},
        )
    )
    await LoginAttempt.update({LoginAttempt.attempted_at: now() - dt.timedelta(days=40)}).where(
        LoginAttempt.succeeded.eq(False)
    )
    result = await cleanup(login_attempt_days=30)
    assert (result.sessions, result.login_attempts) == (1, 1)
    assert await StaffSession.count() == 1 and await LoginAttempt.count() == 1
    printed = run_cli(runtime, "cleanup")
    assert printed.returncode == 0, printed.stderr
    assert "Deleted 0 expired sessions, 0 login attempts" in printed.stdout


async def test_access_log_csv_neutralises_formulas(admin: httpx.AsyncClient, app: object) -> None:
    customer_id = await create(admin)
    username = await make_user("home_care")
    await StaffUser.update({StaffUser.full_name: '=HYPERLINK("http://x")'}).where(
        StaffUser.username == username
    )
    transport = httpx.ASGITransport(app=app, client=("127.0.0.9", 1))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as colleague:
        await sign_in(colleague, username)
        assert (await colleague.get(f"/customers/{customer_id}")).status_code == 200
    exported = await admin.get(f"/customers/{customer_id}/access-log/csv")
    assert exported.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names and not any(n.startswith("=") for n in names)


async def test_the_worker_housekeeping_seals_and_cleans(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    await create(admin)
    stop = asyncio.Event()
    stop.set()  # one round, then stop
    await run_housekeeping(runtime, stop)
    assert await AuditSeal.count() == await AuditEntry.count() > 0
