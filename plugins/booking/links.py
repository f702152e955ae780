"""Signed, expiring links that let a customer cancel or move a booking without logging in.

The token is `<booking id>-<expiry as Unix time>-<HMAC-SHA256>`; the HMAC uses the region's
secret, so a token cannot be guessed or altered. It expires when the appointment starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

TOKEN_PATTERN = re.compile(r"(\d{1,12})-(\d{1,12})-([0-9a-f]{64})")


class BadLink(Exception):
    """The link was altered, belongs to no booking or has expired."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


MANAGE = "booking-link"
HOLD = "waitlist-hold"  # a hold link cannot be used as a manage link, nor the other way
REQUEST = "waitlist-request"  # a citizen's own waiting-list request (withdraw it)


def _signature(secret: str, booking_id: int, expires: int, purpose: str = MANAGE) -> str:
    message = f"{purpose}:{booking_id}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, booking_id: int, expires_at: dt.datetime, purpose: str = MANAGE) -> str:
    if not secret:
        raise RuntimeError("Signed booking links need [web] secret or VALVOMO_SECRET")
    expires = int(expires_at.timestamp())
    return f"{booking_id}-{expires}-{_signature(secret, booking_id, expires, purpose)}"


def verify(secret: str, token: str, moment: dt.datetime, purpose: str = MANAGE) -> int:
    """The booking id of a valid token; raises BadLink if it is altered or expired."""
    match = TOKEN_PATTERN.fullmatch(token)
    if not match or not secret:
        raise BadLink(expired=False)
    booking_id, expires, signature = int(match[1]), int(match[2]), match[3]
    if not hmac.compare_digest(signature, _signature(secret, booking_id, expires, purpose)):
        raise BadLink(expired=False)
    if moment.timestamp() >= expires:
        raise BadLink(expired=True)
    return booking_id


def offer_token(secret: str, booking_id: int, moment: dt.datetime, days: int) -> str:
    """A signed link for choosing a new time, valid `days` from `moment` (not the old start)."""
    return sign(secret, booking_id, moment + dt.timedelta(days=days))
