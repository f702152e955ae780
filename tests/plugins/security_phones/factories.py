"""Rows the security phone tests build on: customers and alarm centres."""

from __future__ import annotations

import itertools

from core.common.clock import now
from core.customers.tables import Customer
from core.db import transaction
from plugins.security_phones import alarms
from tests.helpers import SYSTEM

_numbers = itertools.count(1)


async def new_customer(municipality: str = "Seinäjoki", last_name: str = "Virtanen") -> int:
    """A customer row straight in the table (the register's own rules are core's tests)."""
    moment = now()
    number = next(_numbers)
    rows = await Customer.insert(
        Customer(
            identity_code=f"{number:06d}A{number % 1000:03d}X",
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
