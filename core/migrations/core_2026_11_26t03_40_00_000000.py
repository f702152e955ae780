from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "SQLite: customer names found by word prefix from an FTS5 word index"

# The trigram table answers LIKE '%abc%' only by reading every candidate's text back from the
# customer table (two statements per candidate): a surname shared by 900 of 30,000 customers
# took longer than scanning the table. Names are searched by word prefix, which a word index
# answers from the index alone ('"saari"*'). Hyphens stay inside words ("yli-koski"), as the
# search's own word rule has them; diacritics are kept (ä is not a). Phone numbers keep the
# trigram table, which finds digits anywhere in the number.
SQLITE = [
    "CREATE VIRTUAL TABLE customer_name_words USING fts5(search_name, content='customer',"
    " content_rowid='id', tokenize=\"unicode61 remove_diacritics 0 tokenchars '-'\","
    " prefix='2 3')",
    "INSERT INTO customer_name_words(customer_name_words) VALUES ('rebuild')",
    "CREATE TRIGGER customer_name_words_insert AFTER INSERT ON customer BEGIN"
    " INSERT INTO customer_name_words(rowid, search_name) VALUES (new.id, new.search_name); END",
    "CREATE TRIGGER customer_name_words_delete AFTER DELETE ON customer BEGIN"
    " INSERT INTO customer_name_words(customer_name_words, rowid, search_name)"
    " VALUES ('delete', old.id, old.search_name); END",
    "CREATE TRIGGER customer_name_words_update AFTER UPDATE OF search_name ON customer BEGIN"
    " INSERT INTO customer_name_words(customer_name_words, rowid, search_name)"
    " VALUES ('delete', old.id, old.search_name);"
    " INSERT INTO customer_name_words(rowid, search_name) VALUES (new.id, new.search_name); END",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def name_word_index() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        if engine.engine_type == "sqlite":
            for statement in SQLITE:
                await engine.run_ddl(statement)

    manager.add_raw(name_word_index)
    return manager
