"""The customer register."""

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


class Customer(Table, tablename="customer"):
    id = Serial(primary_key=True)
    identity_code = Varchar(length=11, unique=True, index=True)
    first_name = Varchar(length=100)
    last_name = Varchar(length=100)
    search_name = Varchar(length=210, index=True)
    street_address = Varchar(length=200, default="")
    postal_code = Varchar(length=5, default="")
    municipality = Varchar(length=100, index=True)
    phone = Varchar(length=20, default="")
    phone_digits = Varchar(length=20, default="", index=True)
    language = Varchar(length=2, default="fi")
    status = Varchar(length=10, default="active", index=True)
    status_date = Date(null=True, default=None)
    notes = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    version = Integer(default=1)
    # The region's own customer number in its invoicing system (imported), or "".
    external_number = Varchar(length=40, default="", index=True)


class CustomerPayer(Table, tablename="customer_payer"):
    """Who pays the customer's bills from `valid_from` to `valid_to` (inclusive, NULL = until
    further notice): a named payer (a guardian, "edunvalvoja", a relative) with an address, or
    the customer (`name` ""). Without a period in force the customer pays."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    valid_from = Date(index=True)
    valid_to = Date(null=True, default=None, index=True)
    name = Varchar(length=200, default="")
    relationship = Varchar(length=100, default="")
    street_address = Varchar(length=200, default="")
    postal_code = Varchar(length=5, default="")
    post_office = Varchar(length=100, default="")
    created_at = Timestamptz()
    version = Integer(default=1)


class ContactPerson(Table, tablename="contact_person"):
    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    relationship = Varchar(length=100, default="")
    phone = Varchar(length=20, default="")
    email = Varchar(length=254, default="")
    notes = Text(default="")
    version = Integer(default=1)


class CustomerMove(Table, tablename="customer_move"):
    """A move to another municipality: the customer lived in `previous_municipality` until
    `moved_on` (the day the move was recorded). Months are filed under the municipality valid at
    their end (`core.customers.moves`)."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    previous_municipality = Varchar(length=100)
    moved_on = Date()
