"""Meal service tables: kitchens, routes, services, effective-dated orders, exceptions, pauses.

Standing orders are effective-dated (`valid_from`/`valid_to`, inclusive; `valid_to` NULL means
open-ended): a change closes the old rows and adds new ones, so any past day can be rebuilt.
"""

from piccolo.columns import (
    Boolean,
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

from valvomo.api import Customer, StaffUser


class Kitchen(Table, tablename="meals_kitchen"):
    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)
    version = Integer(default=1)


class DeliveryRoute(Table, tablename="meals_route"):
    """A delivery route of one kitchen; its stops are the services ordered by `route_stop`."""

    id = Serial(primary_key=True)
    kitchen = ForeignKey(Kitchen, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    version = Integer(default=1)


class MealService(Table, tablename="meals_service"):
    """A customer's meal service: opening requested → active ⇄ paused → ending requested → ended."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=20, default="opening_requested", index=True)
    start_date = Date()
    end_date = Date(null=True, default=None)
    # the opening's diets, allergies and texture as one combination key (plugins.meals.diets)
    diet = Varchar(length=400, default="normal")
    requested_meals = Text(default="")
    kitchen = ForeignKey(Kitchen, on_delete=OnDelete.restrict, null=True, index=True)
    route = ForeignKey(DeliveryRoute, on_delete=OnDelete.restrict, null=True, index=True)
    route_stop = Integer(default=0)
    door_notes = Text(default="")
    ending_reason = Text(default="")
    ending_requested_on = Date(null=True, default=None)
    created_at = Timestamptz()
    version = Integer(default=1)


class MealRouteAssignment(Table, tablename="meals_route_assignment"):
    """History of a service's kitchen and route: which delivered it from `valid_from` to
    `valid_to` (inclusive, NULL = still). The service row holds the current one."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    kitchen = ForeignKey(Kitchen, on_delete=OnDelete.restrict, index=True)
    route = ForeignKey(DeliveryRoute, on_delete=OnDelete.restrict, index=True)
    valid_from = Date(index=True)
    valid_to = Date(null=True, default=None, index=True)


class MealOrderLine(Table, tablename="meals_order_line"):
    """Standing order: on `weekday` (0 = Monday) eat `quantity` of `product`, delivered on
    `delivery_weekday`, from `valid_from` to `valid_to` (inclusive, NULL = until changed)."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    weekday = Integer()
    product = Varchar(length=40)
    quantity = Integer()
    delivery_weekday = Integer()
    valid_from = Date(index=True)
    valid_to = Date(null=True, default=None, index=True)


class MealException(Table, tablename="meals_exception"):
    """One day differs from the standing order: `cancel`, `extra` meals or `replace` product."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    day = Date(index=True)
    kind = Varchar(length=10)
    product = Varchar(length=40, default="")
    quantity = Integer(default=0)
    note = Varchar(length=300, default="")
    version = Integer(default=1)
    reported_by = Varchar(length=20, default="")  # "" staff; "customer" or "proxy" online


class MealPause(Table, tablename="meals_pause"):
    """No meals from `start_date` to `end_date` (inclusive; NULL = until reactivated)."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    start_date = Date(index=True)
    end_date = Date(null=True, default=None)
    reason = Varchar(length=300)
    version = Integer(default=1)


class MealDay(Table, tablename="meals_day"):
    """A recorded service day, written from the service's plan by `plugins.meals.ledger`:
    `quantity` meals of `product` eaten on `day`, or (product "delivery") one delivery made on
    `day`. Billing aggregates these rows; `day_bit` (1 << day of month - 1) lets it sum a line's
    days of a month into one integer."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    day = Date()
    product = Varchar(length=40)
    quantity = Integer()
    day_bit = Integer()


class MealDayMonth(Table, tablename="meals_day_month"):
    """The plan version and holiday rule a service's recorded days of a month were written from;
    a service whose version has moved on is recorded again before the month is read."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    month = Date()
    plan_version = Integer()
    holiday_rule = Varchar(length=30)


class KitchenUser(Table, tablename="meals_kitchen_user"):
    """A staff user bound to a kitchen: a user without `meals.manage` sees only the lists and
    customers of the kitchens bound to them (row scope)."""

    id = Serial(primary_key=True)
    user = ForeignKey(StaffUser, on_delete=OnDelete.cascade, index=True)
    kitchen = ForeignKey(Kitchen, on_delete=OnDelete.cascade, index=True)


class MealDecision(Table, tablename="meals_decision"):
    """A formal decision to open or end a service: when, by whom, on what basis, from when;
    and how the customer was told (an SMS in the outbox, or a printed letter)."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10)
    decided_on = Date()
    decision_maker = Varchar(length=200)
    basis = Text()
    effective_date = Date()
    notice_channel = Varchar(length=10, default="letter")
    notice_language = Varchar(length=2, default="fi")
    created_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()


class MealChangeReport(Table, tablename="meals_change_report"):
    """A change reported by home care, client guidance or other staff (hospital stay, new
    address, death, wish to end …); the coordinator turns it into an action."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)
    start_date = Date(null=True, default=None)
    end_date = Date(null=True, default=None)
    details = Text(default="")
    channel = Varchar(length=20)
    reported_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    reported_at = Timestamptz(index=True)
    status = Varchar(length=10, default="open")
    handled_action = Varchar(length=20, default="")
    handled_at = Timestamptz(null=True, default=None)
    outcome = Text(default="")
    version = Integer(default=1)


class MealDietPeriod(Table, tablename="meals_diet_period"):
    """A service's special diets, allergies and meal texture from `valid_from` on, until the
    next row of the same service: the kitchens' lists of a day use the row valid that day.
    Codes are the region's (`[plugins.meals]` diets, allergies, textures), comma-separated;
    rows are kept as the change history. Without any row the service's own `diet` holds."""

    id = Serial(primary_key=True)
    service = ForeignKey(MealService, on_delete=OnDelete.cascade, index=True)
    valid_from = Date()
    diets = Varchar(length=400, default="")
    allergies = Varchar(length=400, default="")
    texture = Varchar(length=40, default="normal")
    created_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()


class MealCode(Table, tablename="meals_code"):
    """An entry of the region's code lists (`kind` diets, allergies or textures) kept on the
    admin pages. A kind without rows uses `[plugins.meals]` of valvomo.toml; the first change to
    a kind stores those entries first, and from then on the rows are the whole list. A retired
    entry is no longer offered, but its label still names it in past lists and histories.
    `label` is the Finnish name; pages in Swedish (English) show `label_sv` (`label_en`) where
    it is given, else the Finnish one."""

    id = Serial(primary_key=True)
    kind = Varchar(length=20)
    code = Varchar(length=40)
    label = Varchar(length=100)
    label_sv = Varchar(length=100, default="")
    label_en = Varchar(length=100, default="")
    retired = Boolean(default=False)
    position = Integer(default=0)
    version = Integer(default=1)


class MealCodeVersion(Table, tablename="meals_code_version"):
    """The code lists' version: a new random token in the transaction of every change to
    `meals_code`, so each app process knows by one small read whether the lists it keeps in
    memory are current (no row: nothing changed since the table was made or emptied)."""

    id = Serial(primary_key=True)
    token = Varchar(length=32)


TABLES = (
    Kitchen,
    DeliveryRoute,
    MealService,
    MealRouteAssignment,
    MealOrderLine,
    MealException,
    MealPause,
    MealDay,
    MealDayMonth,
    KitchenUser,
    MealDecision,
    MealChangeReport,
    MealDietPeriod,
    MealCode,
    MealCodeVersion,
)
