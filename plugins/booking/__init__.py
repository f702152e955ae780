"""Appointment booking with reminders: the plugin's hook implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from plugins.booking import labels as _labels  # noqa: F401  (registers the label kinds)
from valvomo.api import (
    ADMINISTRATION,
    N_,
    BillingLine,
    BillingPeriod,
    Citizen,
    CurrentUser,
    CustomerRecord,
    DemoContext,
    NavItem,
    Panel,
    Permission,
    Product,
    Report,
    RetentionRule,
    Role,
    TaskKind,
    gettext,
    hookimpl,
    label,
    may_use,
    now,
    register_labels,
    today,
)

HERE = Path(__file__).parent

register_labels("plugin", {"booking": N_("Appointment booking")})
register_labels(
    "audit.entity",
    {
        "booking": N_("Appointment"),
        "booking_opening": N_("Opening hours"),
        "booking_plan_duty": N_("Client plan follow-up"),
        "booking_right": N_("Right to book"),
        "booking_needs_path": N_("Needs-mapping question path"),
        "booking_waitlist": N_("Waiting list request"),
        "booking_meeting_guest": N_("Other participant of a joint meeting"),
    },
)


@hookimpl
def valvomo_configure(settings: dict[str, Any]) -> None:
    from plugins.booking.settings import configure

    configure(settings)


@hookimpl
def valvomo_piccolo_app() -> str:
    return "plugins.booking.piccolo_app"


@hookimpl
def valvomo_route_handlers() -> list[Any]:
    from plugins.booking.absence_pages import AbsencePages
    from plugins.booking.citizen_pages import CitizenBookingPages
    from plugins.booking.feed_pages import CalendarFeedIcs, FeedPages
    from plugins.booking.meeting_pages import MeetingPages
    from plugins.booking.needs_pages import NeedsPublicPages, NeedsSetupPages
    from plugins.booking.offer_pages import OfferPages
    from plugins.booking.public import PublicBooking
    from plugins.booking.report_pages import BookingReportPages
    from plugins.booking.views import BookingApi, BookingPages, BookingSetup, StaffBookingApi
    from plugins.booking.waitlist_pages import WaitlistPages
    from plugins.booking.waitlist_staff_pages import WaitlistStaffPages

    return [
        PublicBooking,
        CitizenBookingPages,
        NeedsPublicPages,
        WaitlistPages,
        OfferPages,
        BookingPages,
        AbsencePages,
        WaitlistStaffPages,
        FeedPages,
        MeetingPages,
        CalendarFeedIcs,
        BookingSetup,
        NeedsSetupPages,
        BookingReportPages,
        BookingApi,
        StaffBookingApi,
    ]


@hookimpl
def valvomo_template_dir() -> Path:
    return HERE / "templates"


@hookimpl
def valvomo_locale_dir() -> Path:
    return HERE / "locale"


@hookimpl
def valvomo_roles() -> list[Role]:
    return [
        Role(
            "professional",
            N_("Professional (booking)"),
            permissions=("customers.view", "tasks.work"),
        )
    ]


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission(
            "booking.work",
            N_("Work with calendars, bookings and booking rights"),
            ("professional", "admin"),
        ),
        Permission(
            "booking.manage", N_("Set up booking units, professionals and types"), ("admin",)
        ),
        Permission(
            "booking.notes",
            N_("Read and write notes of what was discussed in appointments"),
            ("professional", "admin"),
        ),
        Permission(
            "booking.reports",
            N_("Read booking reports (no personal data)"),
            ("professional", "admin"),
        ),
        Permission(
            "booking.view",
            N_("See a customer's bookings"),
            ("professional", "admin", "client_guidance"),
        ),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [
        NavItem(N_("Calendar"), "/booking", "booking.work", order=60),
        NavItem(
            N_("Booking setup"), "/booking/setup", "booking.manage", order=870, group=ADMINISTRATION
        ),
    ]


@hookimpl
def valvomo_reports() -> list[Report]:
    return [
        Report(
            N_("Booking reports"),
            "/booking/reports/",
            "booking.reports",
            N_("Appointments, no-shows, cancellations, lead times, types and modes per unit"),
        )
    ]


@hookimpl
def valvomo_task_kinds() -> list[TaskKind]:
    from plugins.booking.duties import PLAN_UPDATE

    return [PLAN_UPDATE]


@hookimpl
async def valvomo_customer_panels(customer: CustomerRecord, user: CurrentUser) -> list[Panel]:
    if not user.can("booking.view"):
        return []
    from plugins.booking.bookings import bookings_of_customer

    return [
        Panel(
            N_("Appointments"),
            "booking/panel.html",
            {
                "bookings": await bookings_of_customer(customer.id, 5),
                "customer_id": customer.id,
                "can_book": user.can("booking.work"),
            },
            order=60,
        )
    ]


@hookimpl
async def valvomo_citizen_panels(customer_id: int, citizen: Citizen) -> list[Panel]:
    """The customer's coming appointments and the way to book one, on Oma Valvomo."""
    if not await may_use(citizen, "booking"):
        return []
    from plugins.booking.bookings import coming_bookings_of_customer

    coming = await coming_bookings_of_customer(customer_id, now())
    return [Panel(N_("Appointments"), "booking/citizen_panel.html", {"coming": coming}, 40)]


@hookimpl
async def valvomo_citizen_data(customer_id: int) -> dict[str, Any]:
    """The customer's appointments (any status) for their own download."""
    from plugins.booking.bookings import bookings_of_customer

    rows = await bookings_of_customer(customer_id, 1000)
    data = [
        {
            "starts_at": row["starts_at"],
            "appointment_type": row["appointment_type.name"],
            "mode": label("booking.mode", row["mode"]),
            "status": label("booking.status", row["status"]),
            "professional": row["professional.user.full_name"],
            "unit": row["professional.unit.name"],
            "description": row["description"],
        }
        for row in rows
    ]
    return {gettext("Appointments"): data} if data else {}


@hookimpl
async def valvomo_dashboard_panels(user: CurrentUser) -> list[Panel]:
    """A professional's appointments today, with extra needs to prepare for."""
    if not user.can("booking.work"):
        return []
    from plugins.booking.calendar import professional_days
    from plugins.booking.setup import professional_of_user

    professional = await professional_of_user(user.id)
    if professional is None:
        return []
    from plugins.booking.absences import needing_a_choice
    from plugins.booking.meeting_staff import unread_notices

    day = (await professional_days(professional["id"], [today()]))[0]
    context = {
        "day": day,
        "can_report": user.can("booking.reports"),
        "needing_choice": await needing_a_choice(professional["id"], now()),
        "meeting_notices": await unread_notices(professional["id"]),
    }
    return [Panel(N_("My appointments today"), "booking/dashboard.html", context, order=20)]


@hookimpl
async def valvomo_customer_died(customer: CustomerRecord, actor: CurrentUser) -> None:
    """Coming appointments are cancelled with their reminders, in core's transaction; a joint
    meeting about the customer is cancelled as a whole and its other participants told."""
    from plugins.booking.bookings import cancel_future_bookings
    from plugins.booking.meetings import cancel_meetings_of_deceased

    moment = now()
    await cancel_meetings_of_deceased(actor, customer.id, moment)
    await cancel_future_bookings(actor, customer.id, moment)


@hookimpl
def valvomo_billing_products() -> list[Product]:
    from plugins.booking.settings import current

    return current().products_for_billing()


@hookimpl
async def valvomo_billing_lines(period: BillingPeriod) -> list[BillingLine]:
    from plugins.booking.billing import no_show_lines

    return await no_show_lines(period)


@hookimpl
async def valvomo_demo_data(demo: DemoContext) -> None:
    from plugins.booking.demo import create_demo_data

    await create_demo_data(demo)


@hookimpl
def valvomo_cli_commands(cli: click.Group) -> None:
    from plugins.booking.cli import booking

    cli.add_command(booking)


@hookimpl
def valvomo_metrics() -> list[Any]:
    from plugins.booking.metrics import booking_metrics

    return booking_metrics()


@hookimpl
def valvomo_retention_rules() -> list[RetentionRule]:
    from plugins.booking.retention import PAST_BOOKINGS

    return [PAST_BOOKINGS]
