"""The aggregates behind the situational picture, kept current by the worker."""

from piccolo.columns import Date, Float, Integer, Numeric, Serial, Timestamptz, Varchar
from piccolo.table import Table


class SituationFigure(Table, tablename="situation_figure"):
    """A metric's value for one month at one level: the region (area ""), a municipality or a
    unit (kitchen, service unit), optionally one split category. Written by the refresh only."""

    id = Serial(primary_key=True)
    metric = Varchar(length=80)
    month = Date()
    level = Varchar(length=12)
    area = Varchar(length=200, default="")
    split = Varchar(length=80, default="")
    value = Numeric(digits=(16, 3))
    weight = Integer(default=0)
    customers = Integer(default=0)


class SituationRefresh(Table, tablename="situation_refresh"):
    """A metric's figures of a month: when they were last known current (`refreshed_at`: computed,
    or found unchanged by their stamp), when last computed and how long that took, and the
    stamp of the data they were computed from (see `Metric.stamp`)."""

    id = Serial(primary_key=True)
    metric = Varchar(length=80)
    month = Date()
    refreshed_at = Timestamptz()
    seconds = Float(default=0.0)
    stamp = Varchar(length=64, default="")
    computed_at = Timestamptz(null=True, default=None)


class SituationShare(Table, tablename="situation_share"):
    """One customer's part of a metric's figure of a recent month (a `MetricCell` of a metric
    with `customer_stamps`): the figures are the sum of the shares, so a round recomputes only
    the customers whose data changed. Kept for the months the worker checks every round."""

    id = Serial(primary_key=True)
    metric = Varchar(length=80)
    month = Date()
    customer = Integer()
    municipality = Varchar(length=200, default="")
    unit = Varchar(length=200, default="")
    split = Varchar(length=80, default="")
    value = Numeric(digits=(16, 3))
    weight = Integer(default=0)
    customers = Integer(default=0)


class SituationCustomerStamp(Table, tablename="situation_customer_stamp"):
    """The stamp of one customer's data for a metric's month when its share was computed."""

    id = Serial(primary_key=True)
    metric = Varchar(length=80)
    month = Date()
    customer = Integer()
    stamp = Varchar(length=64, default="")
