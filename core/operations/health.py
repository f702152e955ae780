"""`/healthz` (the process answers) and `/readyz` (it can serve): public, cheap, no session."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from core.operations.outage import is_database_outage
from core.operations.readiness import Check, MigrationCheck, database_check, worker_check
from core.web.runtime import runtime_of

PROBE = {"public": True, "sessionless": True}


class HealthController(Controller):
    include_in_schema = False
    opt = {"public": True}  # also for the automatic OPTIONS answers

    @get("/healthz", opt=PROBE, sync_to_thread=False)
    def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", opt=PROBE)
    async def readyz(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        runtime = runtime_of(request)
        checks = await _run_checks(request)
        ready = all(check.ok for check in checks)
        body = {
            "status": "ready" if ready else "not ready",
            "checks": {c.name: "ok" if c.ok else f"failing: {c.detail}" for c in checks},
        }
        headers = (
            {} if ready else {"Retry-After": str(runtime.settings.operations.retry_after_seconds)}
        )
        return Response(body, status_code=200 if ready else 503, headers=headers)


async def _run_checks(request: Request[Any, Any, Any]) -> list[Check]:
    runtime = runtime_of(request)
    try:
        checks = [await database_check(runtime.database)]
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        return [Check("database", False, "unreachable")]
    migrations: MigrationCheck = request.app.state.setdefault(
        "migration_check", MigrationCheck(runtime.database)
    )
    pending = await migrations.pending()
    checks.append(Check("migrations", not pending, f"{len(pending)} not applied"))
    checks.append(await worker_check(runtime.settings.operations.worker_heartbeat_seconds))
    return checks
