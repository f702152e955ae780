"""A unit closed for a day: 200 customers are each told exactly once, even when the worker
sending the notices is killed midway (the kill-the-worker test of core notifications, with
booking's closure notices as the messages)."""

from __future__ import annotations

import datetime as dt
import signal
import time
from collections import Counter
from pathlib import Path

from core.common.clock import now
from core.db import transaction
from core.notifications.tables import OutboxMessage
from core.web.runtime import Runtime
from plugins.booking import absences, bookings
from plugins.booking.tables import AppointmentType, Closure, Opening
from tests.core.notifications.conftest import gateway, gateway_process  # noqa: F401
from tests.core.notifications.servers import SmsGatewayProcess
from tests.core.notifications.test_worker_processes import (
    start_worker,
    wait_for_deliveries,
    worker_config,
)
from tests.helpers import SYSTEM
from tests.plugins.booking.setup_data import create_setup, tomorrow_at

CUSTOMERS = 200


async def book_a_full_day(count: int) -> tuple[int, list[str]]:
    """`count` five-minute bookings of one professional from 07:00, each with its own phone."""
    setup = await create_setup()
    day = tomorrow_at(7)
    async with transaction():
        quick = await AppointmentType.insert(
            AppointmentType(code="QUICK5", name="Pikaneuvonta", duration_minutes=5, modes=["phone"])
        ).returning(AppointmentType.id)
        await Opening.insert(
            Opening(
                professional=setup.professional_id,
                appointment_type=quick[0]["id"],
                on_date=day.date(),
                valid_from=day.date(),
                start_time=dt.time(7),
                end_time=dt.time(23, 55),
            )
        )
    phones = [f"+35840{1000000 + n}" for n in range(count)]
    async with transaction():
        for n, phone in enumerate(phones):
            request = bookings.BookingRequest(
                professional_id=setup.professional_id,
                appointment_type_id=quick[0]["id"],
                starts_at=day + dt.timedelta(minutes=5 * n),
                mode="phone",
                name=f"Asiakas {n}",
                phone=phone,
                language="fi",
            )
            booking_id = await bookings.create_booking(SYSTEM, request, now())
            booking = await bookings.get_booking(booking_id)
            await bookings.queue_messages(booking, f"https://example.fi/m/{booking_id}", now())
    async with transaction():
        await Closure.insert(
            Closure(
                professional=setup.professional_id,
                starts_at=day - dt.timedelta(hours=1),
                ends_at=day + dt.timedelta(hours=17),
                reason="Toimipiste suljettu",
            )
        )
    return setup.professional_id, phones


async def test_closure_over_200_bookings_tells_each_customer_once_despite_a_killed_worker(
    runtime: Runtime,
    gateway: SmsGatewayProcess,  # noqa: F811
    tmp_path: Path,
) -> None:
    professional_id, phones = await book_a_full_day(CUSTOMERS)
    closure = await Closure.select().where(Closure.professional == professional_id).first()
    async with transaction():
        cancelled = await absences.cancel_all_with_notice(
            SYSTEM, closure, "unit_closed", lambda b: "https://example.fi/book/", now()
        )
    assert cancelled == CUSTOMERS

    gateway.control(delay_ms=15)
    config = worker_config(tmp_path, runtime, gateway)
    worker = start_worker(config)
    try:
        delivered = wait_for_deliveries(gateway, 60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert delivered < 2 * CUSTOMERS, "the worker finished before it was killed"
    gateway.control(delay_ms=0)
    time.sleep(2.5)  # the killed worker's lease expires
    restarted = start_worker(config, "--once")
    assert restarted.wait(timeout=180) == 0

    deliveries = gateway.records()["deliveries"]
    notices = Counter(d["to"] for d in deliveries if "peruttu" in d["text"])
    assert notices == Counter({phone: 1 for phone in phones})  # each customer told once
    assert not [d for d in deliveries if "Muistutus" in d["text"]]  # no reminder of the old time
    reminders = await OutboxMessage.select(OutboxMessage.status).where(
        OutboxMessage.reference.like("booking:%:reminder")
    )
    assert len(reminders) == CUSTOMERS and {r["status"] for r in reminders} == {"cancelled"}
