"""Billing periods and the frozen lines of closed periods."""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from core.identity.tables import StaffUser


class BillingPeriodRecord(Table, tablename="billing_period"):
    """A month that has been closed (or is being closed). Months without a row are open."""

    id = Serial(primary_key=True)
    year = Integer()
    month = Integer()
    status = Varchar(length=10, default="open", index=True)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    closed_by_name = Varchar(length=200, default="")
    version = Integer(default=1)


class BilledLine(Table, tablename="billed_line"):
    """A line frozen into a closed period's snapshot; corrections name the month they correct."""

    id = Serial(primary_key=True)
    period = ForeignKey(BillingPeriodRecord, on_delete=OnDelete.cascade, index=True)
    customer_id = Integer(index=True)
    service = Varchar(length=80)
    product = Varchar(length=120)
    description = Varchar(length=300, default="")
    quantity = Numeric(digits=(14, 3))
    unit_price = Numeric(digits=(14, 4))
    amount = Numeric(digits=(14, 2))
    detail = Text(default="")
    is_correction = Boolean(default=False)
    corrects_year = Integer(null=True, default=None)
    corrects_month = Integer(null=True, default=None)
