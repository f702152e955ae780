"""Citizens' sign-in through the region's identification broker, and their sessions.

The identity code from the broker is used once, to find the customer (or the proxy rights of
a relative), and then forgotten: the session holds the customer's id and a keyed hash of the
code, never the code itself; neither does any URL or log line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any

from core.audit import services as audit
from core.citizen.tables import CitizenSession, ProxyRight
from core.common.clock import now, today
from core.config import IdentityProvider
from core.customers.tables import Customer
from core.customers.validation import identity_code_problem, normalise_identity_code
from core.db import run_raw
from core.identity.oidc import SignInRefused

CUSTOMER_ROLE = "customer"
PROXY_ROLE = "proxy"


@dataclass(frozen=True)
class Citizen:
    """The signed-in person and whose matters they handle now (an audit actor too)."""

    session_id: int
    full_name: str
    own_customer_id: int | None
    acting_for: int | None
    person_key: str
    acting_name: str = ""  # the name of the customer `acting_for`
    may_choose: bool = False  # holds a valid proxy right today: may handle others' matters

    @property
    def id(self) -> int | None:
        return None  # not a staff user

    @property
    def role_codes(self) -> tuple[str, ...]:
        return (CUSTOMER_ROLE,) if self.acting_for == self.own_customer_id else (PROXY_ROLE,)

    @property
    def is_proxy(self) -> bool:
        return self.acting_for is not None and self.acting_for != self.own_customer_id


def person_key(secret: str, identity_code: str) -> str:
    """A keyed hash of an identity code: finds a person's proxy rights without the code."""
    message = b"person:" + identity_code.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _identity_code(provider: IdentityProvider, claims: dict[str, Any]) -> str:
    code = normalise_identity_code(str(claims.get(provider.identity_code_claim) or ""))
    if not code:
        raise SignInRefused("identity_code_missing")
    if identity_code_problem(code):
        raise SignInRefused("identity_code_invalid")
    return code


def _display_name(claims: dict[str, Any]) -> str:
    name = claims.get("name") or " ".join(
        str(claims[k]) for k in ("given_name", "family_name") if claims.get(k)
    )
    return str(name or "").strip()[:200]


async def sign_in_citizen(provider: IdentityProvider, claims: dict[str, Any], secret: str) -> str:
    """Open a citizen session for a customer or a proxy with a valid right; the token.

    SignInRefused("not_a_customer", 403) for anyone else: nothing is written then.
    """
    code = _identity_code(provider, claims)
    key = person_key(secret, code)
    customer = (
        await Customer.select(Customer.id, Customer.first_name, Customer.last_name)
        .where((Customer.identity_code == code) & (Customer.status != "deceased"))
        .first()
    )
    own_id = int(customer["id"]) if customer else None
    if own_id is None and not await valid_rights_of(key):
        raise SignInRefused("not_a_customer", status=403)
    name = _display_name(claims)
    if not name and customer:
        name = f"{customer['first_name']} {customer['last_name']}"
    token = secrets.token_urlsafe(32)
    moment = now()
    rows = await CitizenSession.insert(
        CitizenSession(
            token_hash=_token_hash(token),
            customer=own_id,
            person_key=key,
            full_name=name,
            acting_for=own_id,
            created_at=moment,
            last_seen_at=moment,
        )
    ).returning(CitizenSession.id)
    citizen = Citizen(int(rows[0]["id"]), name, own_id, own_id, key)
    if own_id is not None:
        await audit.record(citizen, "login", "citizen_session", citizen.session_id,
                           customer_id=own_id)  # fmt: skip
    return token


# One statement per request in the common case: the session's idle clock starts again and
# the row comes back with the name of the customer acted for and whether the person holds a
# valid proxy right (the front page's link to handle someone else's matters).
TOUCH_SESSION = (
    "UPDATE citizen_session SET last_seen_at = {} WHERE token_hash = {} AND last_seen_at > {} "
    "RETURNING id, customer, acting_for, person_key, full_name, "
    "(SELECT c.first_name || ' ' || c.last_name FROM customer c"
    " WHERE c.id = citizen_session.acting_for) AS acting_name, "
    "EXISTS (SELECT 1 FROM proxy_right r WHERE r.proxy_key = citizen_session.person_key"
    " AND r.valid_from <= {} AND (r.valid_to IS NULL OR r.valid_to >= {})"
    " AND r.withdrawn_at IS NULL) AS may_choose"
)


async def citizen_for_session(token: str, idle_minutes: int) -> Citizen | None:
    """The person behind a citizen cookie, unless idle for longer than `idle_minutes`; the
    session's idle clock starts again. A proxy whose right ended is back on their own page."""
    moment, day = now(), today()
    rows = await run_raw(
        CitizenSession,
        TOUCH_SESSION,
        moment,
        _token_hash(token),
        moment - dt.timedelta(minutes=idle_minutes),
        day,
        day,
    )
    if not rows:
        return None
    row = rows[0]
    acting_for, acting_name = row["acting_for"], row["acting_name"] or ""
    if acting_for is not None and acting_for != row["customer"]:
        if not await has_valid_right(row["person_key"], acting_for):
            acting_for = row["customer"]
            await CitizenSession.update({CitizenSession.acting_for: acting_for}).where(
                CitizenSession.id == row["id"]
            )
            acting_name = await customer_name(acting_for) if acting_for is not None else ""
    return Citizen(row["id"], row["full_name"], row["customer"], acting_for, row["person_key"],
                   acting_name, bool(row["may_choose"]))  # fmt: skip


async def customer_name(customer_id: int) -> str:
    """The customer's first and last name, or ""."""
    found = (
        await Customer.select(Customer.first_name, Customer.last_name)
        .where(Customer.id == customer_id)
        .first()
    )
    return f"{found['first_name']} {found['last_name']}" if found else ""


async def choose(citizen: Citizen, customer_id: int) -> bool:
    """Act for `customer_id` (one's own record, or a customer one holds a valid right for);
    the choice is in that customer's access log as "by X for Y". False when not allowed."""
    own = customer_id == citizen.own_customer_id
    if not own and not await has_valid_right(citizen.person_key, customer_id):
        return False
    await CitizenSession.update({CitizenSession.acting_for: customer_id}).where(
        CitizenSession.id == citizen.session_id
    )
    actor = replace(citizen, acting_for=customer_id, acting_name=await customer_name(customer_id))
    await audit.record(actor, "login", "citizen_session", citizen.session_id,
                       customer_id=customer_id)  # fmt: skip
    return True


async def log_out(token: str) -> None:
    await CitizenSession.delete().where(CitizenSession.token_hash == _token_hash(token))


def _valid_on(day: dt.date) -> Any:
    return (
        (ProxyRight.valid_from <= day)
        & ((ProxyRight.valid_to.is_null()) | (ProxyRight.valid_to >= day))
        & ProxyRight.withdrawn_at.is_null()
    )


async def valid_rights_of(key: str) -> list[dict[str, Any]]:
    """The customers a person may act for today: right id, customer id and name."""
    return await (
        ProxyRight.select(
            ProxyRight.id,
            ProxyRight.customer,
            ProxyRight.customer.first_name,
            ProxyRight.customer.last_name,
            ProxyRight.services,
        )
        .where((ProxyRight.proxy_key == key) & _valid_on(today()))
        .order_by(ProxyRight.customer.last_name)
    )


async def may_use(citizen: Citizen, service: str) -> bool:
    """Whether the person may handle `service` (a plugin name) for the customer they act for:
    always for their own matters; for a proxy, when their right names it or names none."""
    if not citizen.is_proxy or citizen.acting_for is None:
        return citizen.acting_for is not None
    rows = await ProxyRight.select(ProxyRight.services).where(
        (ProxyRight.proxy_key == citizen.person_key)
        & (ProxyRight.customer == citizen.acting_for)
        & _valid_on(today())
    )
    return any(not r["services"] or service in r["services"].split(",") for r in rows)


async def has_valid_right(key: str, customer_id: int) -> bool:
    return await ProxyRight.exists().where(
        (ProxyRight.proxy_key == key) & (ProxyRight.customer == customer_id) & _valid_on(today())
    )
