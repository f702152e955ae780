"""A customer's access log as a page and CSV, and the audit log API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response, Template

from core.audit import services
from core.audit.tables import AuditEntry
from core.customers.services import get_customer
from core.db import transaction
from core.i18n import fmt_datetime
from core.identity.guards import require_user
from core.web.openapi import OptionalRecordId, RecordId
from core.web.pages import render

Req = Request[Any, Any, Any]
PAGE_SIZE = 100


class AccessLogPages(Controller):
    path = "/customers/{customer_id:int}/access-log"
    include_in_schema = False
    opt = {"permission": "audit.view"}

    @get("/")
    async def access_log(self, request: Req, customer_id: int, page: int = 1) -> Template:
        customer = await get_customer(customer_id)
        page = max(1, page)
        rows = await services.customer_access_log(
            customer_id, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE
        )
        async with transaction():
            await services.record(
                require_user(request), "view", "access_log", customer_id, customer_id=customer_id
            )
        return render(
            request,
            "audit/access_log.html",
            customer=customer,
            rows=rows[:PAGE_SIZE],
            action_labels=services.ACTION_LABELS,
            page=page,
            has_next=len(rows) > PAGE_SIZE,
        )

    @get("/csv")
    async def access_log_csv(self, request: Req, customer_id: int) -> Response[bytes]:
        await get_customer(customer_id)
        rows = await services.customer_access_log(customer_id)
        async with transaction():
            await services.record(
                require_user(request), "export", "access_log", customer_id, customer_id=customer_id
            )
        return Response(
            content=services.access_log_csv(rows, fmt_datetime),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="access-log-{customer_id}.csv"'},
        )


@dataclass
class AuditEntryOut:
    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    actor_roles: str
    action: str
    entity: str
    entity_id: str
    customer_id: int | None
    before: Any
    after: Any
    key_id: str
    mac: str


class AuditApi(Controller):
    path = "/api/audit"
    tags = ["audit"]
    opt = {"permission": "audit.view"}

    @get("/")
    async def list_entries(
        self, before_seq: OptionalRecordId = 0, limit: int = 100
    ) -> list[AuditEntryOut]:
        """Audit entries, newest first; pass the last `seq` you got as `before_seq` for more."""
        query = AuditEntry.select(
            AuditEntry.id.as_alias("seq"),
            *[c for c in AuditEntry._meta.columns if c._meta.name != "id"],
        )
        if before_seq > 0:
            query = query.where(AuditEntry.id < before_seq)
        rows = (
            await query.order_by(AuditEntry.id, ascending=False)
            .limit(max(1, min(limit, 1000)))
            .output(load_json=True)
        )
        return [AuditEntryOut(**r) for r in rows]

    @get("/customers/{customer_id:int}")
    async def customer_access_log(
        self, request: Req, customer_id: RecordId
    ) -> list[dict[str, Any]]:
        """Who viewed or changed the customer's data, when and in what role."""
        await get_customer(customer_id)
        rows = await services.customer_access_log(customer_id, limit=1000)
        async with transaction():
            await services.record(
                require_user(request), "view", "access_log", customer_id, customer_id=customer_id
            )
        return rows
