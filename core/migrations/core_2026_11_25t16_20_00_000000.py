from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customer search by name and phone through a trigram index on both databases"

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_search_name_trgm"
    " ON customer USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_phone_digits_trgm"
    " ON customer USING gin (phone_digits gin_trgm_ops)",
]
# An external-content FTS5 table over the customer table with the trigram tokenizer, which
# answers LIKE '%abc%' from its index; triggers keep it in step with the customer table.
SQLITE = [
    "CREATE VIRTUAL TABLE customer_search USING fts5("
    "search_name, phone_digits, content='customer', content_rowid='id', tokenize='trigram')",
    "INSERT INTO customer_search(customer_search) VALUES ('rebuild')",
    "CREATE TRIGGER customer_search_insert AFTER INSERT ON customer BEGIN"
    " INSERT INTO customer_search(rowid, search_name, phone_digits)"
    " VALUES (new.id, new.search_name, new.phone_digits); END",
    "CREATE TRIGGER customer_search_delete AFTER DELETE ON customer BEGIN"
    " INSERT INTO customer_search(customer_search, rowid, search_name, phone_digits)"
    " VALUES ('delete', old.id, old.search_name, old.phone_digits); END",
    "CREATE TRIGGER customer_search_update AFTER UPDATE OF search_name, phone_digits"
    " ON customer BEGIN"
    " INSERT INTO customer_search(customer_search, rowid, search_name, phone_digits)"
    " VALUES ('delete', old.id, old.search_name, old.phone_digits);"
    " INSERT INTO customer_search(rowid, search_name, phone_digits)"
    " VALUES (new.id, new.search_name, new.phone_digits); END",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_search_index() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(create_search_index)
    return manager
