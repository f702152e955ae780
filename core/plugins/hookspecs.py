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

    from core.citizen.services import Citizen
    from core.config import Settings
    from core.customers.services import CustomerRecord
    from core.identity.services import CurrentUser
    from core.plugins.types import (
        BillingPeriod,
        DemoContext,
        MaybeAwaitable,
        Metric,
        NavItem,
        Permission,
        Product,
        Report,
        RetentionRule,
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
def valvomo_citizen_panels(customer_id: int, citizen: Citizen) -> MaybeAwaitable:
    """Panels (`core.plugins.Panel`) for the citizen's own front page ("Oma Valvomo").

    `customer_id` is the customer whose matters are shown: the signed-in person's own, or the
    customer a proxy acts for (`citizen.is_proxy`). Show only that customer's own data, in
    plain words, without codes; forms post under `/oma/` with the page's CSRF token. Core
    writes the page view to the customer's access log; record what a form changes with
    `citizen` as the audit actor ("by X for Y" for a proxy).
    """


@hookspec
def valvomo_citizen_data(customer_id: int) -> MaybeAwaitable:
    """The plugin's data about the customer for their own download (`/oma/my-data`): a dict
    `{section title: JSON-serialisable data}`, e.g. `{"Meals": {...}}`; {} when there is none.
    """


@hookspec
def valvomo_citizen_decisions(customer_id: int, citizen: Citizen) -> MaybeAwaitable:
    """Decisions (`core.plugins.CitizenDecision`) about the customer's services, for the
    citizen's page of decisions and notices (`/oma/decisions`); only those of services
    `citizen` may handle (`may_use`). Core writes the page view to the access log.
    """


@hookspec
def valvomo_dashboard_panels(user: CurrentUser) -> MaybeAwaitable:
    """Panels (`core.plugins.Panel`) for `user`'s dashboard, e.g. today's counts."""


@hookspec
def valvomo_task_kinds() -> list[TaskKind]:
    """Kinds of inbox tasks the plugin creates with `core.tasks.services.create_task`.

    Each names the role it is addressed to, the page where its work is done (`link`) and
    whether only that work closes it (`closed_by="action"`) or the inbox may mark it done
    with a note. Valvomo refuses to start when a kind's role does not hold `tasks.work`
    (declared in `valvomo_roles` or the permission's default roles): nobody would see it.
    """


@hookspec
def valvomo_billing_lines(
    period: BillingPeriod, customers: frozenset[int] | None
) -> MaybeAwaitable:
    """The plugin's billing lines (`core.plugins.BillingLine`) for every customer in `period`.

    `customers`, when not None, asks for the lines of just these customers (the situational
    picture recomputing the customers whose data changed); an implementation may leave the
    argument out and return everyone's, core keeps the ones asked for."""


@hookspec
def valvomo_billing_products() -> list[Product]:
    """The products the plugin bills (`core.plugins.Product`), with the first prices from the
    region's settings. Billers keep their prices on core's price pages; the plugin reads them
    with `core.billing.prices.price_list(products)` when it computes its billing lines."""


@hookspec
def valvomo_invoice_formats() -> list[Any]:
    """File formats for a month's invoicing data (`core.billing.invoices.InvoiceFormat`): a
    code, a label, a media type, a file extension and `write(month) -> bytes`, where `month` is
    an `InvoiceMonth` (lines grouped by payer and customer). Core offers "csv", "xlsx" and
    "jsonl"; a format with the same code as one of core's replaces it."""


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
def valvomo_import_steps() -> list[Any]:
    """Import steps (`core.imports.ImportStep`) for the columns of the combined go-live sheet
    (`valvomo import FILE`) that are the plugin's, run after core's customers."""


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


@hookspec
def valvomo_retention_rules() -> list[RetentionRule]:
    """Kinds of record the region's `[retention]` table deletes after some days.

    `valvomo retention --dry-run` lists what would go; the worker deletes it nightly and
    audits each deletion (entity, id and customer number, never the deleted data):

        @hookimpl
        def valvomo_retention_rules():
            return [RetentionRule("meals_ended_services", "Ended meal services",
                                  find_expired=expired_services, delete=delete_services)]
    """


@hookspec
def valvomo_metrics() -> list[Metric]:
    """Figures (`core.plugins.Metric`) the plugin adds to the situational picture ("tilannekuva").

    Each metric has a name unique across plugins ("meals.openings"), an English label, a unit
    ("customers", "meals", "euros", "minutes", "count"), the service it belongs to and an async
    `compute(period, context)` returning the month's `MetricCell`s per municipality (and unit).
    The worker refreshes the aggregates every few minutes; the page, the export and the API read
    only the aggregates. Compute with one grouped query per month, not per customer.
    """
