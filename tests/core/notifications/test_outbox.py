"""The outbox API: queueing in the caller's transaction, cancelling, recipient checks."""

from __future__ import annotations

import datetime as dt

import pytest

from core.common.clock import now
from core.common.errors import ValidationFailed
from core.db import transaction
from core.notifications.services import (
    allow_sms_countries,
    cancel_messages,
    queue_message,
    sms_recipient_problem,
)
from core.notifications.tables import CANCELLED, QUEUED, SENT, OutboxMessage


class Rollback(Exception):
    pass


async def test_queued_message_is_stored_with_a_stable_key() -> None:
    async with transaction():
        message_id = await queue_message(
            channel="sms", recipient="040 123 4567", body="Tervetuloa", reference="test:1"
        )
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert row is not None
    assert row["recipient"] == "+358401234567"
    assert row["status"] == QUEUED
    assert row["attempts"] == 0
    assert len(row["idempotency_key"]) == 32


async def test_message_queued_in_a_rolled_back_transaction_does_not_exist() -> None:
    with pytest.raises(Rollback):
        async with transaction():
            await queue_message(channel="email", recipient="a@example.fi", body="Hei")
            raise Rollback
    assert await OutboxMessage.count() == 0


async def test_cancel_touches_only_unsent_messages_of_the_reference() -> None:
    async with transaction():
        first = await queue_message(channel="sms", recipient="0401234567", body="a", reference="r")
        await queue_message(channel="sms", recipient="0401234567", body="b", reference="r")
        other = await queue_message(channel="sms", recipient="0401234567", body="c", reference="x")
        await OutboxMessage.update({OutboxMessage.status: SENT}).where(OutboxMessage.id == first)
        assert await cancel_messages("r") == 1
    statuses = {
        r["id"]: r["status"]
        for r in await OutboxMessage.select(OutboxMessage.id, OutboxMessage.status)
    }
    assert statuses[first] == SENT
    assert statuses[other] == QUEUED
    assert sorted(statuses.values()).count(CANCELLED) == 1


async def test_future_send_time_is_kept() -> None:
    later = now() + dt.timedelta(days=2)
    async with transaction():
        message_id = await queue_message(
            channel="email", recipient="a@example.fi", subject="Muistutus", body="x", send_at=later
        )
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert row is not None
    assert abs(row["next_attempt_at"] - later) < dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("040 123 4567", True),
        ("+358 50 123 4567", True),
        ("0451234567", True),
        ("+46 70 123 4567", False),  # abroad: only [notifications] sms_country_codes
        ("09 123 4567", False),
        ("06 421 1234", False),
        ("not a number", False),
    ],
)
def test_sms_recipient_problem(phone: str, ok: bool) -> None:
    assert (sms_recipient_problem(phone) is None) is ok


def test_sms_countries_come_from_configuration() -> None:
    allow_sms_countries(("358", "46"))
    try:
        assert sms_recipient_problem("+46 70 123 4567") is None
        assert sms_recipient_problem("+44 7911 123456") is not None
    finally:
        allow_sms_countries(("358",))


@pytest.mark.parametrize(
    ("channel", "recipient", "field"),
    [
        ("fax", "0401234567", "channel"),
        ("sms", "09 123 4567", "recipient"),
        ("email", "not-an-address", "recipient"),
    ],
)
async def test_invalid_messages_are_refused(channel: str, recipient: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        async with transaction():
            await queue_message(channel=channel, recipient=recipient, body="x")
    assert field in caught.value.errors
    assert await OutboxMessage.count() == 0
