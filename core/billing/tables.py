"""Billing periods and the frozen lines of closed periods."""

from piccolo.columns import (
    Boolean,
    Date,
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

from core.customers.tables import Customer
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
    days = Text(default="")  # the quantity per day of the month, see BillingLine.days
    # The days a line priced for a span of the month covers (BillingLine.period_days); on a
    # correction, the days it added and removed ("10,11:-1"), as `days` does.
    period_days = Text(default="")


class Price(Table, tablename="billing_price"):
    """A product's unit price from `valid_from` to `valid_to` (open-ended when null).

    Products are the plugins' (`valvomo_billing_products`); a product without rows here is
    priced by the seed values of the region's valvomo.toml until a biller saves a price."""

    id = Serial(primary_key=True)
    product = Varchar(length=120, index=True)
    valid_from = Date()
    valid_to = Date(null=True, default=None)
    amount = Numeric(digits=(14, 4))
    created_at = Timestamptz()
    created_by_name = Varchar(length=200, default="")
    version = Integer(default=1)


class ProductAccounts(Table, tablename="billing_product_accounts"):
    """Where the region books a product: its cost centre and account in the invoicing system."""

    id = Serial(primary_key=True)
    product = Varchar(length=120, unique=True)
    cost_centre = Varchar(length=40, default="")
    account = Varchar(length=40, default="")
    version = Integer(default=1)


class FeeDecision(Table, tablename="billing_fee_decision"):
    """A client-fee decision for one customer: a reduction in per cent, a fixed lower unit
    price, or a waiver, for one product (or every product when `product` is empty)."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    product = Varchar(length=120, default="")
    kind = Varchar(length=20)  # "reduction", "fixed_price" or "waiver"
    percent = Numeric(digits=(5, 2), null=True, default=None)
    price = Numeric(digits=(14, 4), null=True, default=None)
    valid_from = Date()
    valid_to = Date(null=True, default=None)
    basis = Varchar(length=300, default="")
    decided_by = Varchar(length=200, default="")
    created_at = Timestamptz()
    version = Integer(default=1)
