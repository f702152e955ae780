"""Structured JSON logs (structlog over the standard library) with a request id in each line.

Every `logging` call of Valvomo, its plugins, uvicorn and the libraries goes through one
handler that writes one JSON object per line to standard error: time, level, logger, event and
the request id bound for the request (or the outbox message the worker is sending). Query
strings and form bodies are never logged; the identity-code mask of core.common.log_privacy is
installed on the handler when that module is present.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping, MutableMapping
from typing import IO, Any

import structlog

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _drop_color_message(_: Any, __: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    event.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    return event


_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(log_format: str = "json", level: int = logging.INFO) -> None:
    """Route every standard-library logger through one JSON (or plain text) handler."""
    root = logging.getLogger()
    root.handlers = [log_handler(log_format, sys.stderr)]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # its lines carry query strings


def log_handler(log_format: str, stream: IO[str]) -> logging.Handler:
    """A handler writing one JSON object (or one readable line) per record to `stream`."""
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *_SHARED_PROCESSORS,
                structlog.stdlib.ExtraAdder(),
                _drop_color_message,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    for log_filter in privacy_filters():
        handler.addFilter(log_filter)
    return handler


def privacy_filters() -> list[logging.Filter]:
    """The identity-code mask of the security issue (core.common.log_privacy), when present.

    Hook point: that module is expected to define `logging.Filter` subclasses; each is
    installed on the log handler so no record leaves the process unmasked.
    """
    try:
        from core.common import log_privacy  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return []
    return [
        value()
        for value in vars(log_privacy).values()
        if isinstance(value, type)
        and issubclass(value, logging.Filter)
        and value is not logging.Filter
    ]


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The proxy's X-Request-ID when it looks like one, otherwise a new random id."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The request id bound to this task (a request, or a message the worker sends), or ""."""
    return str(structlog.contextvars.get_contextvars().get("request_id", ""))


@contextlib.contextmanager
def bound_request_id(request_id: str) -> Iterator[None]:
    with structlog.contextvars.bound_contextvars(request_id=request_id):
        yield
