"""Security phones (turvapuhelin): devices, services, keys, alarms, visits, billing and reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from plugins.security_phones import settings as phone_settings
from plugins.security_phones.alarms import TECHNICAL_ALARM
from plugins.security_phones.customer_service import COLLECT_DEVICES
from valvomo.api import (
    N_,
    Actor,
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
)

HERE = Path(__file__).parent

register_labels("plugin", {"security_phones": N_("Security phones")})
register_labels(
    "audit.entity",
    {
        "sp_alarm": N_("Alarm"),
        "sp_alarm_centre": N_("Alarm centre"),
        "sp_calling_order": N_("Calling order"),
        "sp_device": N_("Security phone device"),
        "sp_key": N_("Key"),
        "sp_service": N_("Security phone service"),
        "sp_visit": N_("Alarm visit"),
        "security_phone_device": N_("Security phone device"),
        "security_phone_service": N_("Security phone service"),
        "security_phone_alarm": N_("Alarm"),
    },
)
COORDINATOR = "security_phone_coordinator"


@hookimpl
def valvomo_configure(settings: dict[str, Any]) -> None:
    phone_settings.configure(settings)


@hookimpl
def valvomo_piccolo_app() -> str:
    return "plugins.security_phones.piccolo_app"


@hookimpl
def valvomo_route_handlers() -> list[Any]:
    from plugins.security_phones import api, citizen_views, views

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
        Role(
            COORDINATOR,
            N_("Security phone coordinator"),
            permissions=("customers.view", "customers.edit", "tasks.work"),
        )
    ]


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission(
            "security_phones.view",
            N_("See security phone services and devices"),
            ("admin", "client_guidance", "home_care", COORDINATOR),
        ),
        Permission(
            "security_phones.manage",
            N_("Manage security phone devices, services and keys"),
            ("admin", COORDINATOR),
        ),
        Permission(
            "security_phones.visits",
            N_("Record security phone alarm visits"),
            ("admin", "home_care", COORDINATOR),
        ),
        Permission(
            "security_phones.reports",
            N_("Read security phone reports"),
            ("admin", "biller", COORDINATOR),
        ),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [
        NavItem(
            N_("Security phone devices"), "/security-phones/devices", "security_phones.view", 40
        ),
        NavItem(N_("Alarms"), "/security-phones/alarms", "security_phones.visits", 41),
    ]


@hookimpl
def valvomo_task_kinds() -> list[TaskKind]:
    return [COLLECT_DEVICES, TECHNICAL_ALARM]


@hookimpl
def valvomo_reports() -> list[Report]:
    return [
        Report(
            N_("Security phones"),
            "/security-phones/reports",
            "security_phones.reports",
            N_("Devices, customers per municipality, alarms and response times"),
        ),
    ]


@hookimpl
async def valvomo_customer_panels(customer: CustomerRecord, user: CurrentUser) -> list[Panel]:
    if not user.can("security_phones.view"):
        return []
    from plugins.security_phones.customer_service import service_with_devices

    service, devices = await service_with_devices(customer.id)
    return [
        Panel(
            N_("Security phone"),
            "security_phones/panel.html",
            {"customer_id": customer.id, "service": service, "devices": devices},
            order=40,
        ),
    ]


@hookimpl
async def valvomo_citizen_panels(customer_id: int, citizen: Citizen) -> list[Panel]:
    """The customer's security phone service and the devices at home, on Oma Valvomo."""
    if not await may_use(citizen, "security_phones"):
        return []
    from plugins.security_phones.citizen import citizen_panel

    context = await citizen_panel(customer_id)
    if context is None:
        return []
    return [Panel(N_("Security phone"), "security_phones/citizen_panel.html", context, order=35)]


@hookimpl
async def valvomo_citizen_decisions(customer_id: int, citizen: Citizen) -> list[CitizenDecision]:
    """The decisions to grant and to end the customer's security phone service, with their
    decision maker and basis, on /oma/decisions."""
    if not await may_use(citizen, "security_phones"):
        return []
    from plugins.security_phones.decisions import citizen_view

    return await citizen_view(customer_id)


@hookimpl
async def valvomo_citizen_data(customer_id: int) -> dict[str, Any]:
    """The customer's security phone services for their own download."""
    from plugins.security_phones.citizen import customer_data

    data = await customer_data(customer_id)
    return {gettext("Security phone"): data} if data else {}


@hookimpl
async def valvomo_dashboard_panels(user: CurrentUser) -> list[Panel]:
    if not user.can("security_phones.visits"):
        return []
    from plugins.security_phones.visits import count_waiting_alarms

    waiting = await count_waiting_alarms()
    return [Panel(N_("Security phone alarms"), "security_phones/dashboard.html",
                  {"waiting": waiting}, order=40)]  # fmt: skip


@hookimpl
def valvomo_billing_products() -> list[Product]:
    return phone_settings.current().products_for_billing()


@hookimpl
async def valvomo_billing_lines(
    period: BillingPeriod, customers: frozenset[int] | None
) -> list[BillingLine]:
    from plugins.security_phones.billing import billing_lines

    lines = await billing_lines(period, phone_settings.current())
    return lines if customers is None else [ln for ln in lines if ln.customer_id in customers]


@hookimpl
async def valvomo_customer_died(customer: CustomerRecord, actor: Actor) -> None:
    from plugins.security_phones.customer_service import end_on_death

    await end_on_death(actor, customer.id, customer.status_date)


@hookimpl
async def valvomo_demo_data(demo: DemoContext) -> None:
    from plugins.security_phones.demo import load_demo

    await load_demo(demo)


@hookimpl
def valvomo_cli_commands(cli: click.Group) -> None:
    from plugins.security_phones.commands import add_commands

    add_commands(cli)


@hookimpl
def valvomo_metrics() -> list[Any]:
    from plugins.security_phones.metrics import phone_metrics

    return phone_metrics()


@hookimpl
def valvomo_retention_rules() -> list[RetentionRule]:
    from plugins.security_phones.retention import ALARMS

    return [ALARMS]
