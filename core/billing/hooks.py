"""Core billing's permissions, navigation and messages, registered like a plugin's hooks."""

from pathlib import Path

from core.plugins import NavItem, Permission, hookimpl

BILLING_DIR = Path(__file__).parent


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission("billing.view", "See and export the monthly billing", ("admin", "biller")),
        Permission("billing.close", "Close a billing month", ("biller",)),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [NavItem("Billing", "/billing", "billing.view", order=700)]


@hookimpl
def valvomo_locale_dir() -> Path:
    return BILLING_DIR / "locale"
