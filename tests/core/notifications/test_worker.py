"""The worker against a real SMS gateway process and a real SMTP server."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from core.common.clock import now
from core.config import NotificationSettings
from core.db import transaction
from core.notifications.services import cancel_messages, queue_message
from core.notifications.tables import CANCELLED, FAILED, QUEUED, SENDING, SENT, OutboxMessage
from tests.core.notifications.conftest import make_worker
from tests.core.notifications.servers import SmsGatewayProcess, SmtpServer


async def queue(count: int, channel: str = "sms", **extra: object) -> list[int]:
    recipient = "040 765 4321" if channel == "sms" else "asiakas@example.fi"
    async with transaction():
        return [
            await queue_message(
                channel=channel,
                recipient=recipient,
                body=f"Viesti {n}",
                **extra,  # type: ignore[arg-type]
            )
            for n in range(count)
        ]


async def message(message_id: int) -> dict[str, object]:
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert row is not None
    return row


async def make_due_now() -> None:
    await OutboxMessage.update({OutboxMessage.next_attempt_at: now()}).where(
        OutboxMessage.status == QUEUED
    )


async def test_sms_and_email_are_delivered_once_with_their_keys(
    notification_settings: NotificationSettings, gateway: SmsGatewayProcess, smtp: SmtpServer
) -> None:
    sms_ids = await queue(12)
    email_ids = await queue(2, "email", subject="Ajanvaraus")
    worker = make_worker(notification_settings)
    assert await worker.run_until_idle() == 14
    await worker.close()

    rows = [await message(i) for i in sms_ids + email_ids]
    assert {r["status"] for r in rows} == {SENT}
    assert all(r["attempts"] == 1 and r["sent_at"] for r in rows)
    deliveries = gateway.records()["deliveries"]
    assert sorted(d["key"] for d in deliveries) == sorted(
        str(r["idempotency_key"]) for r in rows[:12]
    )
    assert {d["to"] for d in deliveries} == {"+358407654321"}
    assert {r["provider_id"] for r in rows[:12]} == {d["id"] for d in deliveries}
    mails = smtp.handler.messages
    for row in rows[12:]:
        mail = mails[f"<{row['idempotency_key']}@hyvaks.example>"]
        assert mail["To"] == "asiakas@example.fi"
        assert mail["Subject"] == "Ajanvaraus"
        assert str(mail.get_payload()).strip().startswith("Viesti")


async def test_failures_are_retried_with_growing_delays_then_marked_failed(
    notification_settings: NotificationSettings, gateway: SmsGatewayProcess
) -> None:
    gateway.control(fail_status=503)
    [message_id] = await queue(1)
    worker = make_worker(notification_settings)
    for delay in (60, 120):
        before = now()
        assert await worker.run_batch() == 1
        after = now()
        row = await message(message_id)
        assert row["status"] == QUEUED
        # The delay counts from the attempt, which lies between before and after (a busy
        # machine can take more than half a second over one batch).
        wait = dt.timedelta(seconds=delay)
        assert before + wait - dt.timedelta(seconds=1) <= row["next_attempt_at"] <= after + wait  # type: ignore[operator]
        assert await worker.run_batch() == 0  # not due yet
        await make_due_now()
    await worker.run_batch()
    row = await message(message_id)
    assert row["status"] == FAILED
    assert row["attempts"] == 3
    assert "503" in str(row["last_error"])
    assert await worker.run_batch() == 0
    assert gateway.records()["requests"] == 3


async def test_a_refused_number_fails_at_once(
    notification_settings: NotificationSettings, gateway: SmsGatewayProcess
) -> None:
    gateway.control(fail_status=400)
    [message_id] = await queue(1)
    await make_worker(notification_settings).run_until_idle()
    row = await message(message_id)
    assert (row["status"], row["attempts"]) == (FAILED, 1)


async def test_unreachable_gateway_is_retried(notification_settings: NotificationSettings) -> None:
    settings = replace(notification_settings, sms_gateway_url="http://127.0.0.1:9/messages")
    [message_id] = await queue(1)
    await make_worker(settings).run_until_idle()
    row = await message(message_id)
    assert row["status"] == QUEUED
    assert "unreachable" in str(row["last_error"])


async def test_cancelled_and_future_messages_are_not_sent(
    notification_settings: NotificationSettings, gateway: SmsGatewayProcess
) -> None:
    cancelled = await queue(2, reference="booking:7:reminder")
    later = await queue(1, send_at=now() + dt.timedelta(hours=1))
    async with transaction():
        assert await cancel_messages("booking:7:reminder") == 2
    assert await make_worker(notification_settings).run_until_idle() == 0
    assert gateway.records()["requests"] == 0
    assert [(await message(i))["status"] for i in cancelled] == [CANCELLED, CANCELLED]
    assert (await message(later[0]))["status"] == QUEUED


async def test_a_message_claimed_by_a_dead_worker_is_sent_once_after_its_lease(
    notification_settings: NotificationSettings, gateway: SmsGatewayProcess
) -> None:
    ids = await queue(3)
    dead = make_worker(notification_settings)
    claimed = await dead.claim_batch()
    await dead.send_one(claimed[0])  # reached the gateway, then the worker died
    survivor = make_worker(notification_settings)
    assert await survivor.run_until_idle() == 0  # the lease still holds
    assert {(await message(i))["status"] for i in ids} == {SENDING}

    await OutboxMessage.update({OutboxMessage.claimed_until: now()}).where(
        OutboxMessage.status == SENDING
    )
    assert await survivor.run_until_idle() == 3
    records = gateway.records()
    assert len(records["deliveries"]) == 3
    assert records["requests_by_key"][claimed[0].idempotency_key] == 2
    rows = [await message(i) for i in ids]
    assert {r["status"] for r in rows} == {SENT}
    assert rows[0]["attempts"] == 2
    await dead.record([await dead.send_one(claimed[1])])  # late answer of the dead worker
    assert (await message(ids[1]))["claimed_by"] == survivor.worker_id


async def test_message_cancelled_while_being_sent_is_recorded_as_sent(
    notification_settings: NotificationSettings, gateway: SmsGatewayProcess
) -> None:
    [message_id] = await queue(1, reference="r")
    worker = make_worker(notification_settings)
    [claimed] = await worker.claim_batch()
    async with transaction():
        assert await cancel_messages("r") == 1
    await worker.record([await worker.send_one(claimed)])
    assert (await message(message_id))["status"] == SENT


async def test_message_of_an_unknown_channel_fails(
    notification_settings: NotificationSettings,
) -> None:
    [message_id] = await queue(1)
    await OutboxMessage.update({OutboxMessage.channel: "pigeon"}).where(
        OutboxMessage.id == message_id
    )
    await make_worker(notification_settings).run_until_idle()
    row = await message(message_id)
    assert row["status"] == FAILED
    assert "pigeon" in str(row["last_error"])


async def test_email_sent_again_after_a_crash_carries_the_same_message_id(
    notification_settings: NotificationSettings, smtp: SmtpServer
) -> None:
    [message_id] = await queue(1, "email", subject="Vahvistus")
    dead = make_worker(notification_settings)
    [claimed] = await dead.claim_batch()
    assert (await dead.send_one(claimed)).failure is None  # delivered, then the worker died
    await OutboxMessage.update({OutboxMessage.claimed_until: now()}).where(
        OutboxMessage.id == message_id
    )
    assert await make_worker(notification_settings).run_until_idle() == 1
    message_id_header = f"<{claimed.idempotency_key}@hyvaks.example>"
    assert smtp.handler.attempts == {message_id_header: 2}
    assert list(smtp.handler.messages) == [message_id_header]
    assert (await message(message_id))["status"] == SENT


async def test_gateway_with_basic_auth_and_wrong_credentials_retried(
    notification_settings: NotificationSettings,
) -> None:
    gateway = SmsGatewayProcess(basic="valvomo:s3cret")
    try:
        settings = replace(
            notification_settings, sms_gateway_url=gateway.url, sms_token="",
            sms_username="valvomo", sms_password="wrong",
        )  # fmt: skip
        [message_id] = await queue(1)
        await make_worker(settings).run_until_idle()
        row = await message(message_id)
        assert row["status"] == QUEUED  # a settings problem: retried, not failed
        assert "401" in str(row["last_error"])

        await make_due_now()
        fixed = replace(settings, sms_password="s3cret")
        await make_worker(fixed).run_until_idle()
        assert (await message(message_id))["status"] == SENT
        assert len(gateway.records()["deliveries"]) == 1
    finally:
        gateway.stop()
