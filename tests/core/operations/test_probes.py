"""/healthz, /readyz and /metrics through the app, on the session's real database."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace

import httpx
from litestar import Litestar

from core.common.clock import now
from core.config import PROJECT_ROOT
from core.db import transaction
from core.operations import readiness
from core.operations.tables import WorkerHeartbeat
from core.web.app import create_app
from core.web.runtime import Runtime
from tests.helpers import sign_in


async def test_healthz_answers_without_a_session_or_database(client: httpx.AsyncClient) -> None:
    client.cookies.set("valvomo_session", "not-a-session")
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_waits_for_a_worker_heartbeat(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert body["checks"]["worker"] == "failing: no worker has started"

    async with transaction():
        await readiness.beat("host-a:123")
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def test_readyz_fails_when_the_newest_heartbeat_is_stale(client: httpx.AsyncClient) -> None:
    async with transaction():
        await readiness.beat("host-a:123")
    await WorkerHeartbeat.update({WorkerHeartbeat.seen_at: now() - dt.timedelta(minutes=5)}).where(
        WorkerHeartbeat.worker_id == "host-a:123"
    )
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("failing: last heartbeat 30")


async def test_one_row_per_worker_and_stale_workers_are_forgotten() -> None:
    async with transaction():
        await readiness.beat("host-a:1")
        await readiness.beat("host-a:1")
        await readiness.beat("host-b:2")
    assert await WorkerHeartbeat.count() == 2
    await WorkerHeartbeat.update({WorkerHeartbeat.seen_at: now() - dt.timedelta(days=8)}).where(
        WorkerHeartbeat.worker_id == "host-b:2"
    )
    assert await readiness.forget_stale_workers(dt.timedelta(days=7)) == 1
    assert await WorkerHeartbeat.select(WorkerHeartbeat.worker_id, WorkerHeartbeat.pid) == [
        {"worker_id": "host-a:1", "pid": 1}
    ]


async def test_migration_check_names_a_migration_the_database_has_not_run(
    runtime: Runtime,
) -> None:
    check = readiness.MigrationCheck(runtime.database)
    assert await check.pending() == []
    fresh = readiness.MigrationCheck(runtime.database)
    fresh.expected = lambda: {*check.expected(), ("operations", "2099-01-01T00:00:00:000000")}  # type: ignore[method-assign]
    assert await fresh.pending() == ["operations:2099-01-01T00:00:00:000000"]


async def test_metrics_count_requests_by_route_template_and_login_failures(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/customers/12345")
    await sign_in(client, "nobody", "wrong password")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'route="/customers/{customer_id}"' in text
    assert "/customers/12345" not in text
    assert "valvomo_login_failures_total" in text
    assert "valvomo_http_request_duration_seconds_bucket" in text
    assert "valvomo_outbox_due_messages 0.0" in text
    assert "valvomo_audit_sealing_lag_seconds 0.0" in text


async def test_metrics_need_the_token_when_one_is_set(runtime: Runtime) -> None:
    operations = replace(runtime.settings.operations, metrics_token="scrape-secret-123")
    guarded = replace(runtime, settings=replace(runtime.settings, operations=operations))
    app: Litestar = create_app(runtime=guarded)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        assert (await c.get("/metrics")).status_code == 403
        wrong = {"Authorization": "Bearer nope"}
        assert (await c.get("/metrics", headers=wrong)).status_code == 403
        right = {"Authorization": "Bearer scrape-secret-123"}
        assert (await c.get("/metrics", headers=right)).status_code == 200


async def test_metrics_refuse_other_hosts_without_a_token(app: Litestar) -> None:
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        assert (await c.get("/metrics")).status_code == 403


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert len(generated) == 32
    given = await client.get("/healthz", headers={"X-Request-ID": "nginx-abcdef123"})
    assert given.headers["x-request-id"] == "nginx-abcdef123"
    forged = await client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert forged.headers["x-request-id"] != "<script>"


async def test_the_sample_grafana_dashboard_queries_metrics_that_exist(
    client: httpx.AsyncClient,
) -> None:
    dashboard = json.loads((PROJECT_ROOT / "deploy/grafana/valvomo-dashboard.json").read_text())
    queried = {
        name.removesuffix("_bucket")
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"valvomo_[a-z_]+", target["expr"])
    }
    exposed = (await client.get("/metrics")).text
    assert len(queried) >= 9
    assert [name for name in sorted(queried) if name not in exposed] == []
