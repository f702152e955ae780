"""Staff: setup, openings and closures, calendar, booking for a customer, booking rights,
client-plan reminders and the no-show fee."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import httpx
import pytest

from core.audit.tables import AuditEntry
from core.common.clock import HELSINKI, now, today
from core.customers.tables import Customer
from core.db import transaction
from core.i18n import N_, gettext, in_language
from core.notifications.tables import OutboxMessage
from core.plugins.types import BillingPeriod
from core.tasks.tables import Task
from plugins.booking import billing, bookings, duties, rights, settings
from plugins.booking.tables import (
    AppointmentType,
    Booking,
    BookingContact,
    BookingRight,
    ClientPlanDuty,
    Closure,
    Opening,
    Professional,
    ServiceUnit,
)
from tests.core.test_customers import create as create_customer
from tests.core.test_customers import form as customer_form
from tests.helpers import SYSTEM, make_user, post_confirmed, post_form, sign_in
from tests.plugins.booking.setup_data import BookingSetup, create_setup, tomorrow_at
from tests.plugins.booking.test_public import details


async def signed_in_professional(client: httpx.AsyncClient) -> BookingSetup:
    setup = await create_setup()
    response = await sign_in(client, setup.username)
    assert response.status_code == 200
    return setup


async def test_admin_sets_up_unit_type_and_professional(admin: httpx.AsyncClient) -> None:
    await make_user("professional", username="sanna")
    response = await post_form(
        admin, "/booking/setup/unit", {"name": "Lapuan toimisto", "municipality": "Lapua"}
    )
    assert response.status_code == 200
    unit = await ServiceUnit.select().first()
    bad = await post_form(
        admin,
        "/booking/setup/type",
        {"code": "bad code!", "name": "", "duration_minutes": "7", "modes": "teleport"},
    )
    assert bad.status_code == 400
    for field in ("code", "name", "duration_minutes", "modes"):
        assert f'href="#f-{field}"' in bad.text
    good = await post_form(
        admin,
        "/booking/setup/type",
        {
            "code": "advice15",
            "name": "Neuvonta",
            "duration_minutes": "15",
            "modes": ["phone", "office"],
            "public": "on",
            "bring_list": "Kela-kortti",
        },
    )
    assert good.status_code == 200
    saved = await AppointmentType.select().first()
    assert saved["code"] == "ADVICE15" and "bring_list" in saved
    user_id = (await admin.get("/booking/setup")).text
    match = re.search(r'<option value="(\d+)"[^>]*>Test sanna', user_id)
    assert match
    added = await post_form(
        admin, "/booking/setup/professional", {"user_id": match[1], "unit_id": unit["id"]}
    )
    assert added.status_code == 200
    assert await Professional.count() == 1
    twice = await post_form(
        admin, "/booking/setup/professional", {"user_id": match[1], "unit_id": unit["id"]}
    )
    assert twice.status_code == 400


async def test_professional_opens_and_closes_times_and_sees_week(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in_professional(client)
    day = today() + dt.timedelta(days=3)
    response = await post_form(
        client,
        "/booking/openings",
        {
            "appointment_type_id": setup.advice_type_id,
            "kind": "once",
            "on_date": day.isoformat(),
            "start_time": "16:00",
            "end_time": "17:00",
        },
    )
    assert response.status_code == 200
    assert await Opening.count().where(Opening.on_date == day) == 1
    bad = await post_form(
        client,
        "/booking/openings",
        {
            "appointment_type_id": setup.advice_type_id,
            "kind": "weekly",
            "weekday": "9",
            "valid_from": "someday",
            "start_time": "12:00",
            "end_time": "11:00",
        },
    )
    assert bad.status_code == 400
    for field in ("weekday", "valid_from", "end_time"):
        assert f'href="#f-{field}"' in bad.text
    closed = await post_form(
        client,
        "/booking/openings",
        {
            "action": "close",
            "closure_date": day.isoformat(),
            "closure_start": "16:00",
            "closure_end": "16:30",
            "reason": "koulutus",
        },
    )
    assert closed.status_code == 200 and await Closure.count() == 1
    week = await client.get("/booking", params={"date": day.isoformat()})
    assert week.status_code == 200 and '<th scope="row">16.45</th>' in week.text
    day_view = await client.get("/booking", params={"date": day.isoformat(), "view": "day"})
    assert day_view.status_code == 200
    late = re.findall(r'class="slot slot--(\w+)">(\d+\.\d+)', day_view.text)
    assert [cell for cell in late if cell[1].startswith("16.")] == [
        ("closed", "16.00"),
        ("closed", "16.15"),
        ("free", "16.30"),
        ("free", "16.45"),
    ]


async def test_staff_books_for_customer_and_marks_no_show_which_is_billed_when_enabled(
    other_client: httpx.AsyncClient, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await create_customer(admin)
    client = other_client
    setup = await signed_in_professional(client)
    page = await client.get(
        f"/booking/customers/{customer_id}", params={"type_id": setup.advice_type_id}
    )
    assert page.status_code == 200
    slot = f"{setup.professional_id}|{tomorrow_at(9, 15).isoformat()}"
    booked = await post_form(
        client,
        f"/booking/customers/{customer_id}",
        {
            "action": "book",
            "appointment_type_id": setup.advice_type_id,
            "slot": slot,
            "mode": "phone",
            "extra_needs": ["interpreter", "security_guard"],
            "interpreter_language": "arabia",
        },
    )
    assert booked.status_code == 200, booked.text
    booking = await Booking.select().first().output(load_json=True)
    assert booking["customer"] == customer_id and booking["contact"] is None
    assert booking["extra_needs"] == ["interpreter", "security_guard"]
    assert await OutboxMessage.count() == 2  # the customer's mobile gets confirmation + reminder
    panel = await admin.get(f"/customers/{customer_id}")
    assert f"/booking/bookings/{booking['id']}" in panel.text
    views = await AuditEntry.count().where(
        (AuditEntry.customer_id == customer_id) & (AuditEntry.action == "view")
    )
    assert views >= 1
    early = await post_form(client, f"/booking/bookings/{booking['id']}", {"action": "no_show"})
    assert early.status_code == 400  # it has not started yet
    async with transaction():
        await Booking.update(
            {
                Booking.starts_at: now() - dt.timedelta(hours=2),
                Booking.ends_at: now() - dt.timedelta(hours=1),
            }
        ).where(Booking.id == booking["id"])
    missed = await post_form(client, f"/booking/bookings/{booking['id']}", {"action": "no_show"})
    assert missed.status_code == 200
    local_start = (now() - dt.timedelta(hours=2)).astimezone(HELSINKI)
    period = BillingPeriod(local_start.year, local_start.month)
    assert await billing.no_show_lines(period) == []  # off by default
    monkeypatch.setattr(settings, "_current", settings.parse_settings({"no_show_fee": "25.50"}))
    lines = await billing.no_show_lines(period)
    assert [(line.customer_id, line.amount) for line in lines] == [(customer_id, Decimal("25.50"))]
    # The fee is in core's price lists: a biller's price replaces the settings' seed.
    from core.billing.prices import add_price
    from tests.helpers import SYSTEM

    [product] = settings.current().products_for_billing()
    async with transaction():
        await add_price(SYSTEM, product, {"amount": "30,00", "valid_from": "1.1.2020"})
    lines = await billing.no_show_lines(period)
    assert [line.amount for line in lines] == [Decimal("30.00")]


async def test_a_right_refused_by_its_form_names_the_field_and_stores_nothing(
    other_client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)
    setup = await signed_in_professional(other_client)
    soon = today() + dt.timedelta(days=30)
    too_late = today() + dt.timedelta(days=401)
    date, window = N_("Enter a date like 7.12.2026."), N_("Give a date within the next 400 days.")
    kind, type_id = N_("Choose an appointment type."), "appointment_type_id"
    cases = [
        ({"valid_until": "31.2."}, "valid_until", date),
        ({"valid_until": ""}, "valid_until", date),
        ({"valid_until": f"{too_late:%d.%m.%Y}"}, "valid_until", window),
        ({"valid_until": f"{soon:%d.%m.%Y}", type_id: "x"}, type_id, kind),
        ({"valid_until": f"{soon:%d.%m.%Y}", type_id: "999999"}, type_id, kind),
    ]  # fmt: skip
    for fields, field, message in cases:
        refused = await post_form(
            other_client,
            f"/booking/customers/{customer_id}",
            {"action": "grant", "appointment_type_id": setup.followup_type_id, **fields},
        )
        assert refused.status_code == 400, fields
        with in_language("fi"):
            error = f'<p class="error" id="f-{field}-error">{gettext(message)}</p>'
        assert error in refused.text, fields
    assert not await BookingRight.exists().where(BookingRight.customer == customer_id)
    assert not await AuditEntry.exists().where(AuditEntry.entity == "booking_right")


async def test_booking_right_is_single_use_and_expires(
    other_client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)
    client = other_client
    setup = await signed_in_professional(client)
    refused = await post_form(
        client,
        f"/booking/customers/{customer_id}",
        {"action": "grant", "appointment_type_id": setup.followup_type_id, "valid_until": "31.2."},
    )
    assert refused.status_code == 400 and 'id="f-valid_until-error"' in refused.text
    last = today() + dt.timedelta(days=30)
    granted = await post_form(
        client,
        f"/booking/customers/{customer_id}",
        {
            "action": "grant",
            "appointment_type_id": setup.followup_type_id,
            "valid_until": f"{last.day}.{last.month}.{last.year}",  # as the field's hint says
        },
    )
    assert granted.status_code == 200
    code = re.search(r"<strong>([A-Z0-9-]{14})</strong>", granted.text)
    assert code, granted.text
    await admin.post("/logout", data={"_csrf_token": admin.cookies.get("valvomo_csrf", "")})
    public = admin  # now signed out: the customer's own browser
    assert (await public.get("/booking", follow_redirects=False)).status_code != 200
    right_page = await public.get("/book/right", params={"code": code[1].lower()})
    assert right_page.status_code == 200 and "Follow-up" in right_page.text
    times = await public.get("/book/times", params={"code": code[1], "mode": "phone"})
    assert times.status_code == 200 and 'name="slot"' in times.text
    form = details(
        setup,
        tomorrow_at(13),
        appointment_type_id=setup.followup_type_id,
        mode="phone",
        code=code[1],
    )
    first = await post_form(public, "/book/confirm", form)
    assert first.status_code == 200, first.text
    again = await post_form(
        public, "/book/confirm", {**form, "starts_at": tomorrow_at(13, 30).isoformat()}
    )
    assert again.status_code == 400 and 'href="#f-code"' in again.text
    booking = await Booking.select().first()
    assert booking["customer"] == customer_id  # a right books for the customer it was granted to
    assert await Booking.count() == 1
    assert (await BookingRight.select().first())["booking"] == booking["id"]
    async with transaction():
        expired_code = await rights.grant_right(
            SYSTEM,
            customer_id,
            setup.followup_type_id,
            setup.professional_id,
            today(),
            now(),
            today(),
        )
        await BookingRight.update({BookingRight.valid_until: today() - dt.timedelta(days=1)}).where(
            BookingRight.booking.is_null()
        )
    with pytest.raises(Exception, match="code"):
        await rights.find_right(expired_code, today())


async def test_yearly_client_plan_reminds_professional_once(admin: httpx.AsyncClient) -> None:
    customer_id = await create_customer(admin)
    setup = await create_setup()
    async with transaction():
        await duties.add_duty(
            SYSTEM, customer_id, setup.professional_id, today() - dt.timedelta(days=350)
        )
        await duties.add_duty(SYSTEM, customer_id, setup.professional_id, today())
        assert await duties.remind_due_plans(SYSTEM, today(), 30) == 1
        assert await duties.remind_due_plans(SYSTEM, today(), 30) == 0
    task = await Task.select().first().output(load_json=True)
    assert task["role"] == "professional" and task["customer"] == customer_id
    assert task["payload"]["book"] == f"/booking/customers/{customer_id}"
    assert await ClientPlanDuty.count() == 2
    assert await Customer.count() == 1


async def test_editing_a_type_detects_a_concurrent_edit(admin: httpx.AsyncClient) -> None:
    setup = await create_setup()
    path = f"/booking/setup/types/{setup.advice_type_id}"
    form = await admin.get(path)
    assert form.status_code == 200 and 'name="version" value="1"' in form.text
    values = {
        "code": "ADVICE15",
        "name": "Advice",
        "duration_minutes": "15",
        "modes": ["phone"],
        "public": "on",
        "preparation": "Have your medication list at hand.",
        "version": "1",
    }
    saved = await post_form(admin, path, values)
    assert saved.status_code == 200
    row = await AppointmentType.select().where(AppointmentType.id == setup.advice_type_id).first()
    assert row["version"] == 2 and row["preparation"].startswith("Have your")
    stale = await post_form(admin, path, {**values, "name": "Neuvonta"})
    assert stale.status_code == 409
    taken = await post_form(admin, path, {**values, "code": "FOLLOW30", "version": "2"})
    assert taken.status_code == 400 and 'href="#f-code"' in taken.text
    changes = await AuditEntry.select().where(
        (AuditEntry.entity == "booking_appointment_type") & (AuditEntry.action == "update")
    )
    assert len(changes) == 1


async def test_dashboard_shows_professionals_day(client: httpx.AsyncClient) -> None:
    await signed_in_professional(client)
    dashboard = await client.get("/")
    assert dashboard.status_code == 200 and "Omat ajanvaraukseni tänään" in dashboard.text


async def test_coming_appointments_are_cancelled_when_the_customer_dies(
    admin: httpx.AsyncClient,
) -> None:
    customer_id = await create_customer(admin)
    setup = await create_setup()
    async with transaction():
        await bookings.create_booking(
            SYSTEM,
            bookings.BookingRequest(
                professional_id=setup.professional_id,
                appointment_type_id=setup.advice_type_id,
                starts_at=tomorrow_at(9),
                mode="phone",
                customer_id=customer_id,
            ),
            now(),
        )
        await bookings.queue_messages(
            await bookings.get_booking((await Booking.select(Booking.id).first())["id"]),
            "https://example.fi/book/manage/x",
            now(),
        )
    edit = await admin.get(f"/customers/{customer_id}/edit")
    version = re.search(r'name="version" value="(\d+)"', edit.text)
    assert version
    died = await post_form(
        admin,
        f"/customers/{customer_id}/edit",
        {
            **customer_form(),
            "status": "deceased",
            "status_date": today().isoformat(),
            "version": version[1],
        },
    )
    assert died.status_code == 200, died.text[-2000:]
    booking = await Booking.select().first()
    assert booking["status"] == "cancelled" and booking["slot_key"] is None
    assert {m["status"] for m in await OutboxMessage.select(OutboxMessage.status)} == {"cancelled"}


async def test_editing_a_unit_detects_a_concurrent_edit(admin: httpx.AsyncClient) -> None:
    setup = await create_setup()
    path = f"/booking/setup/units/{setup.unit_id}"
    assert (await admin.get(path)).status_code == 200
    values = {"name": "Perheneuvola", "municipality": "Lapua", "street_address": "Uusi 1"}
    saved = await post_form(admin, path, {**values, "version": "1"})
    assert saved.status_code == 200
    assert (await ServiceUnit.select().first())["municipality"] == "Lapua"
    assert (await post_form(admin, path, {**values, "version": "1"})).status_code == 409
    bad = await post_form(admin, path, {**values, "municipality": "Atlantis", "version": "2"})
    assert bad.status_code == 400 and 'href="#f-municipality"' in bad.text


async def test_professional_links_a_self_service_contact_to_a_customer(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)
    setup = await create_setup()
    booked = await post_form(other_client, "/book/confirm", details(setup, tomorrow_at(9)))
    assert booked.status_code == 200
    booking = await Booking.select().first()
    page = await admin.get(f"/booking/bookings/{booking['id']}")
    assert page.status_code == 200 and "Aino Asiakas" in page.text
    wrong = await post_form(
        admin, f"/booking/bookings/{booking['id']}", {"action": "link", "customer_id": "999999"}
    )
    assert wrong.status_code == 400 and 'href="#f-customer_id"' in wrong.text
    linked = await post_form(
        admin, f"/booking/bookings/{booking['id']}", {"action": "link", "customer_id": customer_id}
    )
    assert linked.status_code == 200
    assert (await Booking.select().first())["customer"] == customer_id
    assert (await BookingContact.select().first())["customer"] == customer_id
    entries = await AuditEntry.select().where(
        (AuditEntry.entity == "booking") & (AuditEntry.customer_id == customer_id)
    )
    assert any(e["action"] == "update" for e in entries)


async def test_removing_an_opening_stops_offering_its_times(client: httpx.AsyncClient) -> None:
    setup = await signed_in_professional(client)
    opening = (
        await Opening.select().where(Opening.appointment_type == setup.followup_type_id).first()
    )
    removed = await post_confirmed(
        client, "/booking/openings", {"action": "remove", "id": opening["id"]}
    )
    assert removed.status_code == 200
    assert not await Opening.exists().where(Opening.id == opening["id"])
    again = await post_confirmed(
        client, "/booking/openings", {"action": "remove", "id": opening["id"]}
    )
    assert again.status_code == 404
