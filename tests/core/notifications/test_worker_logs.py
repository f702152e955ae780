"""JSON log lines: the request id travels from the request that queued a message into the
worker's line about sending it; neither line holds the recipient, the text or a query."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from core.config import NotificationSettings
from core.db import transaction
from core.notifications.services import queue_message
from core.notifications.tables import OutboxMessage
from core.operations.logs import bound_request_id, log_handler
from tests.core.notifications.conftest import make_worker


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = log_handler("json", stream)
    loggers = [logging.getLogger(n) for n in ("valvomo.access", "valvomo.notifications")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_access_log_has_the_route_template_and_request_id_not_the_query(
    client: httpx.AsyncClient, json_log: io.StringIO
) -> None:
    response = await client.get(
        "/customers/777?q=Virtanen", headers={"X-Request-ID": "req-abcdef12"}
    )
    line = next(entry for entry in lines(json_log) if entry["event"] == "request")
    assert line["request_id"] == "req-abcdef12" == response.history[0].headers["x-request-id"]
    assert line["route"] == "/customers/{customer_id}"
    assert line["status"] == 302 and line["method"] == "GET"
    assert "Virtanen" not in json_log.getvalue() and "/customers/777" not in json_log.getvalue()


async def test_the_worker_logs_a_send_with_the_request_id_that_queued_it(
    notification_settings: NotificationSettings, json_log: io.StringIO
) -> None:
    with bound_request_id("req-queued-42"):
        async with transaction():
            message_id = await queue_message(
                channel="sms", recipient="040 765 4321", body="Aika huomenna klo 9.00"
            )
    row = await OutboxMessage.select(OutboxMessage.request_id).where(OutboxMessage.id == message_id)
    assert row == [{"request_id": "req-queued-42"}]

    worker = make_worker(notification_settings)
    try:
        assert await worker.run_until_idle() == 1
    finally:
        await worker.close()
    (sent,) = [entry for entry in lines(json_log) if "Sent message" in str(entry["event"])]
    assert sent["request_id"] == "req-queued-42"
    assert sent["level"] == "info" and sent["logger"] == "valvomo.notifications"
    # the number as written and as normalised; three digits alone can occur in a timestamp
    log = json_log.getvalue()
    assert "765 4321" not in log and "7654321" not in log and "huomenna" not in log
