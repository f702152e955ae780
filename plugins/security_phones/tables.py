"""Security phone tables: devices and their history, services, calling order, keys, alarms."""

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

from valvomo.api import ContactPerson, Customer, StaffUser


class AlarmCentre(Table, tablename="sp_alarm_centre"):
    """An alarm centre sending alarms; only the SHA-256 hash of its API token is stored."""

    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz()
    version = Integer(default=1)


class Device(Table, tablename="sp_device"):
    id = Serial(primary_key=True)
    serial_number = Varchar(length=50, unique=True, index=True)
    model = Varchar(length=100, index=True)
    kind = Varchar(length=20, index=True)
    status = Varchar(length=20, default="in_stock", index=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.set_null, null=True, index=True)
    version = Integer(default=1)


class DeviceEvent(Table, tablename="sp_device_event"):
    """One step in a device's life: its status from `at` on, and the customer who had it."""

    id = Serial(primary_key=True)
    device = ForeignKey(Device, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=20)
    customer = ForeignKey(Customer, on_delete=OnDelete.set_null, null=True, index=True)
    at = Timestamptz()
    by_name = Varchar(length=200, default="")
    note = Varchar(length=500, default="")


class PhoneService(Table, tablename="sp_service"):
    """A customer's security phone service from the decision to the end."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    decision_date = Date()
    start_date = Date(index=True)
    end_date = Date(null=True, default=None, index=True)
    installation_date = Date(null=True, default=None, index=True)
    installer = Varchar(length=200, default="")
    centre = ForeignKey(AlarmCentre, on_delete=OnDelete.set_null, null=True, index=True)
    centre_customer_id = Varchar(length=50, default="", index=True)
    version = Integer(default=1)


class PhoneDecision(Table, tablename="sp_decision"):
    """A formal decision on a service: to grant it ("opening", effective from the start date)
    or to end it ("ending", effective on the last day); when, by whom and on what basis, and
    how the customer was told (an SMS in the outbox, or a printed letter). The citizen reads
    them on /oma/decisions (`core.decisions`)."""

    id = Serial(primary_key=True)
    service = ForeignKey(PhoneService, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10)
    decided_on = Date()
    decision_maker = Varchar(length=200, default="")
    basis = Text(default="")
    effective_date = Date()
    notice_channel = Varchar(length=10, default="letter")
    notice_language = Varchar(length=2, default="fi")
    created_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()


class ServiceCentreChange(Table, tablename="sp_service_centre_change"):
    """A service's alarm centre changed: `previous_centre` served it until `changed_on` (the day
    the change was recorded). The situational picture files a month's figures under the centre
    valid at its end (`plugins.security_phones.metrics`); the service row holds the current one."""

    id = Serial(primary_key=True)
    service = ForeignKey(PhoneService, on_delete=OnDelete.cascade, index=True)
    previous_centre = ForeignKey(AlarmCentre, on_delete=OnDelete.set_null, null=True)
    changed_on = Date(index=True)


class Installation(Table, tablename="sp_installation"):
    """A device at a customer from one date to another: the basis of extra-device fees."""

    id = Serial(primary_key=True)
    device = ForeignKey(Device, on_delete=OnDelete.cascade, index=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    installed_on = Date(index=True)
    removed_on = Date(null=True, default=None, index=True)


class CallingContact(Table, tablename="sp_calling_contact"):
    """A core contact person's place in the order the alarm centre calls them."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    contact = ForeignKey(ContactPerson, on_delete=OnDelete.cascade, unique=True)
    position = Integer()


class HomeKey(Table, tablename="sp_key"):
    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    label = Varchar(length=100)
    holder = Varchar(length=200)
    returned = Boolean(default=False)
    version = Integer(default=1)


class KeyHandover(Table, tablename="sp_key_handover"):
    id = Serial(primary_key=True)
    key = ForeignKey(HomeKey, on_delete=OnDelete.cascade, index=True)
    from_holder = Varchar(length=200, default="")
    to_holder = Varchar(length=200)
    at = Timestamptz()
    by_name = Varchar(length=200, default="")


class Alarm(Table, tablename="sp_alarm"):
    """An alarm from a centre; (centre, centre_alarm_id) is unique (second migration)."""

    id = Serial(primary_key=True)
    centre = ForeignKey(AlarmCentre, on_delete=OnDelete.restrict)
    centre_alarm_id = Varchar(length=64)
    occurred_at = Timestamptz(index=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, null=True, index=True)
    device = ForeignKey(Device, on_delete=OnDelete.set_null, null=True, index=True)
    kind = Varchar(length=20, index=True)
    detail = Varchar(length=100, default="")
    outcome = Varchar(length=500, default="")
    visit_needed = Boolean(default=False, index=True)


class AlarmVisit(Table, tablename="sp_visit"):
    id = Serial(primary_key=True)
    alarm = ForeignKey(Alarm, on_delete=OnDelete.cascade, unique=True, index=True)
    visitor = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    dispatched_at = Timestamptz()
    arrived_at = Timestamptz(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
    notes = Text(default="")
    version = Integer(default=1)


TABLES = [
    AlarmCentre,
    Device,
    DeviceEvent,
    PhoneService,
    PhoneDecision,
    ServiceCentreChange,
    Installation,
    CallingContact,
    HomeKey,
    KeyHandover,
    Alarm,
    AlarmVisit,
]
