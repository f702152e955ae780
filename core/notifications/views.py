"""Staff pages and API of outgoing messages: delivery status, and sending failed ones again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Response, Template

from core.common.errors import ValidationFailed, VersionConflict
from core.customers.services import record_view
from core.db import transaction
from core.i18n import N_
from core.identity.guards import require_user
from core.identity.services import CurrentUser
from core.notifications import delivery
from core.notifications.tables import CHANNEL_LABELS, STATUS_LABELS, STATUSES
from core.web.notices import redirect_with_notice
from core.web.openapi import RecordId, choice_pattern
from core.web.pages import form_data, int_field, render, render_conflict

Req = Request[Any, Any, Any]


async def record_views(user: CurrentUser, rows: Iterable[dict[str, Any]]) -> None:
    """One access-log entry per customer whose messages the user sees."""
    customer_ids = sorted({r["customer_id"] for r in rows if r["customer_id"] is not None})
    if customer_ids:
        async with transaction():
            for customer_id in customer_ids:
                await record_view(user, customer_id, "notification")


class NotificationPages(Controller):
    path = "/notifications"
    include_in_schema = False
    opt = {"permission": "notifications.view"}

    @get("/")
    async def list_page(self, request: Req, status: str = "", page: int = 1) -> Template:
        user = require_user(request)
        result = await delivery.list_messages(status, max(1, min(page, 1_000_000)))
        await record_views(user, result.rows)
        return render(
            request,
            "notifications/list.html",
            result=result,
            status=status,
            statuses=STATUSES,
            status_labels=STATUS_LABELS,
            channel_labels=CHANNEL_LABELS,
        )

    @get("/{message_id:int}")
    async def message_page(self, request: Req, message_id: int) -> Template:
        return await self._message_page(request, message_id)

    async def _message_page(
        self, request: Req, message_id: int, status_code: int = 200, **context: Any
    ) -> Template:
        user = require_user(request)
        message = await delivery.get_message(message_id)
        await record_views(user, [message])
        return render(
            request,
            "notifications/message.html",
            status_code=status_code,
            message=message,
            status_labels=STATUS_LABELS,
            channel_labels=CHANNEL_LABELS,
            **context,
        )

    @post("/{message_id:int}/retry", opt={"permission": "notifications.retry"})
    async def retry(self, request: Req, message_id: int) -> Response[Any] | Template:
        user = require_user(request)
        data = await form_data(request)
        try:
            async with transaction():
                await delivery.retry_message(user, message_id, int_field(data, "version"))
        except ValidationFailed as exc:
            return await self._message_page(request, message_id, 400, errors=exc.errors)
        except VersionConflict as exc:
            return render_conflict(request, exc, f"/notifications/{message_id}/retry", ["status"])
        return redirect_with_notice(
            f"/notifications/{message_id}", N_("The message is queued to be sent again.")
        )


@dataclass
class MessageOut:
    id: int
    channel: str
    recipient: str
    subject: str
    reference: str
    customer_id: int | None
    status: str
    attempts: int
    send_at: dt.datetime
    next_attempt_at: dt.datetime
    last_error: str
    sent_at: dt.datetime | None
    version: int
    body: str | None = None


@dataclass
class MessageRetry:
    version: int


def _message_out(row: dict[str, Any], with_body: bool = False) -> MessageOut:
    return MessageOut(
        id=row["id"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        reference=row["reference"],
        customer_id=row["customer_id"],
        status=row["status"],
        attempts=row["attempts"],
        send_at=row["send_at"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
        version=row["version"],
        body=row["body"] if with_body else None,
    )


StatusFilter = Annotated[
    str, Parameter(pattern=choice_pattern(STATUSES), description="Only messages in this status.")
]


class NotificationApi(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    opt = {"permission": "notifications.view"}

    @get("/")
    async def list_messages(
        self, request: Req, status: StatusFilter = "", page: int = 1
    ) -> list[MessageOut]:
        """Outgoing messages newest first, 50 a page; `status` one of queued, sending, sent,
        failed, cancelled. The message text is left out; read one message for it."""
        user = require_user(request)
        result = await delivery.list_messages(status, max(1, min(page, 1_000_000)))
        await record_views(user, result.rows)
        return [_message_out(row) for row in result.rows]

    @get("/{message_id:int}")
    async def get_message(self, request: Req, message_id: RecordId) -> MessageOut:
        """One message with its text and delivery status."""
        user = require_user(request)
        message = await delivery.get_message(message_id)
        await record_views(user, [message])
        return _message_out(message, with_body=True)

    @post("/{message_id:int}/retry", status_code=200, opt={"permission": "notifications.retry"})
    async def retry(self, request: Req, message_id: RecordId, data: MessageRetry) -> MessageOut:
        """Queue a failed message for a new round of attempts."""
        user = require_user(request)
        async with transaction():
            row = await delivery.retry_message(user, message_id, data.version)
        return _message_out(row, with_body=True)
