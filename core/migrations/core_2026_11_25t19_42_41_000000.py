from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T19:42:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "payers become dated periods: copied to customer_payer, the customer's columns go"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def copy_payers() -> None:
        """Each customer's payer so far becomes a period valid from the start (raw
        statements run before the column drops)."""
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "INSERT INTO customer_payer (customer, valid_from, valid_to, name, relationship,"
            " street_address, postal_code, post_office, created_at, version)"
            " SELECT id, '2000-01-01', NULL, payer_name, payer_relationship,"
            " payer_street_address, payer_postal_code, payer_post_office, updated_at, 1"
            " FROM customer WHERE payer_name <> ''"
        )

    manager.add_raw(copy_payers)

    manager.drop_column(
        table_class_name="Customer",
        tablename="customer",
        column_name="payer_name",
        db_column_name="payer_name",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Customer",
        tablename="customer",
        column_name="payer_relationship",
        db_column_name="payer_relationship",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Customer",
        tablename="customer",
        column_name="payer_street_address",
        db_column_name="payer_street_address",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Customer",
        tablename="customer",
        column_name="payer_postal_code",
        db_column_name="payer_postal_code",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Customer",
        tablename="customer",
        column_name="payer_post_office",
        db_column_name="payer_post_office",
        schema=None,
    )

    return manager
