"""Serving with uvicorn: HTTP protocols that turn Nagle's algorithm off on every connection.

With `--workers` above one, uvicorn binds the listening socket itself with protocol number 0,
and asyncio only sets TCP_NODELAY on accepted sockets whose protocol is TCP, so every
keep-alive response waited about 40 ms for the client's delayed ACK (uvicorn issue 3149).
These protocols set TCP_NODELAY when a connection is made, whatever the worker count.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: Any) -> None:
        set_no_delay(transport)
        super().connection_made(transport)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: h11 serves
    HTTP_PROTOCOL: type[asyncio.Protocol] = NoDelayH11Protocol
else:

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:
            set_no_delay(transport)
            super().connection_made(transport)

    HTTP_PROTOCOL = NoDelayHttpToolsProtocol


# Seconds a worker may take to answer the supervisor's ping before it is killed and replaced.
# uvicorn's 5 s is shorter than a worker's start on a busy two-core machine (importing the app
# alone took 21 s there), which left every worker killed before it could serve.
WORKER_HEALTHCHECK_SECONDS = 60


def serve(app: str, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the ASGI application at import path `app` with TCP_NODELAY on every connection."""
    import uvicorn

    options.setdefault("timeout_worker_healthcheck", WORKER_HEALTHCHECK_SECONDS)
    uvicorn.run(app, host=host, port=port, workers=workers, http=HTTP_PROTOCOL, **options)
