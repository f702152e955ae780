"""Proxy rights: staff record who may handle a customer's matters online, and withdraw it.

The proxy's identity code is kept (to match their strong identification) but never shown:
pages show the name, the audit log a masked code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from core.audit import services as audit
from core.citizen.services import person_key
from core.citizen.tables import ProxyRight
from core.common.clock import now
from core.common.errors import NotFound, ValidationFailed
from core.common.versioned import update_versioned
from core.customers.forms import IDENTITY_CODE_FORMAT, identity_code
from core.customers.validation import mask_identity_code
from core.i18n import N_
from core.web.forms import After, DateField, Message, OneOf, Parse, parse_form

BASES = {
    "guardianship": N_("Guardian's appointment"),
    "authorisation": N_("Written authorisation"),
}


class ProxyRightForm(msgspec.Struct, kw_only=True):
    """A proxy right as it is changed: the person (identity code) stays."""

    proxy_name: Annotated[
        str,
        Meta(max_length=200),
        Message(N_("The text is too long."), missing=N_("Enter the proxy's name.")),
    ]
    valid_from: DateField
    valid_to: Annotated[
        DateField | None,
        After("valid_from", N_("The end date is before the start date."), or_same=True),
    ] = None
    basis: Annotated[str, OneOf(BASES), Message(N_("Choose the basis of the right."))]
    services: Annotated[list[str], Message(N_("Choose services from the list."))] = []


class NewProxyRightForm(ProxyRightForm, kw_only=True):
    """A new proxy right: who the proxy is, by their identity code."""

    proxy_identity_code: Annotated[str, Parse(identity_code), Message(missing=IDENTITY_CODE_FORMAT)]


def _values(data: Mapping[str, Any], services: list[str], with_code: bool = True) -> dict[str, Any]:
    form = parse_form(
        NewProxyRightForm if with_code else ProxyRightForm, data, choices={"services": services}
    )
    code = form.proxy_identity_code if isinstance(form, NewProxyRightForm) else ""
    return {"code": code, "name": form.proxy_name, "valid_from": form.valid_from,
            "valid_to": form.valid_to, "basis": form.basis,
            "services": ",".join(sorted(set(form.services)))}  # fmt: skip


async def add_right(
    actor: audit.Actor, customer_id: int, data: dict[str, Any], secret: str, services: list[str]
) -> int:
    values = _values(data, services)
    rows = await ProxyRight.insert(
        ProxyRight(
            customer=customer_id,
            proxy_key=person_key(secret, values["code"]),
            proxy_identity_code=values["code"],
            proxy_name=values["name"],
            services=values["services"],
            valid_from=values["valid_from"],
            valid_to=values["valid_to"],
            basis=values["basis"],
            created_at=now(),
        )
    ).returning(ProxyRight.id)
    shown = {k: v for k, v in values.items() if k != "code"}
    shown["identity_code"] = mask_identity_code(values["code"])
    await audit.record(actor, "create", "proxy_right", rows[0]["id"], customer_id=customer_id,
                       after=shown)  # fmt: skip
    return int(rows[0]["id"])


EDITABLE = ("proxy_name", "valid_from", "valid_to", "basis", "services")


async def get_right(customer_id: int, right_id: int) -> dict[str, Any]:
    """A right of this customer, without the proxy's identity code."""
    row = (
        await ProxyRight.select(ProxyRight.id, ProxyRight.version, ProxyRight.withdrawn_at,
                                *(ProxyRight._meta.get_column_by_name(n) for n in EDITABLE))
        .where((ProxyRight.id == right_id) & (ProxyRight.customer == customer_id))
        .first()
    )  # fmt: skip
    if row is None:
        raise NotFound(f"proxy right {right_id}")
    return row


async def update_right(
    actor: audit.Actor, customer_id: int, right_id: int, data: dict[str, Any], services: list[str]
) -> None:
    """Change who the proxy is called, for which services, from–to and on what basis; the
    person (identity code) stays: another person needs a right of their own. A shortened
    validity stops the proxy at their next request. VersionConflict if changed meanwhile."""
    before = await get_right(customer_id, right_id)
    if before["withdrawn_at"] is not None:
        raise ValidationFailed({"valid_to": N_("A withdrawn right cannot be changed.")})
    values = _values(data, services, with_code=False)
    changes = {"proxy_name": values["name"], "valid_from": values["valid_from"],
               "valid_to": values["valid_to"], "basis": values["basis"],
               "services": values["services"]}  # fmt: skip
    try:
        version = int(str(data.get("version", "")))
    except ValueError:
        version = 0
    await update_versioned(
        ProxyRight, right_id, version,
        {ProxyRight._meta.get_column_by_name(k): v for k, v in changes.items()}, data,
    )  # fmt: skip
    await audit.record(actor, "update", "proxy_right", right_id, customer_id=customer_id,
                       before={k: before[k] for k in EDITABLE}, after=changes)  # fmt: skip


async def withdraw_right(actor: audit.Actor, customer_id: int, right_id: int) -> None:
    """The right stops at once: the proxy's next request is no longer for this customer."""
    condition = (ProxyRight.id == right_id) & (ProxyRight.customer == customer_id)
    if not await ProxyRight.exists().where(condition & ProxyRight.withdrawn_at.is_null()):
        raise NotFound(f"proxy right {right_id}")
    await ProxyRight.update({ProxyRight.withdrawn_at: now()}).where(condition)
    await audit.record(actor, "update", "proxy_right", right_id, customer_id=customer_id,
                       after={"withdrawn": True})  # fmt: skip


async def rights_of_customer(customer_id: int) -> list[dict[str, Any]]:
    return await (
        ProxyRight.select(
            ProxyRight.id, ProxyRight.proxy_name, ProxyRight.services, ProxyRight.valid_from,
            ProxyRight.valid_to, ProxyRight.basis, ProxyRight.withdrawn_at,
        )
        .where(ProxyRight.customer == customer_id)
        .order_by(ProxyRight.valid_from, ascending=False)
    )  # fmt: skip
