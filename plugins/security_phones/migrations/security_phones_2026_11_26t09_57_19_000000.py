"""Each existing security phone service's decision to grant it, in the new sp_decision table
(a separate step: Piccolo runs a migration's raw steps before it creates its tables)."""

import datetime as dt

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T09:57:19:000000"
VERSION = "1.38.0"
DESCRIPTION = "the opening decision of every existing security phone service"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="security_phones", description=DESCRIPTION)

    async def opening_decisions() -> None:
        """From each service's decision and start dates; who decided and on what basis were not
        kept before, so they stay empty (the pages leave them out), and no notice was written
        (notice_channel "none": no letter is offered)."""
        engine = engine_finder()
        assert engine is not None
        at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")
        columns = (
            "service, kind, decided_on, decision_maker, basis, effective_date, notice_channel, "
            "created_at"
        )
        values = f"id, 'opening', decision_date, '', '', start_date, 'none', '{at}'"  # our time
        await engine.run_ddl(f"INSERT INTO sp_decision ({columns}) SELECT {values} FROM sp_service")  # noqa: S608

    manager.add_raw(opening_decisions)
    return manager
