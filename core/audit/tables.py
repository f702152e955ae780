"""The append-only audit and access log, and the seals that chain its entries.

Both tables are insert-only for the application's database role (docs/security.md). An entry
carries a keyed MAC of its content; a seal row puts one entry into the hash chain, written in
batches by `core.audit.sealing` so that no request waits on a shared row.
"""

from piccolo.columns import JSON, BigInt, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_log"):
    id = Serial(primary_key=True)
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
    key_id = Varchar(length=40, default="")  # "" for entries written before keyed MACs
    mac = Varchar(length=64, default="")


class AuditSeal(Table, tablename="audit_seal"):
    """Entry `entry` is number `seq` of the chain; `chain_hash` = MAC(seq, entry, mac, prev)."""

    id = Serial(primary_key=True)
    seq = BigInt(unique=True, index=True)
    entry = BigInt(unique=True, index=True)
    key_id = Varchar(length=40)
    prev_hash = Varchar(length=64)
    chain_hash = Varchar(length=64)
    sealed_at = Timestamptz()
