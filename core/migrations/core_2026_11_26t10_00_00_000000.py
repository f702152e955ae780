from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL: customer names in code-point order, and a trigram index of later words"

# A search by name reads the names whose last name starts with the fragment as a range of
# the first index, in order, and stops at the page's last row (core.customers.services).
# Code-point order (the C collation) makes "starts with" a range whatever the database's own
# collation, and is the order SQLite's own index of the names has. The second finds a word
# after the first ("% aino%") without the whole name's trigrams, which also hold every last
# name "Aino…" to check and throw away.
POSTGRES = [
    'CREATE INDEX IF NOT EXISTS customer_search_name_c ON customer ((search_name COLLATE "C"), id)',
    "CREATE INDEX IF NOT EXISTS customer_search_later_words_trgm ON customer"
    " USING gin ((regexp_replace(search_name, '^[^ ]*', '')) gin_trgm_ops)"
    " WITH (fastupdate = off)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def name_order_index() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        if engine.engine_type != "sqlite":
            for statement in POSTGRES:
                await engine.run_ddl(statement)

    manager.add_raw(name_order_index)
    return manager
