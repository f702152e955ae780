"""Shared set-up for the security phone tests: customers, a signed-in coordinator, a centre."""

from __future__ import annotations

import itertools

import httpx
import pytest

from core.common.clock import now
from core.customers.tables import Customer
from core.db import transaction
from plugins.security_phones import alarms
from plugins.security_phones import settings as phone_settings
from tests.helpers import SYSTEM, make_user, sign_in

_numbers = itertools.count(1)


async def new_customer(municipality: str = "Seinäjoki", last_name: str = "Virtanen") -> int:
    moment = now()
    number = next(_numbers)
    rows = await Customer.insert(
        Customer(
            identity_code=f"0101{number % 100:02d}-9{number:03d}"[:11],
            first_name="Aino",
            last_name=last_name,
            search_name=f"{last_name.lower()} aino",
            municipality=municipality,
            created_at=moment,
            updated_at=moment,
        )
    ).returning(Customer.id)
    return int(rows[0]["id"])


async def new_centre(name: str = "Centre A") -> tuple[int, str]:
    async with transaction():
        return await alarms.create_centre(SYSTEM, name)


@pytest.fixture
async def coordinator(client: httpx.AsyncClient) -> httpx.AsyncClient:
    username = await make_user("security_phone_coordinator")
    response = await sign_in(client, username)
    assert response.status_code == 200
    return client


@pytest.fixture
def prices(monkeypatch: pytest.MonkeyPatch) -> phone_settings.PhoneSettings:
    """Region prices for billing tests; the previous settings come back afterwards."""
    monkeypatch.setattr(phone_settings, "_current", phone_settings.current())
    return phone_settings.configure(
        {
            "start_end_month_rule": "whole_month",
            "prices": [
                {
                    "product": "monthly_fee",
                    "amount": "30.00",
                    "valid_from": "2026-01-01",
                    "valid_to": "2026-06-30",
                },
                {"product": "monthly_fee", "amount": "31.00", "valid_from": "2026-07-01"},
                {"product": "installation_fee", "amount": "50.00", "valid_from": "2026-01-01"},
                {"product": "visit_fee", "amount": "25.00", "valid_from": "2026-01-01"},
                {"product": "extra_device_fee", "amount": "5.00", "valid_from": "2026-01-01"},
            ],
        }
    )
