"""The booking plugin's tables. Times of day are Helsinki wall-clock; moments are stored in UTC."""

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from valvomo.api import Customer, StaffUser


class ServiceUnit(Table, tablename="booking_unit"):
    """An office or team whose professionals take appointments, e.g. "Seinäjoki family advice"."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    municipality = Varchar(length=100, index=True)
    street_address = Varchar(length=200, default="")
    version = Integer(default=1)


class Professional(Table, tablename="booking_professional"):
    """A staff user who takes appointments in one service unit."""

    id = Serial(primary_key=True)
    user = ForeignKey(StaffUser, on_delete=OnDelete.cascade, unique=True, index=True)
    unit = ForeignKey(ServiceUnit, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200, default="")
    version = Integer(default=1)
    phone = Varchar(length=20, default="")  # mobile, for meeting messages without an e-mail


class AppointmentType(Table, tablename="booking_appointment_type"):
    """A kind of appointment, coded the same way across units (e.g. ADVICE15)."""

    id = Serial(primary_key=True)
    code = Varchar(length=30, unique=True)
    name = Varchar(length=200)
    duration_minutes = Integer(default=15)
    modes = JSON(default=["phone"])
    public = Boolean(default=True)
    preparation = Text(default="")
    bring_list = Text(default="")
    version = Integer(default=1)


class Opening(Table, tablename="booking_opening"):
    """Bookable time: weekly on `weekday` from `valid_from` to `valid_until`, or once `on_date`."""

    id = Serial(primary_key=True)
    professional = ForeignKey(Professional, on_delete=OnDelete.cascade, index=True)
    appointment_type = ForeignKey(AppointmentType, on_delete=OnDelete.cascade, index=True)
    weekday = Integer(null=True, default=None)
    on_date = Date(null=True, default=None)
    valid_from = Date()
    valid_until = Date(null=True, default=None)
    start_time = Time()
    end_time = Time()
    version = Integer(default=1)


class Closure(Table, tablename="booking_closure"):
    """Time a professional is away: no free times are offered inside it."""

    id = Serial(primary_key=True)
    professional = ForeignKey(Professional, on_delete=OnDelete.cascade, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    reason = Varchar(length=200, default="")
    version = Integer(default=1)


class BookingContact(Table, tablename="booking_contact"):
    """Who booked without logging in. Kept apart from the customer register until linked."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    phone = Varchar(length=20, default="")
    email = Varchar(length=254, default="")
    customer = ForeignKey(Customer, on_delete=OnDelete.set_null, null=True, index=True)
    created_at = Timestamptz()
    version = Integer(default=1)


class JointMeeting(Table, tablename="booking_meeting"):
    """A meeting of several professionals (and optionally a customer) at one common time.

    Each participating professional holds the time through their own `Booking` row.
    """

    id = Serial(primary_key=True)
    title = Varchar(length=200)
    organiser = ForeignKey(Professional, on_delete=OnDelete.restrict, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    status = Varchar(length=12, default="booked")
    created_at = Timestamptz()
    version = Integer(default=1)


class MeetingGuest(Table, tablename="booking_meeting_guest"):
    """Someone other than staff in a joint meeting: a relative, a foster parent, an interpreter.
    Told of the meeting, its move and its cancellation in their own channel."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(JointMeeting, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    relation = Varchar(length=100, default="")
    phone = Varchar(length=20, default="")
    email = Varchar(length=254, default="")
    channel = Varchar(length=5, default="sms")
    language = Varchar(length=2, default="fi")
    created_at = Timestamptz()


class Booking(Table, tablename="booking_booking"):
    """An appointment. `slot_key` is set while it holds its time: one active booking per slot."""

    id = Serial(primary_key=True)
    professional = ForeignKey(Professional, on_delete=OnDelete.restrict, index=True)
    appointment_type = ForeignKey(AppointmentType, on_delete=OnDelete.restrict)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    mode = Varchar(length=10)
    status = Varchar(length=12, default="booked", index=True)
    slot_key = Varchar(length=60, null=True, default=None, unique=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.set_null, null=True, index=True)
    contact = ForeignKey(BookingContact, on_delete=OnDelete.set_null, null=True, index=True)
    description = Text(default="")
    reminder_channel = Varchar(length=5, default="sms")
    extra_needs = JSON(default=[])
    interpreter_language = Varchar(length=50, default="")
    booked_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()
    version = Integer(default=1)
    language = Varchar(length=2, default="fi")
    cancelled_by = Varchar(length=10, default="")
    cancel_reason = Varchar(length=30, default="")
    cancelled_at = Timestamptz(null=True, default=None)
    meeting = ForeignKey(JointMeeting, on_delete=OnDelete.set_null, null=True, index=True)
    needs_answers = JSON(default=[])  # [{"question": …, "answer": …}] from a needs path


class BookingNote(Table, tablename="booking_note"):
    """What was discussed in an appointment; shown to staff with booking.notes."""

    id = Serial(primary_key=True)
    booking = ForeignKey(Booking, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    text = Text()
    created_at = Timestamptz()


class CalendarFeed(Table, tablename="booking_calendar_feed"):
    """A professional's private ICS subscription: only the SHA-256 of the URL's token is kept."""

    id = Serial(primary_key=True)
    professional = ForeignKey(Professional, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class BookingRight(Table, tablename="booking_right"):
    """A customer's single-use right to book a follow-up of a type within a time window."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    appointment_type = ForeignKey(AppointmentType, on_delete=OnDelete.cascade)
    professional = ForeignKey(Professional, on_delete=OnDelete.cascade)
    code_hash = Varchar(length=64, unique=True)
    valid_until = Date()
    used_at = Timestamptz(null=True, default=None)
    booking = ForeignKey(Booking, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()


class ClientPlanDuty(Table, tablename="booking_plan_duty"):
    """A customer's client plan a professional must update at least once a year."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, on_delete=OnDelete.cascade, index=True)
    professional = ForeignKey(Professional, on_delete=OnDelete.cascade, index=True)
    last_updated = Date()
    reminded_for = Date(null=True, default=None)
    version = Integer(default=1)


class NeedsPath(Table, tablename="booking_needs_path"):
    """A short question path ("kartoitin") leading a citizen to a type or a ready answer.

    `definition` is the region's TOML text (questions, options, answers in fi/sv/en)."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    definition = Text()
    active = Boolean(default=True)
    version = Integer(default=1)


class WaitlistEntry(Table, tablename="booking_waitlist"):
    """A citizen's request for a time of a type within a period, served first come first."""

    id = Serial(primary_key=True)
    appointment_type = ForeignKey(AppointmentType, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey(ServiceUnit, on_delete=OnDelete.cascade, null=True)
    mode = Varchar(length=10)
    first_day = Date()
    last_day = Date(index=True)
    contact = ForeignKey(BookingContact, on_delete=OnDelete.cascade)
    channel = Varchar(length=5, default="sms")
    language = Varchar(length=2, default="fi")
    description = Text(default="")
    status = Varchar(length=12, default="waiting", index=True)
    hold_booking = ForeignKey(Booking, on_delete=OnDelete.set_null, null=True)
    hold_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    version = Integer(default=1)
    declined_slots = JSON(default=[])  # slot keys the citizen declined: not offered again
    ended_at = Timestamptz(null=True, default=None)  # withdrawn by the citizen


class MeetingNotice(Table, tablename="booking_meeting_notice"):
    """A joint meeting's invitation, move or cancellation for a professional no message can
    reach (no e-mail, no mobile): shown on their dashboard and calendar until they mark it
    read. Written in their language when it is made, like a message would be."""

    id = Serial(primary_key=True)
    professional = ForeignKey(Professional, on_delete=OnDelete.cascade, index=True)
    meeting = ForeignKey(JointMeeting, on_delete=OnDelete.cascade)
    reference = Varchar(length=200, unique=True)
    subject = Varchar(length=300, default="")
    body = Text(default="")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


TABLES = (
    ServiceUnit,
    Professional,
    AppointmentType,
    Opening,
    Closure,
    BookingContact,
    JointMeeting,
    MeetingGuest,
    MeetingNotice,
    Booking,
    BookingNote,
    CalendarFeed,
    BookingRight,
    ClientPlanDuty,
    NeedsPath,
    WaitlistEntry,
)
