"""Core notifications' permissions, navigation and messages, registered like a plugin's hooks."""

from pathlib import Path

from core.config import Settings
from core.i18n import N_
from core.identity.services import CurrentUser
from core.notifications.channels import Channel, SmsGatewayChannel, SmtpChannel
from core.notifications.delivery import attention_counts
from core.notifications.tables import STATUS_LABELS
from core.plugins import ADMINISTRATION, NavItem, Panel, Permission, hookimpl

NOTIFICATIONS_DIR = Path(__file__).parent


@hookimpl
def valvomo_permissions() -> list[Permission]:
    return [
        Permission(
            "notifications.view", N_("See outgoing messages and their delivery"), ("admin",)
        ),
        Permission("notifications.retry", N_("Send a failed message again"), ("admin",)),
    ]


@hookimpl
def valvomo_navigation() -> list[NavItem]:
    return [NavItem(N_("Messages"), "/notifications", "notifications.view", 800, ADMINISTRATION)]


@hookimpl
async def valvomo_dashboard_panels(user: CurrentUser) -> list[Panel]:
    """Failed messages wait for a person: their count, linked to the list."""
    if not user.can("notifications.view"):
        return []
    context = {"counts": await attention_counts(), "labels": STATUS_LABELS}
    return [Panel(N_("Outgoing messages"), "notifications/dashboard_panel.html", context, 90)]


@hookimpl
def valvomo_locale_dir() -> Path:
    return NOTIFICATIONS_DIR / "locale"


@hookimpl
def valvomo_notification_channels(settings: Settings) -> list[Channel]:
    return [SmsGatewayChannel(settings.notifications), SmtpChannel(settings.notifications)]
