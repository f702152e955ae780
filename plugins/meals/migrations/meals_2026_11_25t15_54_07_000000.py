import json
from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-25T15:54:07:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "a user is bound to a kitchen once; an existing meal coordinator role gets the inbox and "
    "the customer page (tasks.work, customers.view), as a new one is created with them"
)
COORDINATOR_NEEDS = ("customers.view", "tasks.work")
UPDATE_POSTGRES = "UPDATE staff_role SET permissions = CAST({} AS json) WHERE id = {}"
UPDATE_SQLITE = "UPDATE staff_role SET permissions = {} WHERE id = {}"


async def grant_coordinator(engine: Any) -> None:
    """Add what the meal coordinator's work needs to an existing role (a no-op on new ones)."""
    rows = await engine.run_querystring(
        QueryString("SELECT id, permissions FROM staff_role WHERE code = {}", "meal_coordinator")
    )
    for row in rows or []:
        held = row["permissions"]
        held = json.loads(held) if isinstance(held, str) else list(held or [])
        granted = sorted({*held, *COORDINATOR_NEEDS})
        if granted == sorted(held):
            continue
        update = UPDATE_POSTGRES if engine.engine_type == "postgres" else UPDATE_SQLITE
        await engine.run_querystring(QueryString(update, json.dumps(granted), row["id"]))


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    async def bind_once_and_grant() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl(
            'CREATE UNIQUE INDEX meals_kitchen_user_once ON meals_kitchen_user ("user", kitchen)'
        )
        await grant_coordinator(engine)

    manager.add_raw(bind_once_and_grant)
    return manager
