"""What the operations checks read: the workers' heartbeats and the nightly jobs' last runs."""

from piccolo.columns import Date, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class WorkerHeartbeat(Table, tablename="operations_worker_heartbeat"):
    """One row per worker process; `seen_at` is refreshed while it runs (readiness reads it)."""

    id = Serial(primary_key=True)
    worker_id = Varchar(length=100, unique=True)
    host = Varchar(length=200, default="")
    pid = Integer(default=0)
    seen_at = Timestamptz(index=True)


class NightlyRun(Table, tablename="operations_nightly_run"):
    """The day a nightly job last ran; a worker claims the day by moving it forward."""

    id = Serial(primary_key=True)
    job = Varchar(length=60, unique=True)
    ran_on = Date()
    finished_at = Timestamptz(null=True, default=None)
