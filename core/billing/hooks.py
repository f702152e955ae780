"""Core billing's permissions, navigation and messages, registered like a plugin's hooks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.common.clock import today
from core.i18n import N_
from core.plugins import NavItem, Panel, Permission, hookimpl

if TYPE_CHECKING:
    import click

    from core.customers.services import CustomerRecord
    from core.identity.services import CurrentUser

BILLING_DIR = Path(__file__).parent


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission("billing.view", N_("See and export the monthly billing"), ("admin", "biller")),
        Permission("billing.close", N_("Close a billing month"), ("biller",)),
        Permission("billing.prices", N_("Keep the price lists"), ("admin", "biller")),
    ]


@hookimpl
def valvomo_invoice_formats() -> list[Any]:
    from core.billing.exports import CORE_FORMATS

    return list(CORE_FORMATS)


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [NavItem(N_("Billing"), "/billing", "billing.view", order=700)]


@hookimpl
def valvomo_locale_dir() -> Path:
    return BILLING_DIR / "locale"


@hookimpl
def valvomo_cli_commands(cli: click.Group) -> None:
    from core.billing.commands import add_commands

    add_commands(cli)


@hookimpl
async def valvomo_customer_panels(customer: CustomerRecord, user: CurrentUser) -> list[Panel]:
    """For billers: the customer's fee decisions, and links to them and to the payers."""
    if not user.can("billing.prices"):
        return []
    from core.billing.fees import customer_decisions

    context = {"customer": customer, "decisions": await customer_decisions(customer.id)}
    return [Panel(N_("Billing"), "billing/customer_panel.html", context, order=80)]


@hookimpl
async def valvomo_dashboard_panels(user: CurrentUser) -> list[Panel]:
    """For billers: whether last month is still waiting to be closed."""
    if not user.can("billing.view"):
        return []
    from core.billing.services import month_to_close

    state = await month_to_close(today())
    return [Panel(N_("Billing"), "billing/panel.html", {"state": state}, order=50)]
