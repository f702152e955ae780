"""The hooks a Valvomo plugin can implement.

Every hook is optional. A hook that does I/O may return an awaitable; Valvomo awaits it.
See docs/plugins.md for an example of each.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from core.config import Settings
    from core.customers.services import CustomerRecord
    from core.identity.services import CurrentUser
    from core.plugins.types import (
        BillingPeriod,
        DemoContext,
        MaybeAwaitable,
        NavItem,
        Permission,
        Report,
        Role,
        TaskKind,
    )

hookspec = pluggy.HookspecMarker("valvomo")


@hookspec
def valvomo_configure(settings: dict[str, Any]) -> None:
    """Validate and keep the plugin's settings from its `[plugins.NAME]` table in valvomo.toml.

    Raise `core.plugins.PluginConfigError` with a message naming the setting to stop start-up.
    """


@hookspec
def valvomo_piccolo_app() -> str:
    """The dotted path of the plugin's Piccolo app module, e.g. "plugins.meals.piccolo_app".

    The app owns the plugin's tables and migrations; `valvomo migrate` runs them after core's.
    """


@hookspec
def valvomo_route_handlers() -> list[Any]:
    """Litestar controllers and route handlers to mount.

    Every handler must declare `opt={"permission": "..."}` or `opt={"public": True}`;
    a handler with neither is refused (deny by default).
    """


@hookspec
def valvomo_template_dir() -> Path:
    """A folder of Jinja2 templates, conventionally holding `<plugin>/page.html` files.

    Region and default themes are searched first, so a region can override any template.
    """


@hookspec
def valvomo_locale_dir() -> Path:
    """A folder with `<lang>/LC_MESSAGES/messages.po` catalogues (fi, sv) for the plugin's texts."""


@hookspec
def valvomo_roles() -> list[Role]:
    """Staff roles the plugin introduces, e.g. the meal coordinator or the kitchen."""


@hookspec
def valvomo_permissions() -> list[Permission]:
    """Permissions the plugin defines, with the roles that get them by default."""


@hookspec
def valvomo_navigation() -> list[NavItem]:
    """Entries for the main navigation; each is shown only to users with its permission."""


@hookspec
def valvomo_customer_panels(customer: CustomerRecord, user: CurrentUser) -> MaybeAwaitable:
    """Panels (`core.plugins.Panel`) for the customer page of `customer`, as seen by `user`.

    Return only what `user` may see. Opening the page is written to the access log by core.
    """


@hookspec
def valvomo_dashboard_panels(user: CurrentUser) -> MaybeAwaitable:
    """Panels (`core.plugins.Panel`) for `user`'s dashboard, e.g. today's counts."""


@hookspec
def valvomo_task_kinds() -> list[TaskKind]:
    """Kinds of inbox tasks the plugin creates with `core.tasks.services.create_task`."""


@hookspec
def valvomo_billing_lines(period: BillingPeriod) -> MaybeAwaitable:
    """The plugin's billing lines (`core.plugins.BillingLine`) for every customer in `period`."""


@hookspec
def valvomo_reports() -> list[Report]:
    """Report pages the plugin offers; listed on the reports page by permission."""


@hookspec
def valvomo_demo_data(demo: DemoContext) -> MaybeAwaitable:
    """Create the plugin's demo data for `valvomo demo`, after core's users and customers."""


@hookspec
def valvomo_cli_commands(cli: click.Group) -> None:
    """Add click commands to the `valvomo` command, e.g. `valvomo import meals FILE`."""


@hookspec
def valvomo_customer_died(customer: CustomerRecord, actor: CurrentUser) -> MaybeAwaitable:
    """The customer was marked deceased; end services. Runs in the same transaction."""


@hookspec
def valvomo_customer_moved(
    customer: CustomerRecord, previous_municipality: str, actor: CurrentUser
) -> MaybeAwaitable:
    """The customer moved to another municipality. Runs in the same transaction."""


@hookspec
def valvomo_customer_corrected(
    customer: CustomerRecord, changed_fields: list[str], actor: CurrentUser
) -> MaybeAwaitable:
    """The customer's register data was corrected (names, address, phone ...)."""


@hookspec
def valvomo_notification_channels(settings: Settings) -> list[Any]:
    """Channels through which `valvomo worker` sends outbox messages.

    Each object satisfies `core.notifications.channels.Channel`: a `name` (the outbox
    `channel` value it sends, e.g. "sms"), `async send(message) -> provider_id` raising
    `SendFailed(reason, permanent=...)` on failure, and `async close()`. It must pass
    `message.idempotency_key` on to the provider so a repeated send is delivered once.
    Core registers "sms" (HTTP gateway) and "email" (SMTP); a later channel of the same
    name (a plugin's) replaces core's.
    """
