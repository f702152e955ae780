"""Fixtures of the security phone tests: a signed-in coordinator and region prices."""

from __future__ import annotations

import httpx
import pytest

from plugins.security_phones import settings as phone_settings
from tests.helpers import make_user, sign_in


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
