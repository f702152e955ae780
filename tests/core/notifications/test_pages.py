"""Staff pages and API of outgoing messages: status, filter, pages, retry, access log."""

from __future__ import annotations

import httpx

from core.audit.tables import AuditEntry
from core.db import transaction
from core.notifications.services import queue_message
from core.notifications.tables import FAILED, QUEUED, SENT, OutboxMessage
from tests.helpers import api_headers, make_user, post_form, sign_in

CUSTOMER_ID = 4242


async def queue_messages(count: int, status: str = QUEUED) -> list[int]:
    async with transaction():
        ids = [
            await queue_message(
                channel="sms",
                recipient="0401112222",
                body=f"Muistutus {n}",
                customer_id=CUSTOMER_ID,
                reference=f"test:{n}",
            )
            for n in range(count)
        ]
        await OutboxMessage.update(
            {OutboxMessage.status: status, OutboxMessage.last_error: "gateway answered 503"}
        ).where(OutboxMessage.id.is_in(ids))
    return ids


async def test_list_filters_by_status_and_pages(admin: httpx.AsyncClient) -> None:
    await queue_messages(55, FAILED)
    await queue_messages(2, SENT)
    response = await admin.get("/notifications", params={"status": "failed"})
    assert response.status_code == 200
    assert "55" in response.text
    assert response.text.count("gateway answered 503") == 50
    assert 'rel="next"' in response.text
    second = await admin.get("/notifications", params={"status": "failed", "page": 2})
    assert second.text.count("gateway answered 503") == 5
    views = await AuditEntry.count().where(
        (AuditEntry.action == "view") & (AuditEntry.customer_id == CUSTOMER_ID)
    )
    assert views == 2


async def test_unknown_status_filter_is_a_clear_400(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/notifications", params={"status": "lost"})
    assert response.status_code == 400
    api = await admin.get("/api/notifications", params={"status": "lost"})
    assert api.status_code == 400
    assert "status" in api.text


async def test_failed_message_is_sent_again_from_its_page(admin: httpx.AsyncClient) -> None:
    [message_id] = await queue_messages(1, FAILED)
    page = await admin.get(f"/notifications/{message_id}")
    assert "Muistutus 0" in page.text
    version = (await OutboxMessage.select(OutboxMessage.version).first())["version"]  # type: ignore[index]
    response = await post_form(admin, f"/notifications/{message_id}/retry", {"version": version})
    assert response.status_code == 200
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert row is not None
    assert (row["status"], row["attempts"]) == (QUEUED, 0)
    retry = (
        await AuditEntry.select()
        .where((AuditEntry.action == "update") & (AuditEntry.entity == "notification"))
        .first()
        .output(load_json=True)
    )
    assert retry is not None and retry["customer_id"] == CUSTOMER_ID
    assert retry["before"]["status"] == FAILED and retry["after"] == {"status": QUEUED}

    again = await post_form(admin, f"/notifications/{message_id}/retry", {"version": version})
    assert again.status_code == 409  # stale version: the conflict page


async def test_only_failed_messages_can_be_retried(admin: httpx.AsyncClient) -> None:
    [message_id] = await queue_messages(1, SENT)
    response = await post_form(admin, f"/notifications/{message_id}/retry", {"version": 1})
    assert response.status_code == 400
    assert (await OutboxMessage.select(OutboxMessage.status).first())["status"] == SENT  # type: ignore[index]


async def test_api_lists_and_retries(admin: httpx.AsyncClient) -> None:
    [message_id] = await queue_messages(1, FAILED)
    listing = await admin.get("/api/notifications", params={"status": "failed"})
    assert listing.status_code == 200
    [item] = listing.json()
    assert item["status"] == FAILED and item["body"] is None
    detail = (await admin.get(f"/api/notifications/{message_id}")).json()
    assert detail["body"] == "Muistutus 0"
    retried = await admin.post(
        f"/api/notifications/{message_id}/retry",
        json={"version": detail["version"]},
        headers=api_headers(admin),
    )
    assert retried.status_code == 200
    assert retried.json()["status"] == QUEUED
    missing = await admin.get("/api/notifications/999999")
    assert missing.status_code == 404


async def test_staff_without_the_permission_are_refused(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user("home_care"))
    assert (await client.get("/notifications")).status_code == 403
    assert (await client.get("/api/notifications")).status_code == 403


async def test_dashboard_shows_how_many_messages_failed(admin: httpx.AsyncClient) -> None:
    await queue_messages(3, FAILED)
    response = await admin.get("/")
    assert response.status_code == 200
    assert 'href="/notifications?status=failed"' in response.text
    assert ": 3</a>" in response.text
