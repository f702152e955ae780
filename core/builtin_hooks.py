"""Core's own roles, permissions and navigation, registered like a plugin's."""

from pathlib import Path
from typing import Any

from core.i18n import N_
from core.plugins import ADMINISTRATION, NavItem, Permission, RetentionRule, Role, hookimpl

CORE_DIR = Path(__file__).parent


@hookimpl
def valvomo_roles() -> list[Role]:
    return [
        Role("admin", N_("Administrator")),
        Role("client_guidance", N_("Client guidance")),
        Role("home_care", N_("Home care")),
        Role("biller", N_("Biller")),
    ]


@hookimpl
def valvomo_permissions() -> list[Permission]:
    staff = ("admin", "client_guidance", "home_care", "biller")
    return [
        Permission("customers.view", N_("View customers"), staff),
        Permission("customers.edit", N_("Create and edit customers"), ("admin", "client_guidance")),
        Permission("tasks.work", N_("See and complete inbox tasks"), staff),
        Permission("users.manage", N_("Manage users, roles and plugins"), ("admin",)),
        Permission("audit.view", N_("Read the audit and access log"), ("admin",)),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [
        NavItem(N_("Customers"), "/customers", "customers.view", order=10),
        NavItem(N_("Users"), "/admin/users", "users.manage", order=900, group=ADMINISTRATION),
        NavItem(N_("Roles"), "/admin/roles", "users.manage", order=910, group=ADMINISTRATION),
        NavItem(N_("Plugins"), "/admin/plugins", "users.manage", order=920, group=ADMINISTRATION),
    ]


@hookimpl
def valvomo_locale_dir() -> Path:
    return CORE_DIR / "locale"


@hookimpl
def valvomo_cli_commands(cli: Any) -> None:
    from core.customers.commands import add_commands

    add_commands(cli)


@hookimpl
def valvomo_retention_rules() -> list[RetentionRule]:
    from core.operations.retention import AUDIT_LOG_RULE, OUTBOX_RULE

    return [OUTBOX_RULE, AUDIT_LOG_RULE]
