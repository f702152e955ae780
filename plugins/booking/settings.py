"""The `[plugins.booking]` settings of valvomo.toml, validated at start-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from valvomo.api import N_, PluginConfigError, PriceSeed, Product

NO_SHOW = "no_show"
SERVICE = "booking"


@dataclass(frozen=True)
class BookingSettings:
    reminder_hours_before: int = 24
    booking_horizon_days: int = 90
    minimum_notice_minutes: int = 60
    no_show_fee: Decimal = Decimal("0")
    plan_reminder_days: int = 30
    max_open_bookings: int = 3  # upcoming self-service bookings per phone number or e-mail
    offer_link_days: int = 14
    video_link_template: str = ""
    waitlist_hold_hours: int = 24  # how long a freed time is held for the first on the list

    def products_for_billing(self) -> list[Product]:
        """The no-show fee, priced in core's price lists; `no_show_fee` only seeds its first
        price (0 = no seed: no fee until a biller sets a price)."""
        seeds = (PriceSeed(dt.date(2000, 1, 1), self.no_show_fee),) if self.no_show_fee else ()
        return [Product(NO_SHOW, SERVICE, N_("Missed appointment"), seed_prices=seeds)]


_current = BookingSettings()


def parse_settings(raw: dict[str, Any]) -> BookingSettings:
    known = set(BookingSettings.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise PluginConfigError(f"[plugins.booking] unknown setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name in (
        "reminder_hours_before",
        "booking_horizon_days",
        "minimum_notice_minutes",
        "plan_reminder_days",
        "max_open_bookings",
        "offer_link_days",
        "waitlist_hold_hours",
    ):
        if name in raw:
            value = raw[name]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
                raise PluginConfigError(
                    f"[plugins.booking] {name} must be a whole number from 0 to 10000"
                )
            values[name] = value
    if "no_show_fee" in raw:
        try:
            fee = Decimal(str(raw["no_show_fee"]))
        except InvalidOperation:
            fee = Decimal("-1")
        if not fee.is_finite() or fee < 0 or fee > 1000:
            raise PluginConfigError(
                "[plugins.booking] no_show_fee must be a euro amount from 0 to 1000 (0 = off)"
            )
        values["no_show_fee"] = fee.quantize(Decimal("0.01"))
    if "video_link_template" in raw:
        values["video_link_template"] = _video_template(raw["video_link_template"])
    return BookingSettings(**values)


def _video_template(value: Any) -> str:
    """An https address with `{room}`, the meeting's unguessable room name; "" = no links."""
    if value == "":
        return ""
    if not isinstance(value, str) or not value.startswith("https://") or "{room}" not in value:
        raise PluginConfigError(
            "[plugins.booking] video_link_template must be an https:// address containing {room}"
        )
    return value


def configure(raw: dict[str, Any]) -> None:
    global _current
    _current = parse_settings(raw)


def current() -> BookingSettings:
    return _current
