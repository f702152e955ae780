"""Core billing's permissions, navigation and messages, registered like a plugin's hooks."""

from pathlib import Path

import click

from core.i18n import N_
from core.plugins import NavItem, Permission, hookimpl

BILLING_DIR = Path(__file__).parent


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission("billing.view", N_("See and export the monthly billing"), ("admin", "biller")),
        Permission("billing.close", N_("Close a billing month"), ("biller",)),
    ]


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
