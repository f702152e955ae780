"""Twenty colleagues save the same customer at once: one wins, nineteen see a conflict."""

from __future__ import annotations

import asyncio

import httpx

from core.audit.tables import AuditEntry
from core.customers.tables import Customer
from tests.core.test_customers import create, form
from tests.helpers import api_headers


async def test_twenty_simultaneous_saves(admin: httpx.AsyncClient) -> None:
    customer_id = await create(admin)
    headers = api_headers(admin)

    async def save(n: int) -> int:
        body = {**form(phone=f"040 555 {n:04d}"), "version": 1}
        response = await admin.put(f"/api/customers/{customer_id}", json=body, headers=headers)
        return response.status_code

    statuses = await asyncio.gather(*(save(n) for n in range(20)))
    assert sorted(statuses) == [200] + [409] * 19
    row = (
        await Customer.select(Customer.version, Customer.phone)
        .where(Customer.id == customer_id)
        .first()
    )
    assert row["version"] == 2
    updates = (
        await AuditEntry.select()
        .where((AuditEntry.customer_id == customer_id) & (AuditEntry.action == "update"))
        .output(load_json=True)
    )
    assert len(updates) == 1  # exactly one attempt wrote, and it is in the log
    assert updates[0]["after"]["phone"] == row["phone"]
