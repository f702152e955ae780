"""The inbox: tasks handed from one role to another."""

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from core.customers.tables import Customer
from core.identity.tables import StaffUser


class Task(Table, tablename="task"):
    id = Serial(primary_key=True)
    kind = Varchar(length=80, index=True)
    role = Varchar(length=50, index=True)
    status = Varchar(length=10, default="open", index=True)
    summary = Varchar(length=300, default="")
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, null=True, index=True)
    payload = JSON(default={})
    created_at = Timestamptz()
    created_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    completed_at = Timestamptz(null=True, default=None)
    completed_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    outcome = Text(default="")
    version = Integer(default=1)
