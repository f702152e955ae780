"""The outbox: one row per message, from queued to sent, failed or cancelled."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from core.i18n import N_

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (QUEUED, SENDING, SENT, FAILED, CANCELLED)
STATUS_LABELS = {
    QUEUED: N_("Waiting"),
    SENDING: N_("Being sent"),
    SENT: N_("Sent"),
    FAILED: N_("Failed"),
    CANCELLED: N_("Cancelled"),
}
CHANNEL_LABELS = {"sms": N_("Text message"), "email": N_("E-mail")}


class OutboxMessage(Table, tablename="notification_outbox"):
    """A message to send. `idempotency_key` is fixed when queued and travels with every attempt,
    so the gateway (or the recipient's mail system) can drop a repeated delivery."""

    id = Serial(primary_key=True)
    channel = Varchar(length=20)
    recipient = Varchar(length=320)
    subject = Varchar(length=300, default="")
    body = Text()
    customer_id = Integer(null=True, default=None, index=True)
    reference = Varchar(length=200, default="", index=True)
    status = Varchar(length=12, default=QUEUED)
    attempts = Integer(default=0)
    send_at = Timestamptz()
    next_attempt_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=100, default="")
    last_error = Text(default="")
    idempotency_key = Varchar(length=64, unique=True)
    provider_id = Varchar(length=200, default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    request_id = Varchar(length=64, default="")  # the request that queued it, for the logs
