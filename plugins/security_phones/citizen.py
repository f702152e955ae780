"""The customer's security phone on Oma Valvomo: the front page's panel and their own data."""

from __future__ import annotations

from typing import Any

from plugins.security_phones.customer_service import current_service, installed_devices
from plugins.security_phones.tables import PhoneService
from valvomo.api import N_, label, register_labels

register_labels(
    "security_phones.device_kind",
    {
        "base_unit": N_("Base unit"),
        "wrist_button": N_("Wrist or neck button"),
        "fall_detector": N_("Fall detector"),
        "door_sensor": N_("Door sensor"),
        "smoke_detector": N_("Smoke detector"),
        "gps_tracker": N_("GPS tracker"),
    },
)
register_labels(
    "field",
    {"installation_date": N_("Installation date"), "devices": N_("Installed devices")},
)


async def citizen_panel(customer_id: int) -> dict[str, Any] | None:
    """The newest service and, while it runs, the devices at home; None without a service."""
    service = await current_service(customer_id)
    if service is None:
        return None
    devices = await installed_devices(customer_id) if service.is_active else []
    return {"service": service, "devices": devices}


def device_names(devices: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{d['device.model']} ({label('security_phones.device_kind', d['device.kind'])})"
        for d in devices
    )


async def customer_data(customer_id: int) -> list[dict[str, Any]]:
    """Every security phone service of the customer, the running one with its devices."""
    services = (
        await PhoneService.select(
            PhoneService.start_date, PhoneService.end_date, PhoneService.installation_date
        )
        .where(PhoneService.customer == customer_id)
        .order_by(PhoneService.start_date)
    )
    devices = device_names(await installed_devices(customer_id))
    for service in services:
        if service["end_date"] is None and devices:
            service["devices"] = devices
    return services
