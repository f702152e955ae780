"""Hand-built months for the situational picture tests, through each service's own rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.common.clock import now
from core.db import transaction
from core.plugins import BillingPeriod, MetricContext
from core.situation.refresh import refresh
from core.situation.services import declared_metrics
from core.web.runtime import Runtime
from plugins.booking.tables import Booking
from plugins.meals import services as meals
from plugins.security_phones.tables import Alarm, AlarmVisit, PhoneService
from tests.helpers import SYSTEM
from tests.plugins.booking.setup_data import create_setup
from tests.plugins.meals.conftest import active_service, new_region, version_of
from tests.plugins.security_phones.factories import new_centre, new_customer

MARCH = BillingPeriod(2026, 3)
UTC = dt.UTC


async def compute(runtime: Runtime, *months: BillingPeriod, names: tuple[str, ...] = ()) -> None:
    metrics = declared_metrics(runtime.host)
    chosen = [metrics[n] for n in names] if names else list(metrics.values())
    await refresh(chosen, list(months), MetricContext(runtime.host, runtime.settings))


async def meals_march() -> None:
    """Two customers from January, three openings, one ending and two pauses in March 2026."""
    region = await new_region()
    january = [await active_service(region, dt.date(2026, 1, 5)) for _ in range(2)]
    march = [await active_service(region, dt.date(2026, 3, day)) for day in (2, 10, 20)]
    async with transaction():
        await meals.request_ending(
            SYSTEM,
            january[0],
            await version_of(january[0]),
            {"end_date": "2026-03-15", "ending_reason": "moved to sheltered housing"},
        )
    for service_id, day in ((january[1], "2026-03-03"), (march[0], "2026-03-23")):
        async with transaction():
            await meals.pause_service(
                SYSTEM,
                service_id,
                await version_of(service_id),
                {"start_date": day, "end_date": "", "reason": "hospital stay"},
            )


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def phones_march() -> None:
    """Two phone customers (one started in March), three alarms, visits after 10 and 40 min."""
    centre, _ = await new_centre()
    first, second = await new_customer(), await new_customer()
    async with transaction():
        for customer, start in ((first, dt.date(2025, 6, 1)), (second, dt.date(2026, 3, 4))):
            await PhoneService.insert(
                PhoneService(
                    customer=customer, decision_date=start, start_date=start, centre=centre
                )
            )
        alarm_ids = []
        for n, (customer, moment) in enumerate(
            ((first, at(5, 8)), (first, at(9, 22)), (second, at(12, 3)))
        ):
            rows = await Alarm.insert(
                Alarm(
                    centre=centre,
                    centre_alarm_id=f"A{n}",
                    occurred_at=moment,
                    customer=customer,
                    kind="button",
                    visit_needed=True,
                )
            ).returning(Alarm.id)
            alarm_ids.append((rows[0]["id"], moment))
        for (alarm_id, moment), minutes in zip(alarm_ids[:2], (10, 40), strict=True):
            await AlarmVisit.insert(
                AlarmVisit(
                    alarm=alarm_id,
                    dispatched_at=moment,
                    arrived_at=moment + dt.timedelta(minutes=minutes),
                )
            )


async def bookings_march() -> None:
    """Four appointments in March: two done, one no-show, one cancelled, for three people."""
    setup = await create_setup()
    people = [await new_customer() for _ in range(3)]
    plan: list[tuple[int, str]] = [
        (people[0], "done"),
        (people[1], "done"),
        (people[2], "no_show"),
        (people[0], "cancelled"),
    ]
    rows: list[Any] = []
    for n, (customer, status) in enumerate(plan):
        start = at(10 + n, 9)
        rows.append(
            Booking(
                professional=setup.professional_id,
                appointment_type=setup.advice_type_id,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=15),
                mode="phone",
                status=status,
                customer=customer,
                created_at=now(),
            )
        )
    async with transaction():
        await Booking.insert(*rows)
