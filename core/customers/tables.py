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


class ContactPerson(Table, tablename="contact_person"):
    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    relationship = Varchar(length=100, default="")
    phone = Varchar(length=20, default="")
    email = Varchar(length=254, default="")
    notes = Text(default="")
    version = Integer(default=1)
