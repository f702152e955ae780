"""Nothing goes out for a closed time: a closure over booked times holds their confirmation and
reminder (and a joint meeting's customer messages) until the professional chooses; removing or
narrowing the closure gives them back; the calendar and the dashboard show what waits for a
choice. A joint meeting in a sick day is handled as a whole, also when the customer dies."""

from __future__ import annotations

import re
import shlex

import httpx

from core.common.clock import now, today
from core.config import PROJECT_ROOT
from core.db import transaction
from core.i18n import gettext, in_language
from core.identity.tables import StaffUser
from core.notifications.tables import OutboxMessage
from core.web.runtime import Runtime
from plugins.booking import absences, meetings
from plugins.booking.tables import Booking, Closure, JointMeeting, Professional
from tests.core.test_customers import create as create_customer
from tests.core.test_customers import form as customer_form
from tests.helpers import SYSTEM, post_form, run_cli, sign_in
from tests.plugins.booking.setup_data import (
    BookingSetup,
    add_colleague,
    create_setup,
    tomorrow_at,
)
from tests.plugins.booking.test_absences import book, live_messages, signed_in
from tests.plugins.booking.test_closure_edit import version_of
from tests.plugins.booking.test_waitlist import booked_day
from tests.plugins.booking.test_waitlist_changes import closure_form, remove_closure_path


async def reminders_of(booking_id: int) -> list[dict[str, object]]:
    return [m for m in await live_messages(booking_id) if str(m["reference"]).endswith(":reminder")]


async def test_a_sick_day_holds_reminders_until_the_professional_chooses(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    inside = await book(setup, tomorrow_at(9))
    outside = await book(setup, tomorrow_at(10))
    [reminder] = await reminders_of(inside)

    closed = await closure_form(client, "9.00", "9.30")
    assert closed.status_code == 200 and re.search(r"/booking/closures/\d+$", str(closed.url))
    assert await reminders_of(inside) == []  # held: nothing goes out for the closed time
    assert not await live_messages(inside)
    assert len(await reminders_of(outside)) == 1

    closure = await Closure.select().first()
    calendar = await client.get("/booking", params={"date": booked_day().isoformat()})
    assert "slot--attention" in calendar.text
    assert f'href="/booking/closures/{closure["id"]}"' in calendar.text
    dashboard = await client.get("/")
    assert f'href="/booking/closures/{closure["id"]}"' in dashboard.text
    waiting = await absences.needing_a_choice(setup.professional_id, now())
    assert [(c["id"], c["bookings"]) for c in waiting] == [(closure["id"], 1)]

    # the professional is back: the closure is removed and the reminder goes out as before
    removed = await post_form(
        client, "/booking/openings", {**await remove_closure_path(client), "confirm": "yes"}
    )
    assert removed.status_code == 200 and 'role="status"' in removed.text
    [again] = await reminders_of(inside)
    assert again["id"] != reminder["id"]
    assert (again["send_at"], again["body"], again["recipient"]) == (
        reminder["send_at"],
        reminder["body"],
        reminder["recipient"],
    )
    assert len(await reminders_of(outside)) == 1  # nothing doubled
    assert await absences.needing_a_choice(setup.professional_id, now()) == []
    calendar = await client.get("/booking", params={"date": booked_day().isoformat()})
    assert "slot--attention" not in calendar.text


async def test_an_edited_closure_holds_and_gives_back_reminders(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)
    first = await book(setup, tomorrow_at(9))
    second = await book(setup, tomorrow_at(10))
    await closure_form(client, "9.00", "9.30")
    closure = await Closure.select().first()
    edit = f"/booking/closures/{closure['id']}/edit"
    fields = {"closure_date": booked_day().isoformat(), "reason": "Sairas"}

    moved = await post_form(
        client,
        edit,
        {
            **fields,
            "closure_start": "10.00",
            "closure_end": "10.30",
            "version": version_of((await client.get(edit)).text),
        },
    )
    assert moved.status_code == 200 and f"/bookings/{second}" in moved.text
    assert len(await reminders_of(first)) == 1  # no longer closed: its reminder is back
    assert await reminders_of(second) == []  # now closed: held

    # a reminder already sent is not sent again when the hold is lifted
    async with transaction():
        await OutboxMessage.update({OutboxMessage.status: "sent"}).where(
            (OutboxMessage.reference == f"booking:{first}:1:reminder")
            & (OutboxMessage.status == "queued")
        )
    await post_form(
        client,
        edit,
        {
            **fields,
            "closure_start": "9.00",
            "closure_end": "9.30",
            "version": version_of((await client.get(edit)).text),
        },
    )
    await post_form(
        client, "/booking/openings", {**await remove_closure_path(client), "confirm": "yes"}
    )
    sent_or_waiting = await OutboxMessage.select().where(
        (OutboxMessage.reference == f"booking:{first}:1:reminder")
        & (OutboxMessage.status != "cancelled")
    )
    assert [m["status"] for m in sent_or_waiting] == ["sent"]
    assert len(await reminders_of(second)) == 1


async def test_a_booking_handled_in_the_closure_gets_only_the_new_messages(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    booking_id = await book(setup, tomorrow_at(9))
    closed = await closure_form(client, "9.00", "9.30")
    cancelled = await post_form(
        client,
        f"{closed.url.path}/bookings/{booking_id}",
        {"choice": "cancel", "reason": "illness", "confirm": "yes"},
    )
    assert cancelled.status_code == 200
    await post_form(
        client, "/booking/openings", {**await remove_closure_path(client), "confirm": "yes"}
    )
    live = await live_messages(booking_id)
    assert [str(m["reference"]).rsplit(":", 1)[1] for m in live] == ["cancelled"]


async def book_meeting(setup: BookingSetup, colleague: int, customer_id: int | None = None) -> int:
    async with transaction():
        return await meetings.book_meeting(
            SYSTEM,
            organiser_id=setup.professional_id,
            colleague_ids=[colleague],
            appointment_type_id=setup.advice_type_id,
            starts_at=tomorrow_at(9, 30),
            mode="phone",
            title="Verkostopalaveri",
            customer_id=customer_id,
            moment=now(),
        )


async def give_email(professional_id: int, email: str, language: str = "fi") -> None:
    user = await Professional.select(Professional.user).where(Professional.id == professional_id)
    async with transaction():
        await StaffUser.update({StaffUser.email: email, StaffUser.language: language}).where(
            StaffUser.id == user[0]["user"]
        )


async def test_a_joint_meeting_in_a_sick_day_is_handled_as_a_whole(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    colleague = await add_colleague(setup)
    await give_email(colleague, "kollega@example.fi", "sv")
    single = await book(setup, tomorrow_at(9))
    meeting_id = await book_meeting(setup, colleague)
    rows = await Booking.select().where(Booking.meeting == meeting_id)
    own = next(r["id"] for r in rows if r["professional"] == setup.professional_id)

    closed = await closure_form(client, "9.00", "10.00")
    assert closed.status_code == 200
    base = str(closed.url.path)
    assert f'href="/booking/meetings/{meeting_id}/move"' in closed.text
    assert f'action="/booking/meetings/{meeting_id}/cancel"' in closed.text
    assert f'action="{base}/bookings/{own}"' not in closed.text  # no per-row choice

    refused = await post_form(
        client,
        f"{base}/bookings/{own}",
        {"choice": "cancel", "reason": "illness", "confirm": "yes"},
    )
    with in_language("fi"):
        message = gettext(absences.JOINT_MEETING)
    assert refused.status_code == 400 and message in refused.text
    page = await client.get(f"/booking/bookings/{own}")
    assert 'value="cancel"' not in page.text  # the booking page sends to the meeting too
    assert {r["status"] for r in await Booking.select().where(Booking.meeting == meeting_id)} == {
        "booked"
    }

    everything = await post_form(
        client, f"{base}/cancel-all", {"reason": "illness", "confirm": "yes"}
    )
    assert everything.status_code == 200, everything.text
    assert (await JointMeeting.select().first())["status"] == "cancelled"
    assert {r["status"] for r in await Booking.select().where(Booking.meeting == meeting_id)} == {
        "cancelled"
    }
    assert (await Booking.select().where(Booking.id == single).first())["status"] == "cancelled"
    told = await OutboxMessage.select().where(
        OutboxMessage.reference.like(f"booking-meeting:{meeting_id}:cancelled:%")
    )
    assert [m["recipient"] for m in told] == ["kollega@example.fi"]
    assert told[0]["subject"] == "Mötet avbokat: Verkostopalaveri"  # the colleague's language


async def test_the_meeting_customers_reminder_is_held_in_a_sick_day(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)  # the register has a mobile number
    setup = await create_setup()
    assert (await sign_in(other_client, setup.username)).status_code == 200
    client = other_client
    colleague = await add_colleague(setup)
    meeting_id = await book_meeting(setup, colleague, customer_id)
    reminder = f"booking-meeting:{meeting_id}:1:customer:reminder"

    async def live() -> int:
        return await OutboxMessage.count().where(
            (OutboxMessage.reference == reminder) & (OutboxMessage.status == "queued")
        )

    assert await live() == 1
    await closure_form(client, "9.00", "10.00")
    assert await live() == 0
    await post_form(
        client, "/booking/openings", {**await remove_closure_path(client), "confirm": "yes"}
    )
    assert await live() == 1


async def test_a_customers_death_cancels_their_joint_meeting_for_everyone(
    admin: httpx.AsyncClient,
) -> None:
    admin_client = admin
    setup = await create_setup()
    colleague = await add_colleague(setup)
    await give_email(setup.professional_id, "jarjestaja@example.fi")
    await give_email(colleague, "kollega@example.fi", "en")
    customer_id = await create_customer(admin_client)
    meeting_id = await book_meeting(setup, colleague, customer_id)

    edit = await admin_client.get(f"/customers/{customer_id}/edit")
    died = await post_form(
        admin_client,
        f"/customers/{customer_id}/edit",
        {
            **customer_form(),
            "status": "deceased",
            "status_date": today().isoformat(),
            "version": version_of(edit.text),
        },
    )
    assert died.status_code == 200, died.text[-2000:]
    assert (await JointMeeting.select().first())["status"] == "cancelled"
    rows = await Booking.select().where(Booking.meeting == meeting_id)
    assert len(rows) == 2 and {r["status"] for r in rows} == {"cancelled"}
    assert all(r["slot_key"] is None for r in rows)
    told = await OutboxMessage.select().where(
        OutboxMessage.reference.like(f"booking-meeting:{meeting_id}:cancelled:%")
    )
    assert sorted(m["recipient"] for m in told) == ["jarjestaja@example.fi", "kollega@example.fi"]
    english = next(m for m in told if m["recipient"] == "kollega@example.fi")
    assert "has been cancelled" in str(english["body"])
    to_customer = await OutboxMessage.select().where(
        OutboxMessage.reference.like(f"booking-meeting:{meeting_id}:%:customer:%")
        & (OutboxMessage.status != "cancelled")
    )
    assert to_customer == []  # nothing more to the deceased


async def close_without_holding(setup: BookingSetup) -> None:
    """A closure 8–12 tomorrow written without holding the messages of the bookings in it."""
    async with transaction():
        await Closure.insert(
            Closure(
                professional=setup.professional_id,
                starts_at=tomorrow_at(8),
                ends_at=tomorrow_at(12),
            )
        )


async def test_the_safety_net_holds_messages_of_a_closure_made_before() -> None:
    setup = await create_setup()
    booking_id = await book(setup, tomorrow_at(9))
    await close_without_holding(setup)  # e.g. a closure made before this release
    assert len(await reminders_of(booking_id)) == 1
    async with transaction():
        assert await absences.hold_all_closed(now()) == 1
    assert await reminders_of(booking_id) == []
    async with transaction():
        assert await absences.hold_all_closed(now()) == 1  # idempotent
    assert await reminders_of(booking_id) == []


async def test_the_deployed_timer_holds_a_reminder_of_a_booking_that_raced_a_closure(
    runtime: Runtime,
) -> None:
    setup = await create_setup()
    booking_id = await book(setup, tomorrow_at(9))
    await close_without_holding(setup)  # the closure's transaction did not see the booking
    assert len(await reminders_of(booking_id)) == 1
    unit = (PROJECT_ROOT / "deploy/systemd/valvomo-booking.service").read_text(encoding="utf-8")
    commands = [
        shlex.split(line.split("=", 1)[1])[1:]
        for line in unit.splitlines()
        if line.startswith("ExecStart=")
    ]
    assert ["booking", "hold-closed"] in commands
    for command in commands:  # what the timer runs, as it runs it
        done = run_cli(runtime, *command)
        assert done.returncode == 0, done.stderr[-2000:]
    assert await reminders_of(booking_id) == []
