"""Appointment booking with reminders: the plugin's hook implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from core.common.clock import now, today
from core.customers.services import CustomerRecord
from core.i18n import N_
from core.identity.services import CurrentUser
from core.plugins import (
    BillingLine,
    BillingPeriod,
    DemoContext,
    NavItem,
    Panel,
    Permission,
    Role,
    TaskKind,
    hookimpl,
)

HERE = Path(__file__).parent


@hookimpl
def valvomo_configure(settings: dict[str, Any]) -> None:
    from plugins.booking.settings import configure

    configure(settings)


@hookimpl
def valvomo_piccolo_app() -> str:
    return "plugins.booking.piccolo_app"


@hookimpl
def valvomo_route_handlers() -> list[Any]:
    from plugins.booking.public import PublicBooking
    from plugins.booking.views import BookingApi, BookingPages, BookingSetup, StaffBookingApi

    return [PublicBooking, BookingPages, BookingSetup, BookingApi, StaffBookingApi]


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
            "booking.view",
            N_("See a customer's bookings"),
            ("professional", "admin", "client_guidance"),
        ),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [
        NavItem(N_("Calendar"), "/booking", "booking.work", order=60),
        NavItem(N_("Booking setup"), "/booking/setup", "booking.manage", order=870),
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
async def valvomo_dashboard_panels(user: CurrentUser) -> list[Panel]:
    """A professional's appointments today, with extra needs to prepare for."""
    if not user.can("booking.work"):
        return []
    from plugins.booking.calendar import professional_days
    from plugins.booking.setup import professional_of_user

    professional = await professional_of_user(user.id)
    if professional is None:
        return []
    day = (await professional_days(professional["id"], [today()]))[0]
    return [Panel(N_("My appointments today"), "booking/dashboard.html", {"day": day}, order=20)]


@hookimpl
async def valvomo_customer_died(customer: CustomerRecord, actor: CurrentUser) -> None:
    """Coming appointments are cancelled with their reminders, in core's transaction."""
    from plugins.booking.bookings import cancel_future_bookings

    await cancel_future_bookings(actor, customer.id, now())


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
