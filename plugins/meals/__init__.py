"""Meals: the meal-service lifecycle, kitchen and route lists, billing and the biller's reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from core.common.clock import today
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
    Report,
    Role,
    TaskKind,
    hookimpl,
)
from plugins.meals import settings as meal_settings
from plugins.meals.services import COORDINATOR, ENDING_TASK, KITCHEN, OPENING_TASK

HERE = Path(__file__).parent


@hookimpl
def valvomo_configure(settings: dict[str, Any]) -> None:
    meal_settings.configure(settings)


@hookimpl
def valvomo_piccolo_app() -> str:
    return "plugins.meals.piccolo_app"


@hookimpl
def valvomo_route_handlers() -> list[Any]:
    from plugins.meals import api, views

    return [*views.CONTROLLERS, *api.CONTROLLERS]


@hookimpl
def valvomo_template_dir() -> Path:
    return HERE / "templates"


@hookimpl
def valvomo_locale_dir() -> Path:
    return HERE / "locale"


@hookimpl
def valvomo_roles() -> list[Role]:
    return [Role(COORDINATOR, N_("Meal coordinator")), Role(KITCHEN, N_("Kitchen and transport"))]


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission(
            "meals.view",
            N_("See meal services"),
            ("admin", "client_guidance", "home_care", COORDINATOR),
        ),
        Permission(
            "meals.open",
            N_("Request meal service openings and decide endings"),
            ("admin", "client_guidance"),
        ),
        Permission("meals.manage", N_("Manage meal services"), ("admin", COORDINATOR)),
        Permission(
            "meals.lists",
            N_("See kitchen production and route delivery lists"),
            ("admin", COORDINATOR, KITCHEN),
        ),
        Permission(
            "meals.reports",
            N_("Read meal billing and transport reports"),
            ("admin", "biller", COORDINATOR),
        ),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [
        NavItem(N_("Meal services"), "/meals/services", "meals.manage", 30),
        NavItem(N_("Kitchen lists"), "/meals/lists", "meals.lists", 31),
        NavItem(N_("Kitchens and routes"), "/meals/kitchens", "meals.manage", 32),
    ]


@hookimpl
def valvomo_task_kinds() -> list[TaskKind]:
    return [OPENING_TASK, ENDING_TASK]


@hookimpl
def valvomo_reports() -> list[Report]:
    return [
        Report(
            N_("Meal billing"),
            "/meals/reports/billing",
            "meals.reports",
            N_("Every customer's meal billing lines with the days behind them"),
        ),
        Report(
            N_("Meal service deviations"),
            "/meals/reports/deviations",
            "meals.reports",
            N_("Openings, endings, pauses and exceptions of a month"),
        ),
        Report(
            N_("Meal transport"),
            "/meals/reports/transport",
            "meals.reports",
            N_("Deliveries and meals per kitchen and route"),
        ),
    ]


@hookimpl
async def valvomo_customer_panels(customer: CustomerRecord, user: CurrentUser) -> list[Panel]:
    if not user.can("meals.view"):
        return []
    from plugins.meals.views import customer_panel_context

    context = await customer_panel_context(customer.id)
    return [Panel(N_("Meal service"), "meals/panel.html", context, order=30)]


@hookimpl
async def valvomo_dashboard_panels(user: CurrentUser) -> list[Panel]:
    if not user.can("meals.manage"):
        return []
    from plugins.meals.services import STATUSES, status_counts

    context = {"counts": await status_counts(), "statuses": STATUSES}
    return [Panel(N_("Meal services"), "meals/dashboard_panel.html", context, order=30)]


@hookimpl
async def valvomo_customer_died(customer: CustomerRecord, actor: CurrentUser) -> None:
    from plugins.meals.services import end_for_deceased

    await end_for_deceased(actor, customer.id, customer.status_date or today())


@hookimpl
async def valvomo_billing_lines(period: BillingPeriod) -> list[BillingLine]:
    from plugins.meals.billing import billing_lines

    return await billing_lines(period, meal_settings.current())


@hookimpl
async def valvomo_demo_data(demo: DemoContext) -> None:
    from plugins.meals.demo import create_demo_data

    await create_demo_data(demo, meal_settings.current())


@hookimpl
def valvomo_cli_commands(cli: click.Group) -> None:
    from plugins.meals.commands import add_commands

    add_commands(cli)
