from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T10:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one billing period row per month; corrections found by the month they correct"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl(
            "CREATE UNIQUE INDEX billing_period_year_month ON billing_period (year, month)"
        )
        await engine.run_ddl(
            "CREATE INDEX billed_line_corrects ON billed_line (corrects_year, corrects_month)"
        )

    manager.add_raw(create_indexes)
    return manager
