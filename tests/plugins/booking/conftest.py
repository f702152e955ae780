"""A second browser session for tests where two people act (e.g. a professional and admin)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar


@pytest.fixture
async def other_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as second:
        yield second
