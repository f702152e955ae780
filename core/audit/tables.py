"""The append-only, hash-chained audit and access log."""

from piccolo.columns import JSON, BigInt, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    id = Serial(primary_key=True)
    seq = BigInt(unique=True, index=True)
    at = Timestamptz()
    actor_id = Integer(null=True, default=None)
    actor_name = Varchar(length=200, default="")
    actor_roles = Varchar(length=300, default="")
    action = Varchar(length=30, index=True)
    entity = Varchar(length=60)
    entity_id = Varchar(length=60, default="")
    customer_id = Integer(null=True, default=None, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    prev_hash = Varchar(length=64)
    entry_hash = Varchar(length=64)


class AuditHead(Table, tablename="audit_head"):
    """One row: the newest sequence number and hash. Updating it serialises appends."""

    id = Serial(primary_key=True)
    seq = BigInt(default=0)
    last_hash = Varchar(length=64, default="")
