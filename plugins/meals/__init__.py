"""Meals: the meal-service lifecycle, kitchen and route lists, billing and the biller's reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from plugins.meals import settings as meal_settings
from plugins.meals.change_reports import CHANGE_TASK
from plugins.meals.services import (
    COORDINATOR,
    ENDING_TASK,
    EXCEPTION_KINDS,
    KITCHEN,
    OPENING_TASK,
    STATUSES,
)
from valvomo.api import (
    ADMINISTRATION,
    N_,
    BillingLine,
    BillingPeriod,
    Citizen,
    CitizenDecision,
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
    may_use,
    register_labels,
    register_tones,
    today,
)

HERE = Path(__file__).parent

register_labels("plugin", {"meals": N_("Meals")})

register_labels("meals.service_status", STATUSES)
register_tones(
    "meals.service_status",
    {
        "opening_requested": "info",
        "active": "success",
        "paused": "warning",
        "ending_requested": "info",
        "ended": "neutral",
    },
)
register_labels(
    "field",
    {
        "diet": N_("Diet"),
        "diets": N_("Special diets"),
        "allergies": N_("Allergies"),
        "texture": N_("Texture"),
        "kitchen": N_("Kitchen"),
        "route": N_("Delivery route"),
        "route_stop": N_("Stop number on the route"),
        "door_notes": N_("Door and key notes"),
        "requested_meals": N_("Meals needed"),
        "start_date": N_("Start date"),
        "end_date": N_("End date"),
        "resume_date": N_("Meals resume on"),
        "reason": N_("Reason"),
        "ending_reason": N_("Reason for ending"),
        "valid_from": N_("Valid from"),
        "day": N_("Day"),
        "kind": N_("Change"),
        "product": N_("Meal product"),
        "quantity": N_("Quantity"),
        "note": N_("Note"),
        "label": N_("Name"),
        "code": N_("Code in import files"),
        "retired": N_("Retired"),
    },
)
register_labels("meals.exception_kind", EXCEPTION_KINDS)
register_labels(
    "audit.entity",
    {
        "meals": N_("Meal service"),
        "meal_service": N_("Meal service"),
        "meal_order": N_("Weekly meal order"),
        "meal_diet": N_("Diet change"),
        "meal_code": N_("Diet, allergy or texture"),
        "meal_exception": N_("Meal exception"),
        "meal_pause": N_("Meal pause"),
        "meal_kitchen": N_("Kitchen"),
        "meal_route": N_("Delivery route"),
        "meal_route_list": N_("Delivery list"),
        "meal_production_list": N_("Production list"),
        "meal_report": N_("Meal report"),
        "meal_decision": N_("Meal-service decision"),
    },
)


def _register_labels() -> None:
    from plugins.meals import change_reports, decisions

    register_labels("meals.change_kind", change_reports.KINDS)
    register_labels("meals.change_channel", change_reports.CHANNELS)
    register_labels("meals.change_status", change_reports.STATUSES)
    register_labels("meals.decision_kind", decisions.KINDS)


_register_labels()


@hookimpl
def valvomo_configure(settings: dict[str, Any]) -> None:
    meal_settings.configure(settings)
    _register_field_labels(meal_settings.current())


def _register_field_labels(settings: meal_settings.MealSettings) -> None:
    """Field names for the conflict page, including the order form's per-weekday fields."""
    from plugins.meals.forms import WEEKDAY_NAMES  # not views: a command loads no pages

    def composed(*parts: str) -> Callable[[], str]:
        return lambda: ": ".join(gettext(p) for p in parts)

    fields: dict[str, Any] = {
        f"qty_{wd}_{code}": composed(day, name)
        for wd, day in enumerate(WEEKDAY_NAMES)
        for code, name in settings.products.items()
    }
    fields.update(
        {
            f"delivery_{wd}": composed(day, N_("Delivered on"))
            for wd, day in enumerate(WEEKDAY_NAMES)
        }
    )
    register_labels("field", fields)


@hookimpl
def valvomo_piccolo_app() -> str:
    return "plugins.meals.piccolo_app"


@hookimpl
def valvomo_route_handlers() -> list[Any]:
    from plugins.meals import api, citizen_views, views

    return [*views.CONTROLLERS, *api.CONTROLLERS, *citizen_views.CONTROLLERS]


@hookimpl
def valvomo_template_dir() -> Path:
    return HERE / "templates"


@hookimpl
def valvomo_locale_dir() -> Path:
    return HERE / "locale"


@hookimpl
def valvomo_roles() -> list[Role]:
    return [
        Role(COORDINATOR, N_("Meal coordinator"), permissions=("customers.view", "tasks.work")),
        Role(KITCHEN, N_("Kitchen and transport")),
    ]


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
            "meals.report_change",
            N_("Report changes in a customer's meal service"),
            ("admin", "client_guidance", "home_care", COORDINATOR),
        ),
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
        NavItem(N_("Kitchens and routes"), "/meals/kitchens", "meals.manage", 32, ADMINISTRATION),
        NavItem(
            N_("Diets, allergies and textures"), "/meals/codes", "meals.manage", 33, ADMINISTRATION
        ),
    ]


@hookimpl
def valvomo_task_kinds() -> list[TaskKind]:
    return [OPENING_TASK, ENDING_TASK, CHANGE_TASK]


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
async def valvomo_citizen_panels(customer_id: int, citizen: Citizen) -> list[Panel]:
    from plugins.meals.absences import citizen_panel

    if not await may_use(citizen, "meals"):
        return []
    context = await citizen_panel(customer_id, meal_settings.current())
    if context is None:
        return []
    return [Panel(N_("Meals"), "meals/citizen_panel.html", context, order=30)]


@hookimpl
async def valvomo_citizen_decisions(customer_id: int, citizen: Citizen) -> list[CitizenDecision]:
    from plugins.meals.decisions import decisions_of_customer

    if not await may_use(citizen, "meals"):
        return []
    return await decisions_of_customer(customer_id)


@hookimpl
async def valvomo_citizen_data(customer_id: int) -> dict[str, Any]:
    from plugins.meals.absences import customer_data

    data = await customer_data(customer_id)
    return {gettext("Meal service"): data} if data else {}


@hookimpl
async def valvomo_dashboard_panels(user: CurrentUser) -> list[Panel]:
    from plugins.meals import dashboard
    from plugins.meals.scope import kitchen_scope

    panels: list[Panel] = []
    if user.can("meals.manage"):
        context: dict[str, Any] = {
            "day": await dashboard.coordinator_day(),
            "reported_online": await dashboard.reported_online(today()),
        }
        panels.append(Panel(N_("Meal service today"), "meals/dashboard_panel.html", context, 30))
    elif user.can("meals.lists"):
        from plugins.meals.codes import effective

        scope, settings = await kitchen_scope(user), await effective()
        kitchens = await dashboard.kitchen_day(scope or frozenset(), settings)
        context = {"kitchens": kitchens, "settings": settings}
        panels.append(Panel(N_("Next deliveries"), "meals/kitchen_panel.html", context, 30))
    if not user.can("meals.manage") and (user.can("meals.open") or user.can("meals.report_change")):
        context = {"requests": await dashboard.requests_of(user)}
        panels.append(
            Panel(N_("Your meal-service requests"), "meals/requests_panel.html", context, 31)
        )
    return panels


@hookimpl
async def valvomo_customer_died(customer: CustomerRecord, actor: CurrentUser) -> None:
    from plugins.meals.services import end_for_deceased

    await end_for_deceased(actor, customer.id, customer.status_date or today())


@hookimpl
async def valvomo_billing_lines(
    period: BillingPeriod, customers: frozenset[int] | None
) -> list[BillingLine]:
    from plugins.meals.billing import priced_lines

    return await priced_lines(period, meal_settings.current(), customers)


@hookimpl
def valvomo_billing_products() -> list[Product]:
    return meal_settings.current().products_for_billing()


@hookimpl
async def valvomo_demo_data(demo: DemoContext) -> None:
    from plugins.meals.demo import create_demo_data

    await create_demo_data(demo, meal_settings.current())


@hookimpl
def valvomo_import_steps() -> list[Any]:
    """The meal columns of the combined go-live sheet (`valvomo import FILE`)."""
    from plugins.meals.importer import MealsStep

    return [MealsStep(meal_settings.current())]


@hookimpl
def valvomo_cli_commands(cli: click.Group) -> None:
    from plugins.meals.commands import add_commands

    add_commands(cli)


@hookimpl
def valvomo_retention_rules() -> list[RetentionRule]:
    from plugins.meals.retention import ENDED_SERVICES

    return [ENDED_SERVICES]


@hookimpl
def valvomo_metrics() -> list[Any]:
    from plugins.meals.metrics import meal_metrics

    return meal_metrics()
