"""Core's own roles, permissions and navigation, registered like a plugin's."""

from pathlib import Path

from core.plugins import NavItem, Permission, Role, hookimpl

CORE_DIR = Path(__file__).parent


@hookimpl
def valvomo_roles() -> list[Role]:
    return [
        Role("admin", "Administrator"),
        Role("client_guidance", "Client guidance"),
        Role("home_care", "Home care"),
        Role("biller", "Biller"),
    ]


@hookimpl
def valvomo_permissions() -> list[Permission]:
    staff = ("admin", "client_guidance", "home_care", "biller")
    return [
        Permission("customers.view", "View customers", staff),
        Permission("customers.edit", "Create and edit customers", ("admin", "client_guidance")),
        Permission("tasks.work", "See and complete inbox tasks", staff),
        Permission("users.manage", "Manage users, roles and plugins", ("admin",)),
        Permission("audit.view", "Read the audit and access log", ("admin",)),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [
        NavItem("Customers", "/customers", "customers.view", order=10),
        NavItem("Users", "/admin/users", "users.manage", order=900),
        NavItem("Roles", "/admin/roles", "users.manage", order=910),
        NavItem("Plugins", "/admin/plugins", "users.manage", order=920),
    ]


@hookimpl
def valvomo_locale_dir() -> Path:
    return CORE_DIR / "locale"
