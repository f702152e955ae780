"""The `[plugins.booking]` settings of valvomo.toml, validated at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.plugins import PluginConfigError


@dataclass(frozen=True)
class BookingSettings:
    reminder_hours_before: int = 24
    booking_horizon_days: int = 90
    minimum_notice_minutes: int = 60
    no_show_fee: Decimal = Decimal("0")
    plan_reminder_days: int = 30


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
    return BookingSettings(**values)


def configure(raw: dict[str, Any]) -> None:
    global _current
    _current = parse_settings(raw)


def current() -> BookingSettings:
    return _current
