"""The test databases now ship with Valvomo (`valvomo.testing.database`); kept for imports."""

from valvomo.testing.database import (
    BACKEND_VARIABLE,
    backend,
    create_database,
    drop_database,
    empty_all_tables,
)

__all__ = ["BACKEND_VARIABLE", "backend", "create_database", "drop_database", "empty_all_tables"]
