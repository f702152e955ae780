from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T03:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customer search indexes written at once, so a search never reads a pending list"

# A GIN index with `fastupdate` (PostgreSQL's default) collects new rows in a pending list that
# every search reads through until (auto)vacuum merges it: after an import of a register the
# trigram searches took 30-50 ms instead of 1 ms. Customers are added rarely, so each insert now
# updates the index itself, and what is pending is merged now.
POSTGRES = [
    "ALTER INDEX customer_search_name_trgm SET (fastupdate = off)",
    "ALTER INDEX customer_phone_digits_trgm SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('customer_search_name_trgm'::regclass)",
    "SELECT gin_clean_pending_list('customer_phone_digits_trgm'::regclass)",
]
# FTS5 merges its segments as rows arrive; one optimize leaves the imported register in one.
SQLITE = ["INSERT INTO customer_search(customer_search) VALUES ('optimize')"]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def write_search_indexes_at_once() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(write_search_indexes_at_once)
    return manager
