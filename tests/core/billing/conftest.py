"""Fixtures for billing: the fake service plugin registered into the real plugin host."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from core.common.clock import now
from core.customers.tables import Customer
from core.web.runtime import Runtime
from tests.core.billing.fake_service import FakeService
from tests.helpers import make_user, sign_in

_codes = itertools.count(1)


@pytest.fixture
def fake_service(runtime: Runtime) -> Iterator[FakeService]:
    service = FakeService()
    runtime.host.pm.register(service, name="fake_service")
    try:
        yield service
    finally:
        runtime.host.pm.unregister(name="fake_service")


async def add_customer(first_name: str, last_name: str) -> int:
    moment = now()
    rows = await Customer.insert(
        Customer(
            identity_code=f"TEST{next(_codes):07d}",
            first_name=first_name,
            last_name=last_name,
            search_name=f"{last_name} {first_name}".lower(),
            municipality="Seinäjoki",
            created_at=moment,
            updated_at=moment,
        )
    ).returning(Customer.id)
    return int(rows[0]["id"])


@pytest.fixture
async def biller(client: httpx.AsyncClient) -> httpx.AsyncClient:
    response = await sign_in(client, await make_user("biller"))
    assert response.status_code == 200
    return client


def column(name: str) -> int:
    """The index of an export column by its English header."""
    from core.billing.exports import COLUMNS

    return COLUMNS.index(name)


def line_rows(rows: list[list[str]] | list[tuple[object, ...]]) -> list[list[object]]:
    """The rows of an export that are billing lines (not totals), without the header."""
    product = column("Product")
    return [list(r) for r in rows[1:] if r[product]]
