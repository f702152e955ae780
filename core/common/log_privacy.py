"""Defence in depth for logs: nothing shaped like a Finnish identity code, no booking-link
token and no query string reaches a log line, whatever a programmer passes to a logger.

`install()` (called where logging is configured: `valvomo serve`, the worker, the app) masks
every record at creation, tracebacks included, and strips the access log's request lines.
`IdentityCodeFilter` is the same masking for a handler configured elsewhere (JSON logs).
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

# ddmmyy, the century sign (+, -, A–F, U–Y), individual number and check character.
IDENTITY_CODE = re.compile(r"(?<![0-9A-Za-z])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?![0-9A-Za-z])")
MASK = "[identity code]"
# A path segment that is a secret: booking-management links, signed tokens.
TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_.~-]{24,}")


def mask(text: str) -> str:
    return IDENTITY_CODE.sub(MASK, text)


def safe_request_line(path: str) -> str:
    """The path without its query string and with long token segments replaced."""
    return TOKEN_SEGMENT.sub("[token]", path.split("?", 1)[0])


def _mask_record(record: logging.LogRecord) -> None:
    if record.name == "uvicorn.access":
        _strip_request_line(record)
    if isinstance(record.args, tuple):  # keep the arguments: formatters may unpack them
        record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
    message = record.getMessage()
    masked = mask(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask("".join(traceback.format_exception(*record.exc_info)).rstrip())
    elif record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)


class IdentityCodeFilter(logging.Filter):
    """Masks identity codes in the message and traceback of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def _strip_request_line(record: logging.LogRecord) -> None:
    """uvicorn's access log: args are (client, method, path, http version, status)."""
    args = record.args
    if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
        record.args = (*args[:2], safe_request_line(args[2]), *args[3:])


class AccessLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        _strip_request_line(record)
        return True


_installed = False


def install() -> None:
    """Mask every log record of this process from now on (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(masking_factory)
    logging.getLogger("uvicorn.access").addFilter(AccessLogFilter())
