"""Links in messages to customers, built from the request's base address: book again after a
staff cancellation, choose one of the offered new times, manage a booking."""

from __future__ import annotations

from typing import Any

from litestar import Request

from plugins.booking import links
from plugins.booking.absences import UrlFor
from plugins.booking.public import manage_url
from plugins.booking.settings import current as settings
from valvomo.api import now, runtime_of

Req = Request[Any, Any, Any]


def _base(request: Req) -> str:
    return str(request.base_url).rstrip("/")


def book_again_url(request: Req) -> UrlFor:
    """Where a customer whose appointment staff cancelled books a new one."""

    def url(booking: dict[str, Any]) -> str:
        return f"{_base(request)}/book/"

    return url


def offer_url(request: Req) -> UrlFor:
    """The signed page where the customer chooses one of the offered new times."""

    def url(booking: dict[str, Any]) -> str:
        secret = runtime_of(request).settings.secret
        token = links.offer_token(secret, booking["id"], now(), settings().offer_link_days)
        return f"{_base(request)}/book/offer/{token}"

    return url


def manage_url_for(request: Req) -> UrlFor:
    def url(booking: dict[str, Any]) -> str:
        return manage_url(request, booking)

    return url
