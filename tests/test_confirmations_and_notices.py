"""Every destructive action asks first: a POST without the confirmation field changes nothing
and shows what will happen; confirmed, it is done and the next page says so."""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pyotp
import pytest

from core.billing.tables import Price
from core.citizen import proxies
from core.citizen.tables import ProxyRight
from core.common.clock import now, today
from core.config import PROJECT_ROOT
from core.customers.tables import ContactPerson, CustomerPayer
from core.db import transaction
from core.demo import load_demo
from core.i18n import fmt_date, fmt_date_field
from core.identity import second_factor
from core.identity.tables import RecoveryCode, StaffUser
from core.web.runtime import Runtime
from plugins.booking import (
    calendar,
    links,
    meeting_guests,
    meetings,
    setup,
    waitlist,
    waitlist_changes,
)
from plugins.booking.reminders import CANCEL_REASONS
from plugins.booking.tables import (
    AppointmentType,
    Booking,
    CalendarFeed,
    ClientPlanDuty,
    JointMeeting,
    MeetingGuest,
    Opening,
    ServiceUnit,
    WaitlistEntry,
)
from plugins.meals import codes as meal_codes
from plugins.meals.tables import KitchenUser, MealCode, MealException, MealService
from plugins.security_phones.tables import Alarm, Device, HomeKey, PhoneService
from tests.citizens import customer_with_code, new_identity_code
from tests.helpers import (
    PASSWORD,
    SYSTEM,
    assert_asks_first,
    make_customer,
    make_user,
    notices,
    post_confirmed,
    post_form,
    sign_in,
)
from tests.plugins.booking.setup_data import (
    BookingSetup,
    add_colleague,
    coming_booking,
    create_setup,
    tomorrow_at,
)
from tests.plugins.booking.test_absences import book
from tests.plugins.booking.test_public import SECRET
from tests.plugins.booking.test_staff import signed_in_professional
from tests.plugins.booking.test_waitlist import full_day, request_form
from tests.plugins.meals.conftest import (
    OPENING_DECISION,
    new_customer,
    new_region,
    version_of,
    weekly_order,
)
from tests.plugins.security_phones.factories import new_centre
from tests.plugins.security_phones.factories import new_customer as phones_customer
from tests.plugins.security_phones.test_phones_alarms import HEADER, ROWS, run_import
from tests.plugins.security_phones.test_phones_alarms import phone_customer as alarm_customer
from tests.plugins.security_phones.test_phones_service import add_device, install

Route = Callable[[], Awaitable["Destructive"]]


def handles(handler: str, demo: bool = True) -> Callable[[Route], Route]:
    """Name the "module:Class.method" that asks first for the route a factory sets up (checked
    by test_every_handler_that_asks_first_is_covered); `demo=False` for a factory that makes
    all its own data, so its test skips loading the demo (some seconds)."""

    def mark(route: Route) -> Route:
        route.handler = handler  # type: ignore[attr-defined]
        route.demo = demo  # type: ignore[attr-defined]
        return route

    return mark


ANY_SUCCESS = ""  # a notice of success whose words depend on the data
PAGE = None  # no notice: a page answers (a citizen's own page after a public link)


@dataclass
class Destructive:
    """A destructive route: where it posts, what it posts, and how to see whether it happened.
    `sign_in_as`: signs the client in as someone else than the staff member holding every
    role (e.g. a professional for their own calendar feed)."""

    path: str
    data: dict[str, Any]
    happened: Callable[[], Awaitable[bool]]
    notice: str | None  # the notice after the redirect: ANY_SUCCESS, or PAGE where a page answers
    sign_in_as: Callable[[httpx.AsyncClient], Awaitable[Any]] | None = None


async def _restorable_exception() -> dict[str, Any]:
    """A cancelled meal day of a demo service that still takes exceptions, on a coming day
    that has meals without it, so undo may add it back. Made here rather than taken from the
    demo: the demo's few exceptions lie on days relative to the day it was loaded, and on some
    days none of them is on a day with meals, or on a service still running."""
    from plugins.meals.schedule import meals_on, planned_delivery
    from plugins.meals.services import CHANGEABLE, load_plan

    for service in await MealService.select(MealService.id).where(
        MealService.status.is_in(list(CHANGEABLE))
    ):
        plan = await load_plan(service["id"])
        for ahead in range(3, 24):
            day = today() + dt.timedelta(days=ahead)
            if day in plan.exceptions or not meals_on(plan, day):
                continue
            if planned_delivery(plan, day) is None:
                continue
            made = await MealException.insert(
                MealException(service=service["id"], day=day, kind="cancel", note="Poissa")
            ).returning(MealException.id, MealException.service, MealException.day)
            return made[0]
    raise AssertionError("the demo has a running meal service with meals in the coming weeks")


@handles("plugins.meals.views:MealServicePages.remove_exception")
async def remove_exception() -> Destructive:
    row = await _restorable_exception()
    exists = MealException.exists().where(MealException.id == row["id"])
    return Destructive(
        f"/meals/services/{row['service']}/exceptions/{row['id']}/delete",
        {},
        lambda: _not(exists),
        "Poikkeus poistettiin.",
    )


@handles("core.customers.views:CustomerPages.update_contact")
async def remove_contact() -> Destructive:
    row = await ContactPerson.select(ContactPerson.id, ContactPerson.customer).first()
    exists = ContactPerson.exists().where(ContactPerson.id == row["id"])
    return Destructive(
        f"/customers/{row['customer']}/contacts/{row['id']}",
        {"action": "delete"},
        lambda: _not(exists),
        "Yhteyshenkilö poistettiin.",
    )


@handles("plugins.booking.views:BookingPages.change_openings")
async def remove_opening() -> Destructive:
    row = await Opening.select(Opening.id, Opening.professional).first()
    exists = Opening.exists().where(Opening.id == row["id"])
    return Destructive(
        f"/booking/openings?professional_id={row['professional']}",
        {"action": "remove", "id": row["id"]},
        lambda: _not(exists),
        "Vastaanottoaika poistettiin.",
    )


@handles("plugins.security_phones.views:CustomerPages._act")
async def remove_device() -> Destructive:
    row = (
        await Device.select(Device.id, Device.customer).where(Device.customer.is_not_null()).first()
    )
    installed = Device.exists().where((Device.id == row["id"]) & Device.customer.is_not_null())
    return Destructive(
        f"/security-phones/customers/{row['customer']}/devices/{row['id']}/remove",
        {"removed_on": fmt_date_field(today())},
        lambda: _not(installed),
        "Laite poistettiin asiakkaalta.",
    )


@handles("plugins.security_phones.views:CustomerPages._act")
async def end_phone_service() -> Destructive:
    row = await PhoneService.select().where(PhoneService.end_date.is_null()).first()
    ended = PhoneService.exists().where(
        (PhoneService.id == row["id"]) & PhoneService.end_date.is_not_null()
    )
    return Destructive(
        f"/security-phones/customers/{row['customer']}/end",
        {
            "end_date": fmt_date_field(today() + dt.timedelta(days=30)),
            "version": row["version"],
            "decided_on": fmt_date_field(today()),
            "decision_maker": "Sosiaaliohjaaja Laine",
            "basis": "Muuttaa palvelutaloon.",
        },
        ended.run,
        "Turvapuhelinpalvelu päätettiin.",
    )


@handles("plugins.meals.place_views:KitchenPages.unbind_staff")
async def unbind_kitchen_user() -> Destructive:
    row = await KitchenUser.select().first()
    assert row, "the demo binds the kitchen user to a kitchen"
    exists = KitchenUser.exists().where(KitchenUser.id == row["id"])
    return Destructive(
        f"/meals/kitchens/{row['kitchen']}/staff/{row['id']}/remove",
        {},
        lambda: _not(exists),
        "Käyttäjä poistettiin keittiöstä.",
    )


def _cancelled(booking_id: int) -> Callable[[], Awaitable[bool]]:
    query = Booking.exists().where((Booking.id == booking_id) & (Booking.status == "cancelled"))
    return query.run


@handles("plugins.booking.views:BookingPages.change_booking")
async def staff_cancel_booking() -> Destructive:
    row = await coming_booking()
    return Destructive(
        f"/booking/bookings/{row['id']}",
        {"action": "cancel", "reason": next(iter(CANCEL_REASONS))},
        _cancelled(row["id"]),
        ANY_SUCCESS,
    )


async def _professional_with_colleague() -> tuple[BookingSetup, int]:
    booking = await create_setup()
    return booking, await add_colleague(booking)


async def _meeting() -> int:
    booking, colleague = await _professional_with_colleague()
    async with transaction():
        return await meetings.book_meeting(
            SYSTEM,
            organiser_id=booking.professional_id,
            colleague_ids=[colleague],
            appointment_type_id=booking.advice_type_id,
            starts_at=tomorrow_at(9),
            mode="office",
            title="Verkostopalaveri",
            customer_id=None,
            moment=now(),
        )


@handles("plugins.booking.meeting_pages:MeetingPages.cancel", demo=False)
async def cancel_meeting() -> Destructive:
    meeting_id = await _meeting()
    cancelled = JointMeeting.exists().where(
        (JointMeeting.id == meeting_id) & (JointMeeting.status == "cancelled")
    )
    return Destructive(
        f"/booking/meetings/{meeting_id}/cancel", {}, cancelled.run, "Yhteistapaaminen peruttiin."
    )


@handles("plugins.booking.meeting_pages:MeetingPages.remove_guest", demo=False)
async def remove_meeting_guest() -> Destructive:
    meeting_id = await _meeting()
    guest = {"guest_name": "Isä Asiakas", "guest_phone": "0405550001", "guest_channel": "sms",
             "guest_language": "fi"}  # fmt: skip
    async with transaction():
        meeting = await meetings.get_meeting(meeting_id)
        guest_id = await meeting_guests.add_guest(
            SYSTEM, meeting, meeting_guests.clean_guest(guest), "", now()
        )
    exists = MeetingGuest.exists().where(MeetingGuest.id == guest_id)
    return Destructive(
        f"/booking/meetings/{meeting_id}/guests/{guest_id}/remove",
        {},
        lambda: _not(exists),
        "Osallistuja poistettiin palaverista.",
    )


@handles("plugins.booking.feed_pages:FeedPages.change_feed", demo=False)
async def stop_calendar_feed() -> Destructive:
    booking = await create_setup()
    async with transaction():
        await calendar.create_feed(SYSTEM, booking.professional_id, now())
    active = CalendarFeed.exists().where(
        (CalendarFeed.professional == booking.professional_id) & CalendarFeed.revoked_at.is_null()
    )
    return Destructive(
        "/booking/feed/",
        {"action": "revoke"},
        lambda: _not(active),
        "Kalenteriosoite lopetettiin.",
        sign_in_as=lambda client: sign_in(client, booking.username),
    )


async def _closure_over_booking() -> tuple[str, int]:
    """A sick day of a professional over one of their booked appointments: the closure's
    page, and the booking."""
    booking = await create_setup()
    booking_id = await book(booking, tomorrow_at(9))
    day = tomorrow_at(9).date()
    async with transaction():
        closure_id = await setup.add_closure(
            SYSTEM,
            booking.professional_id,
            {"closure_date": fmt_date_field(day), "closure_start": "8.00", "closure_end": "16.00",
             "reason": "Sairauspoissaolo"},
        )  # fmt: skip
    return f"/booking/closures/{closure_id}?professional_id={booking.professional_id}", booking_id


def _in_path(path: str, tail: str) -> str:
    base, _, query = path.partition("?")
    return f"{base}{tail}?{query}"


@handles("plugins.booking.absence_pages:AbsencePages.handle_booking", demo=False)
async def cancel_closed_booking() -> Destructive:
    page, booking_id = await _closure_over_booking()
    return Destructive(
        _in_path(page, f"/bookings/{booking_id}"),
        {"choice": "cancel", "reason": "illness"},
        _cancelled(booking_id),
        "Tapaaminen peruttiin ja asiakkaalle ilmoitettiin.",
    )


@handles("plugins.booking.absence_pages:AbsencePages.cancel_all", demo=False)
async def cancel_all_closed_bookings() -> Destructive:
    page, booking_id = await _closure_over_booking()
    return Destructive(
        _in_path(page, "/cancel-all"),
        {"reason": "illness"},
        _cancelled(booking_id),
        "1 tapaamista peruttiin ja asiakkaille ilmoitettiin.",
    )


def _first_of_month_ahead(months: int) -> dt.date:
    """The first day of a month well after any closed billing month, whatever today is."""
    month = today().month - 1 + months
    return dt.date(today().year + month // 12, month % 12 + 1, 1)


@handles("core.billing.price_views:PricePages.remove_price", demo=False)
async def remove_price() -> Destructive:
    made = await Price.insert(
        Price(product="lunch", valid_from=_first_of_month_ahead(14), amount=Decimal("7.10"),
              created_at=now())
    ).returning(Price.id)  # fmt: skip
    exists = Price.exists().where(Price.id == made[0]["id"])
    return Destructive(
        f"/billing/prices/lunch/{made[0]['id']}/remove",
        {"version": "1"},
        lambda: _not(exists),
        "Hinta poistettiin.",
    )


GUARDIAN = {"name": "Laine Liisa", "relationship": "edunvalvoja", "street_address": "Tie 1",
            "postal_code": "60100", "post_office": "Seinäjoki"}  # fmt: skip


async def _payer(valid_from: dt.date) -> tuple[int, int]:
    customer = await make_customer(("Seinäjoki",))
    made = await CustomerPayer.insert(
        CustomerPayer(customer=customer, valid_from=valid_from, created_at=now(), **GUARDIAN)
    ).returning(CustomerPayer.id)
    return customer, made[0]["id"]


@handles("core.billing.price_views:PayerPages.end", demo=False)
async def end_payer() -> Destructive:
    start = _first_of_month_ahead(3)
    customer, payer = await _payer(start)
    last_day = start + dt.timedelta(days=40)
    ended = CustomerPayer.exists().where(
        (CustomerPayer.id == payer) & (CustomerPayer.valid_to == last_day)
    )
    return Destructive(
        f"/billing/customers/{customer}/payers/{payer}/end",
        {"last_day": fmt_date_field(last_day), "version": "1"},
        ended.run,
        "Maksaja tallennettiin.",
    )


@handles("core.billing.price_views:PayerPages.change", demo=False)
async def shorten_payer() -> Destructive:
    """The change form asks only when the new dates shorten the period."""
    start = _first_of_month_ahead(3)
    customer, payer = await _payer(start)
    later = _first_of_month_ahead(4)
    moved = CustomerPayer.exists().where(
        (CustomerPayer.id == payer) & (CustomerPayer.valid_from == later)
    )
    return Destructive(
        f"/billing/customers/{customer}/payers/{payer}",
        {**GUARDIAN, "valid_from": fmt_date_field(later), "version": "1"},
        moved.run,
        "Maksaja tallennettiin.",
    )


async def _with_second_factor() -> tuple[str, int, str]:
    """A staff user who has set up the second factor: username, id and the app's secret."""
    username = await make_user("home_care")
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    secret = second_factor.new_secret()
    async with transaction():
        await second_factor.turn_on(SYSTEM, user["id"], secret, pyotp.TOTP(secret).now())
    return username, user["id"], secret


@handles("core.identity.views:UserAdminController.reset_second_factor", demo=False)
async def reset_second_factor() -> Destructive:
    _, user_id, _ = await _with_second_factor()
    reset = StaffUser.exists().where((StaffUser.id == user_id) & (StaffUser.totp_secret == ""))
    return Destructive(
        f"/admin/users/{user_id}/second-factor/reset",
        {},
        reset.run,
        "Käyttäjän toinen tunnistautumistapa nollattiin.",
    )


@handles("core.identity.views:SecondFactorController.replace_codes", demo=False)
async def replace_recovery_codes() -> Destructive:
    username, user_id, secret = await _with_second_factor()
    # by its hash: SQLite may give the new codes the ids of the old ones
    first = await RecoveryCode.select().where(RecoveryCode.user == user_id).first()
    still = RecoveryCode.exists().where(RecoveryCode.code_hash == first["code_hash"])

    async def with_code(client: httpx.AsyncClient) -> Any:
        await client.get("/login")
        login = {"username": username, "password": PASSWORD, "code": pyotp.TOTP(secret).now()}
        return await post_form(client, "/login", {**login, "next": "/"})

    return Destructive(
        "/account/second-factor/recovery-codes",
        {},
        lambda: _not(still),
        "Uudet varakoodit tehtiin.",
        sign_in_as=with_code,
    )


@handles("plugins.meals.code_views:MealCodePages.retire", demo=False)
async def retire_meal_code() -> Destructive:
    async with transaction():
        await meal_codes.add(SYSTEM, "allergies", {"label": "Seesaminsiemen"})
    retired = MealCode.exists().where(
        (MealCode.code == "seesaminsiemen") & (MealCode.retired == True)  # noqa: E712
    )
    return Destructive(
        "/meals/codes/allergies/seesaminsiemen/retire",
        {"version": "1"},
        retired.run,
        "Seesaminsiemen poistettiin käytöstä.",
    )


async def _waiting_request(*, day_full: bool) -> dict[str, Any]:
    """A citizen's waiting-list request for an advice time the day after tomorrow (by then
    either fully booked, or free so that the time can be held for them)."""
    booking = await create_setup()
    if day_full:
        await full_day(booking)
    form = request_form(booking, "0401000001")
    async with transaction():
        entry_id = await waitlist.join(await waitlist.clean_request(form, today()), now())
    return await waitlist_changes.get_entry(entry_id)


@handles("plugins.booking.waitlist_pages:WaitlistPages.withdraw", demo=False)
async def leave_waiting_list() -> Destructive:
    entry = await _waiting_request(day_full=True)
    token = waitlist_changes.request_token(SECRET, entry)
    withdrawn = WaitlistEntry.exists().where(
        (WaitlistEntry.id == entry["id"]) & (WaitlistEntry.status == "withdrawn")
    )
    return Destructive(f"/book/waitlist/{token}/withdraw", {}, withdrawn.run, PAGE)


@handles("plugins.booking.waitlist_pages:WaitlistPages.decline_hold", demo=False)
async def decline_held_time() -> Destructive:
    entry = await _waiting_request(day_full=False)
    assert await waitlist.serve(SECRET, lambda path: f"https://example.fi{path}", now()) == 1
    held = await WaitlistEntry.select().where(WaitlistEntry.id == entry["id"]).first()
    token = links.sign(SECRET, held["hold_booking"], held["hold_until"], links.HOLD)
    return Destructive(f"/book/hold/{token}/decline", {}, _cancelled(held["hold_booking"]), PAGE)


@handles("core.citizen.staff_views:ProxyPages.withdraw", demo=False)
async def withdraw_proxy_right() -> Destructive:
    customer = await customer_with_code(new_identity_code())
    right = {"proxy_name": "Liisa Virtanen", "proxy_identity_code": new_identity_code(),
             "valid_from": fmt_date(today() - dt.timedelta(days=30)), "valid_to": "",
             "basis": "authorisation", "services": "meals"}  # fmt: skip
    async with transaction():
        right_id = await proxies.add_right(SYSTEM, customer, right, SECRET, ["meals"])
    withdrawn = ProxyRight.exists().where(
        (ProxyRight.id == right_id) & ProxyRight.withdrawn_at.is_not_null()
    )
    return Destructive(
        f"/customers/{customer}/proxies/{right_id}/withdraw",
        {},
        withdrawn.run,
        "Asiamiehen oikeus peruttiin.",
    )


async def _not(query: Any) -> bool:
    return not await query.run()


DESTRUCTIVE = [
    remove_exception, remove_contact, remove_opening, remove_device, end_phone_service,
    staff_cancel_booking, unbind_kitchen_user, cancel_meeting, remove_meeting_guest,
    stop_calendar_feed, cancel_closed_booking, cancel_all_closed_bookings, remove_price,
    end_payer, shorten_payer, reset_second_factor, replace_recovery_codes, retire_meal_code,
    leave_waiting_list, decline_held_time, withdraw_proxy_right,
]  # fmt: skip

# Handlers that ask first but have no entry above, each with why. Keep it short: a new
# destructive handler gets an entry in DESTRUCTIVE, not a line here.
EXEMPT = {
    # the citizen's own cancel link: test_citizen_cancel_asks_first_and_is_not_the_main_button
    "plugins.booking.public:PublicBooking.cancel": "tested by its own test in this file",
    # a signed-in citizen's page on the citizens' site (needs the OIDC broker, not this staff
    # client): tests/plugins/booking/test_citizen_booking.py::
    #   test_customer_books_sees_and_cancels_their_appointment
    "plugins.booking.citizen_pages:CitizenBookingPages.cancel": "citizens' site; tested there",
}


def asking_in(source: str, module: str) -> set[str]:
    """The "module:Class.method" of each function in `source` that calls is_confirmed."""
    found: set[str] = set()

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, [*scope, child.name])
                continue
            if isinstance(child, ast.Call):
                called = child.func
                name = getattr(called, "id", None) or getattr(called, "attr", None)
                if name == "is_confirmed":
                    assert scope, f"{module}: is_confirmed called outside a handler"
                    found.add(f"{module}:{'.'.join(scope)}")
            visit(child, scope)

    visit(ast.parse(source), [])
    return found


def handlers_that_ask_first() -> set[str]:
    """Every "module:Class.method" in core/ and plugins/ that calls is_confirmed."""
    found: set[str] = set()
    for top in ("core", "plugins"):
        for path in sorted((PROJECT_ROOT / top).rglob("*.py")):
            module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            found |= asking_in(path.read_text(encoding="utf-8"), module)
    return found


def test_the_scan_finds_a_new_handler_that_asks_first() -> None:
    """What makes the completeness check fail when a handler starts asking first."""
    source = """
class NewPages(Controller):
    @post("/{thing_id:int}/remove")
    async def remove(self, request, thing_id):
        data = await form_data(request)
        if data.get("all") and not confirm.is_confirmed(data):
            return render_confirmation(request)

    async def _page(self, request):
        return render(request)


async def helper(data):
    return is_confirmed(await data)
"""
    found = asking_in(source, "plugins.new.views")
    assert found == {"plugins.new.views:NewPages.remove", "plugins.new.views:helper"}
    covered = {getattr(route, "handler", None) for route in DESTRUCTIVE}
    assert found - covered - set(EXEMPT) == found


def test_every_handler_that_asks_first_is_covered() -> None:
    asking = handlers_that_ask_first()
    assert len(asking) >= 20, asking  # the scan finds the handlers (not an empty walk)
    covered = {getattr(route, "handler", None) for route in DESTRUCTIVE}
    assert None not in covered, "each DESTRUCTIVE entry names its handler with @handles"
    assert not covered & set(EXEMPT), "an exempt handler is covered: drop it from EXEMPT"
    assert covered | set(EXEMPT) <= asking, "a name in DESTRUCTIVE or EXEMPT asks nothing"
    missing = asking - covered - set(EXEMPT)
    assert not missing, f"add a DESTRUCTIVE entry for each handler that asks first: {missing}"


async def _every_role(runtime: Runtime, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client signed in as a staff member holding every role."""
    username = await make_user(*(role.code for role in runtime.roles))
    await sign_in(client, username)
    return client


@pytest.fixture
async def everyone(runtime: Runtime, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Demo data, and a staff member holding every role."""
    await load_demo(runtime, customers=30)
    return await _every_role(runtime, client)


@pytest.mark.parametrize("route", DESTRUCTIVE, ids=lambda f: f.__name__)
async def test_destructive_route_refuses_without_confirmation(
    runtime: Runtime, client: httpx.AsyncClient, route: Route
) -> None:
    if getattr(route, "demo", True):
        await load_demo(runtime, customers=30)
    everyone = await _every_role(runtime, client)
    action = await route()
    if action.sign_in_as:
        everyone.cookies.clear()
        assert (await action.sign_in_as(everyone)).status_code == 200
    asked = await assert_asks_first(everyone, action.path, action.data)
    assert 'class="button button--warning"' in asked.text
    assert not await action.happened(), "a POST without confirmation changed nothing"
    done = await post_confirmed(everyone, action.path, action.data)
    assert done.status_code == 200, done.text
    assert await action.happened()
    if action.notice:
        assert ("success", action.notice) in notices(done.text)
    elif action.notice == ANY_SUCCESS:
        assert [kind for kind, _text in notices(done.text)] == ["success"], done.text
    else:
        assert not [kind for kind, _text in notices(done.text) if kind != "success"], done.text


async def test_citizen_cancel_asks_first_and_is_not_the_main_button(
    runtime: Runtime, everyone: httpx.AsyncClient
) -> None:
    row = await coming_booking()
    token = links.sign(runtime.settings.secret, row["id"], row["starts_at"])
    path = f"/book/manage/{token}"
    page = await everyone.get(path)
    assert 'button--secondary">Peru aika</button>' in page.text
    asked = await assert_asks_first(everyone, f"{path}/cancel", {})
    assert "Pidä aika" in asked.text
    assert not await _cancelled(row["id"])()
    await post_confirmed(everyone, f"{path}/cancel", {})
    assert await _cancelled(row["id"])()


# -- Every action says it was done -----------------------------------------------------------


async def test_each_meal_service_step_says_it_was_done(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    region = await new_region()
    customer = await new_customer()
    await sign_in(client, await make_user("client_guidance", "meal_coordinator"))
    opened = await post_form(
        client,
        f"/meals/customers/{customer}/open",
        {
            "start_date": "2.3.2026",
            "diet": "normal",
            "requested_meals": "lounas",
            **OPENING_DECISION,
        },
    )
    assert notices(opened.text) == [("success", "Aloituspyyntö lähetettiin koordinaattorille.")], (
        opened.text
    )
    service_id = (await MealService.select(MealService.id).first())["id"]
    base = f"/meals/services/{service_id}"
    order = {"kitchen": region.kitchen, "route": region.route, **weekly_order()}
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("complete", order, "Aloitus täydennettiin; palvelu on voimassa."),
        (
            "order",
            {"valid_from": "1.4.2026", **weekly_order(2)},
            "Uusi viikkotilaus tallennettiin.",
        ),
        ("exception", {"day": "6.4.2026", "kind": "cancel"}, "Poikkeus tallennettiin."),
        ("pause", {"start_date": "1.5.2026", "reason": "sairaala"}, "Keskeytys tallennettiin."),
        ("reactivate", {"resume_date": "11.5.2026"}, "Palvelu jatkuu taas."),
        (
            "end",
            {"end_date": "30.6.2026", "ending_reason": "muutto"},
            "Päättyminen lähetettiin asiakasohjaukseen päätettäväksi.",
        ),
    ]
    for action, data, notice in steps:
        version = await version_of(service_id)
        done = await post_form(client, f"{base}/{action}", {"version": version, **data})
        assert notices(done.text) == [("success", notice)], (action, done.text)
    client.cookies.clear()
    await sign_in(client, await make_user("client_guidance"))
    decision = {
        "decided_on": today().isoformat(),
        **{k: OPENING_DECISION[k] for k in ("decision_maker", "basis")},
    }
    decided = await post_form(
        client, f"{base}/decide", {"version": await version_of(service_id), **decision}
    )
    expected = "Päätös tallennettiin ja asiakkaan tiedoksianto laadittiin."
    assert notices(decided.text) == [("success", expected)], decided.text


async def test_every_security_phone_save_says_it_was_saved(client: httpx.AsyncClient) -> None:
    customer = await phones_customer()
    await sign_in(client, await make_user("security_phone_coordinator"))
    base = f"/security-phones/customers/{customer}"
    service = {"decision_date": "1.3.2026", "start_date": "10.3.2026", "centre_customer_id": "HK1"}
    decision = {"decision_maker": "Sosiaaliohjaaja Laine", "basis": "Kaatumisriski."}
    started = await post_form(client, f"{base}/service", {**service, **decision})
    assert notices(started.text) == [("success", "Turvapuhelinpalvelu aloitettiin.")]
    edited = await post_form(
        client, f"{base}/service/edit", {**service, "centre_customer_id": "HK2", "version": 1}
    )
    assert notices(edited.text) == [("success", "Palvelun tiedot tallennettiin.")]
    visited = await post_form(
        client,
        f"{base}/installation",
        {"installation_date": "12.3.2026", "installer": "Asentaja Aho", "version": 2},
    )
    assert notices(visited.text) == [("success", "Asennuskäynti kirjattiin.")]
    added = await post_form(
        client,
        "/security-phones/devices/",
        {"serial_number": "N-1", "model": "Essence", "kind": "base_unit"},
    )
    assert notices(added.text) == [("success", "Laite lisättiin.")]
    spare = await add_device(client, "N-2")
    status = await post_form(
        client,
        f"/security-phones/devices/{spare}/status",
        {"status": "in_maintenance", "version": 1, "note": "akku"},
    )
    assert [kind for kind, _text in notices(status.text)] == ["success"], status.text
    installed = await install(client, customer, "N-1", "12.3.2026")
    assert notices(installed.text) == [("success", "Laite asennettiin.")]
    contact = await ContactPerson.insert(
        ContactPerson(customer=customer, name="Matti", phone="+358401")
    ).returning(ContactPerson.id)
    order = await post_form(
        client,
        f"{base}/calling-order",
        {f"position_{contact[0]['id']}": "1", "order_version": f"{contact[0]['id']}:0"},
    )
    assert notices(order.text) == [("success", "Soittojärjestys tallennettiin.")]
    key = await post_form(client, f"{base}/keys", {"label": "Kaappi 3", "holder": "Kotihoito"})
    assert notices(key.text) == [("success", "Avain lisättiin.")]
    key_row = await HomeKey.select().where(HomeKey.customer == customer).first()
    handed = await post_form(
        client,
        f"{base}/keys/{key_row['id']}",
        {"to_holder": "Turvapalvelu Oy", "version": key_row["version"]},
    )
    assert notices(handed.text) == [("success", "Avaimen luovutus kirjattiin.")]


async def test_an_alarm_visit_says_it_was_saved(client: httpx.AsyncClient) -> None:
    centre_id, _ = await new_centre()
    await alarm_customer(centre_id)
    await run_import(centre_id, HEADER + ROWS)
    alarm = await Alarm.select().where(Alarm.centre_alarm_id == "A2").first()
    await sign_in(client, await make_user("home_care"))
    visit = {"dispatched_at": "2026-03-01T11:35", "arrived_at": "2026-03-01T11:52"}
    saved = await post_form(client, f"/security-phones/alarms/{alarm['id']}/visit", visit)
    assert notices(saved.text) == [("success", "Hälytyskäynti tallennettiin.")], saved.text


async def test_new_opening_and_staff_booking_say_they_were_done(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in_professional(client)
    day = today() + dt.timedelta(days=3)
    opening = await post_form(
        client,
        "/booking/openings",
        {
            "appointment_type_id": setup.advice_type_id,
            "kind": "once",
            "on_date": fmt_date_field(day),
            "start_time": "16.00",
            "end_time": "17.00",
        },
    )
    assert notices(opening.text) == [("success", "Vastaanottoaika lisättiin.")], opening.text


async def test_every_staff_booking_save_says_it_was_saved(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    setup = await signed_in_professional(client)
    customer = await new_customer()
    page = f"/booking/customers/{customer}"
    slot = f"{setup.professional_id}|{tomorrow_at(9, 15).isoformat()}"
    booked = await post_form(
        client,
        page,
        {"action": "book", "appointment_type_id": setup.advice_type_id, "slot": slot,
         "mode": "phone"},
    )  # fmt: skip
    assert notices(booked.text) == [("success", "Aika varattiin.")], booked.text
    booking = await Booking.select().where(Booking.customer == customer).first()
    noted = await post_form(
        client, f"/booking/bookings/{booking['id']}/notes", {"note": "Keskusteltu tuesta"}
    )
    assert notices(noted.text) == [("success", "Muistiinpano tallennettiin.")]
    async with transaction():
        await Booking.update(
            {Booking.starts_at: now() - dt.timedelta(hours=2),
             Booking.ends_at: now() - dt.timedelta(hours=1)}
        ).where(Booking.id == booking["id"])  # fmt: skip
    outcome = await post_form(client, f"/booking/bookings/{booking['id']}", {"action": "done"})
    assert notices(outcome.text) == [("success", "Varaus tallennettiin.")]
    duty = await post_form(client, page, {"action": "duty"})
    assert notices(duty.text) == [("success", "Tehtävä lisättiin.")]
    duty_id = (await ClientPlanDuty.select().first())["id"]
    done = await post_form(client, page, {"action": "plan_done", "duty_id": duty_id})
    assert [kind for kind, _text in notices(done.text)] == ["success"]

    await post_form(client, page, {"action": "book", "appointment_type_id": setup.advice_type_id,
                                   "slot": f"{setup.professional_id}|{tomorrow_at(10).isoformat()}",
                                   "mode": "phone"})  # fmt: skip
    closure = {"action": "close", "closure_date": fmt_date_field(tomorrow_at(10).date()),
               "closure_start": "8.00", "closure_end": "12.00", "reason": "Koulutus"}  # fmt: skip
    closed = await post_form(client, "/booking/openings", closure)
    assert [kind for kind, _text in notices(closed.text)] == ["info"], closed.text

    public = await Booking.select().where(Booking.status == "booked").first()
    token = links.sign(runtime.settings.secret, public["id"], public["starts_at"])
    moved = await post_form(
        client,
        f"/book/manage/{token}/move",
        {"starts_at": (tomorrow_at(9, 30) + dt.timedelta(days=1)).isoformat()},
    )
    assert notices(moved.text) == [("success", "Aikasi siirrettiin uuteen aikaan.")], moved.text


async def test_every_booking_setup_save_says_it_was_saved(admin: httpx.AsyncClient) -> None:
    professional = await make_user("professional")
    unit = {"name": "Lapuan toimisto", "municipality": "Lapua"}
    created = await post_form(admin, "/booking/setup/unit", unit)
    assert notices(created.text) == [("success", "Yksikkö tallennettiin.")]
    unit_id = (await ServiceUnit.select().first())["id"]
    edited = await post_form(
        admin, f"/booking/setup/units/{unit_id}", {**unit, "name": "Lapua", "version": 1}
    )
    assert notices(edited.text) == [("success", "Yksikkö tallennettiin.")]
    kind = {"code": "advice15", "name": "Neuvonta", "duration_minutes": "15", "modes": ["phone"]}
    typed = await post_form(admin, "/booking/setup/type", kind)
    assert notices(typed.text) == [("success", "Aikatyyppi tallennettiin.")]
    type_id = (await AppointmentType.select().first())["id"]
    retyped = await post_form(
        admin, f"/booking/setup/types/{type_id}", {**kind, "name": "Ohjaus", "version": 1}
    )
    assert notices(retyped.text) == [("success", "Aikatyyppi tallennettiin.")]
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == professional).first()
    added = await post_form(
        admin, "/booking/setup/professional", {"user_id": user["id"], "unit_id": unit_id}
    )
    assert notices(added.text) == [("success", "Ammattilainen lisättiin.")]


async def test_a_removed_exception_can_be_undone_from_the_notice(
    everyone: httpx.AsyncClient,
) -> None:
    action = await remove_exception()
    exception_id = int(action.path.split("/")[5])  # …/exceptions/{id}/delete
    row = await MealException.select().where(MealException.id == exception_id).first()
    done = await post_confirmed(everyone, action.path, action.data)
    assert ("success", "Poikkeus poistettiin.") in notices(done.text)
    undo = re.search(
        r'<form method="post" action="([^"]+)" class="notice__undo">(.*?)</form>', done.text, re.S
    )
    assert undo, done.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', undo[2]))
    fields.pop("_csrf_token", None)
    undone = await post_form(everyone, undo[1], fields)
    assert ("success", "Poikkeus tallennettiin.") in notices(undone.text), undone.text
    back = (
        await MealException.select()
        .where((MealException.service == row["service"]) & (MealException.day == row["day"]))
        .first()
    )
    assert back and (back["kind"], back["product"], back["quantity"]) == (
        row["kind"],
        row["product"],
        row["quantity"],
    )


async def test_no_undo_is_offered_for_an_exception_of_an_ended_service(
    everyone: httpx.AsyncClient,
) -> None:
    action = await remove_exception()
    service_id = int(action.path.split("/")[3])  # /meals/services/{id}/exceptions/…
    await MealService.update({MealService.status: "ended"}).where(MealService.id == service_id)
    done = await post_confirmed(everyone, action.path, action.data)
    assert ("success", "Poikkeus poistettiin.") in notices(done.text)
    assert "notice__undo" not in done.text
