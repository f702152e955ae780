"""Plugin panels of the customer page and the dashboard, collected concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from litestar import Request

from core.plugins.types import Panel
from core.web.runtime import runtime_of


async def collect_panels(
    request: Request[Any, Any, Any], hook_name: str, **kwargs: Any
) -> list[Panel]:
    """Every enabled plugin's panels for `hook_name`, sorted by their order.

    Panels read only their own plugin's tables, so they are independent: on PostgreSQL they
    run at the same time, the first on the request's connection (idle meanwhile: taking a
    pool connection and giving it back costs CPU) and each other one on a connection of its
    own. When no connection is free at once (and always on SQLite) a panel runs on the
    request's connection, one such panel at a time.
    """
    database = runtime_of(request).database
    on_request_connection = asyncio.Lock()

    async def run(panel: Awaitable[Any]) -> Any:
        if not on_request_connection.locked():  # taking a free lock does not suspend
            async with on_request_connection:
                return await panel
        async with database.separate_connection() as separate:
            if separate:
                return await panel
        async with on_request_connection:
            return await panel

    panels: list[Panel] = await runtime_of(request).host.acollect_concurrently(
        hook_name, run, **kwargs
    )
    return sorted(panels, key=lambda p: p.order)
