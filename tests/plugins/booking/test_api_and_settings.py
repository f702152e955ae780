"""The JSON API for free times and the validation of `[plugins.booking]`."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from core.audit.tables import AuditEntry
from core.common.clock import HELSINKI, now
from core.db import transaction
from core.plugins import PluginConfigError
from plugins.booking import bookings
from plugins.booking.settings import parse_settings
from tests.core.test_customers import create as create_customer
from tests.helpers import SYSTEM
from tests.plugins.booking.setup_data import create_setup, tomorrow_at


async def test_public_api_lists_types_and_free_times(client: httpx.AsyncClient) -> None:
    setup = await create_setup()
    types = (await client.get("/api/booking/types")).json()
    assert [t["code"] for t in types] == ["ADVICE15"]  # follow-up only types are not listed
    response = await client.get(
        "/api/booking/free-times",
        params={"appointment_type_id": setup.advice_type_id, "after": tomorrow_at(9).isoformat()},
    )
    assert response.status_code == 200
    times = response.json()
    assert len(times) == 12
    assert times[0]["professional_id"] == setup.professional_id
    assert times[0]["starts_at"].startswith(tomorrow_at(9).strftime("%Y-%m-%dT%H:%M"))
    hidden = await client.get(
        "/api/booking/free-times", params={"appointment_type_id": setup.followup_type_id}
    )
    assert hidden.status_code == 404
    missing = await client.get("/api/booking/free-times", params={"appointment_type_id": 99999})
    assert missing.status_code == 404
    schema = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/booking/free-times" in schema["paths"]


async def test_admin_without_own_calendar_sees_a_professionals(admin: httpx.AsyncClient) -> None:
    setup = await create_setup()
    page = await admin.get("/booking")
    assert page.status_code == 200
    assert f'value="{setup.professional_id}" selected' in page.text


@pytest.mark.nodb
def test_settings_defaults_and_values() -> None:
    assert parse_settings({}).no_show_fee == Decimal("0")
    parsed = parse_settings({"reminder_hours_before": 48, "no_show_fee": "30"})
    assert parsed.reminder_hours_before == 48 and parsed.no_show_fee == Decimal("30.00")


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"reminder_hours": 24}, "reminder_hours"),
        ({"reminder_hours_before": -1}, "reminder_hours_before"),
        ({"reminder_hours_before": "24"}, "reminder_hours_before"),
        ({"booking_horizon_days": True}, "booking_horizon_days"),
        ({"no_show_fee": "ten"}, "no_show_fee"),
        ({"no_show_fee": "-5"}, "no_show_fee"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_setting(raw: dict[str, object], named: str) -> None:
    with pytest.raises(PluginConfigError, match=named):
        parse_settings(raw)


async def test_staff_api_lists_a_professionals_week_and_logs_the_views(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)
    setup = await create_setup()
    async with transaction():
        await bookings.create_booking(
            SYSTEM,
            bookings.BookingRequest(
                professional_id=setup.professional_id,
                appointment_type_id=setup.advice_type_id,
                starts_at=tomorrow_at(9),
                mode="phone",
                customer_id=customer_id,
                extra_needs=["interpreter"],
                interpreter_language="somali",
            ),
            now(),
        )
    week = await admin.get(
        f"/api/booking/professionals/{setup.professional_id}/bookings",
        params={"week_of": tomorrow_at(9).astimezone(HELSINKI).date().isoformat()},
    )
    assert week.status_code == 200, week.text
    [booking] = week.json()
    assert booking["customer_id"] == customer_id and booking["extra_needs"] == ["interpreter"]
    one = await admin.get(f"/api/booking/bookings/{booking['id']}")
    assert one.json()["appointment_type_code"] == "ADVICE15"
    views = await AuditEntry.count().where(
        (AuditEntry.customer_id == customer_id) & (AuditEntry.action == "view")
    )
    assert views >= 2
    await admin.post("/logout", data={"_csrf_token": admin.cookies.get("valvomo_csrf", "")})
    refused = await admin.get(f"/api/booking/bookings/{booking['id']}")
    assert refused.status_code in (401, 403)
