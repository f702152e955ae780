"""Citizens' own sessions and the proxy rights of relatives acting for a customer."""

from piccolo.columns import (
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from core.customers.tables import Customer


class CitizenSession(Table, tablename="citizen_session"):
    """A strongly identified person's session: no identity code, only whom it concerns.

    `customer` is the person's own customer record (None for a proxy who is not a customer),
    `person_key` a keyed hash of their identity code that finds their proxy rights, and
    `acting_for` the customer whose matters they handle now.
    """

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, null=True, index=True)
    person_key = Varchar(length=64, index=True)
    full_name = Varchar(length=200)
    acting_for = ForeignKey(Customer, on_delete=OnDelete.cascade, null=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz(index=True)


class ProxyRight(Table, tablename="proxy_right"):
    """A relative's right to handle a customer's matters, recorded by staff."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    proxy_key = Varchar(length=64, index=True)  # keyed hash of the proxy's identity code
    proxy_identity_code = Varchar(length=11, secret=True)
    proxy_name = Varchar(length=200)
    services = Text(default="")  # comma-separated service codes; "" = all
    valid_from = Date()
    valid_to = Date(null=True, default=None)
    basis = Varchar(length=20)  # guardianship | authorisation
    withdrawn_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    version = Integer(default=1)
