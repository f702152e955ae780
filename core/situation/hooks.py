"""The situational picture's permission, role, navigation, pages and core's own figure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.i18n import N_
from core.labels import register_labels
from core.plugins import Metric, NavItem, Permission, Role, hookimpl

if TYPE_CHECKING:
    import click

SITUATION_DIR = Path(__file__).parent
LEADER = "leader"
# Coordinators of the built-in services see the picture too; unknown roles are skipped.
VIEWERS = ("admin", LEADER, "meal_coordinator", "security_phone_coordinator")
# A service's name is its label here if registered, else its own catalogue's entry for the code.
register_labels("situation.service", {"billing": N_("Billing")})


@hookimpl
def valvomo_roles() -> list[Role]:
    return [Role(LEADER, N_("Leader"), permissions=("situation.view",))]


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission(
            "situation.view",
            N_("See the situational picture of every service"),
            VIEWERS,
        )
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [NavItem(N_("Situational picture"), "/situation", "situation.view", order=5)]


@hookimpl
def valvomo_route_handlers() -> list[Any]:
    from core.situation.views import SituationApi, SituationPages

    return [SituationPages, SituationApi]


@hookimpl
def valvomo_template_dir() -> Path:
    return SITUATION_DIR / "templates"


@hookimpl
def valvomo_locale_dir() -> Path:
    return SITUATION_DIR / "locale"


@hookimpl
def valvomo_metrics() -> list[Metric]:
    from core.situation.metrics import core_metrics

    return core_metrics()


@hookimpl
def valvomo_cli_commands(cli: click.Group) -> None:
    from core.situation.commands import add_commands

    add_commands(cli)
