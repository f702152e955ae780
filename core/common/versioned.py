"""Optimistic locking: every editable record has a `version` column checked on save."""

from __future__ import annotations

from typing import Any

from piccolo.table import Table

from core.common.errors import NotFound, VersionConflict


async def update_versioned(
    table: type[Table],
    record_id: int,
    expected_version: int,
    values: dict[Any, Any],
    submitted: dict[str, Any],
) -> dict[str, Any]:
    """Save `values` only if the stored version is still `expected_version`.

    Returns the saved row. Raises VersionConflict carrying the stored row and what the
    user submitted, so the conflict page can show both and nothing is lost.
    """
    version_column: Any = table._meta.get_column_by_name("version")
    pk = table._meta.primary_key
    rows = (
        await table.update({**values, version_column: version_column + 1})
        .where((pk == record_id) & (version_column == expected_version))
        .returning(*table._meta.columns)
    )
    if rows:
        return rows[0]
    current = await table.select().where(pk == record_id).first().output(load_json=True)
    if current is None:
        raise NotFound(f"{table._meta.tablename} {record_id}")
    raise VersionConflict(table._meta.tablename, current, submitted)
