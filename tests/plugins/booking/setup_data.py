"""Units, a professional, appointment types and openings for booking tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.common.clock import now, today
from core.db import transaction
from core.identity.tables import StaffUser
from plugins.booking.tables import AppointmentType, Booking, Opening, Professional, ServiceUnit
from tests.helpers import make_user


@dataclass
class BookingSetup:
    unit_id: int
    professional_id: int
    username: str
    advice_type_id: int
    followup_type_id: int


async def create_setup(weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)) -> BookingSetup:
    """One professional with 15-minute advice times 09:00–11:00 every day from today on."""
    username = await make_user("professional")
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    async with transaction():
        unit = await ServiceUnit.insert(
            ServiceUnit(name="Perheneuvola", municipality="Seinäjoki", street_address="Koulukatu 1")
        ).returning(ServiceUnit.id)
        professional = await Professional.insert(
            Professional(user=user["id"], unit=unit[0]["id"], title="Sosiaaliohjaaja")
        ).returning(Professional.id)
        advice = await AppointmentType.insert(
            AppointmentType(
                code="ADVICE15",
                name="Advice",
                duration_minutes=15,
                modes=["phone", "office"],
                public=True,
                preparation="Mieti kysymyksesi etukäteen.",
                bring_list="Kela-kortti",
            ),
            AppointmentType(
                code="FOLLOW30",
                name="Follow-up",
                duration_minutes=30,
                modes=["phone"],
                public=False,
            ),
        ).returning(AppointmentType.id)
        for weekday in weekdays:
            for type_id, start, end in ((advice[0]["id"], 9, 11), (advice[1]["id"], 13, 15)):
                await Opening.insert(
                    Opening(
                        professional=professional[0]["id"],
                        appointment_type=type_id,
                        weekday=weekday,
                        valid_from=today() - dt.timedelta(days=7),
                        start_time=dt.time(start),
                        end_time=dt.time(end),
                    )
                )
    return BookingSetup(
        unit_id=unit[0]["id"],
        professional_id=professional[0]["id"],
        username=username,
        advice_type_id=advice[0]["id"],
        followup_type_id=advice[1]["id"],
    )


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    """A Helsinki wall-clock time tomorrow (always beyond the minimum notice), in UTC."""
    from plugins.booking.availability import local_moment

    moment = local_moment(today() + dt.timedelta(days=2), dt.time(hour, minute))
    assert moment is not None
    return moment


async def add_colleague(setup: BookingSetup, type_ids: tuple[int, ...] = ()) -> int:
    """A second professional in the same unit, with the advice type open 09:00–11:00 daily."""
    username = await make_user("professional")
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    async with transaction():
        professional = await Professional.insert(
            Professional(user=user["id"], unit=setup.unit_id, title="Sosiaaliohjaaja")
        ).returning(Professional.id)
        for type_id in type_ids or (setup.advice_type_id,):
            for weekday in range(7):
                await Opening.insert(
                    Opening(
                        professional=professional[0]["id"],
                        appointment_type=type_id,
                        weekday=weekday,
                        valid_from=today() - dt.timedelta(days=7),
                        start_time=dt.time(9),
                        end_time=dt.time(11),
                    )
                )
    return int(professional[0]["id"])


async def coming_booking() -> dict[str, Any]:
    """The next booked appointment at least an hour away.

    A citizen's manage link expires when the appointment starts (410), so tests that
    open one must never take a booking that may start while the test runs.
    """
    row = (
        await Booking.select()
        .where((Booking.status == "booked") & (Booking.starts_at > now() + dt.timedelta(hours=1)))
        .order_by(Booking.starts_at)
        .first()
    )
    assert row, "there are coming booked appointments"
    return row
