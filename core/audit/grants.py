"""PostgreSQL privileges for the application's role: what it needs everywhere, but on the
audit tables only SELECT and INSERT, so that the app (or anyone holding its credentials) cannot
update, delete or truncate audit history. Migrations run as the database owner, not this role;
run the printed SQL as the owner too."""

from __future__ import annotations

import re

AUDIT_TABLES = ("audit_log", "audit_seal")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grants_sql(role: str, tablenames: list[str]) -> str:
    if not ROLE_NAME.match(role):
        raise ValueError("a role name is lowercase letters, digits and underscores")
    other = sorted(set(tablenames) - set(AUDIT_TABLES))
    audit = ", ".join(AUDIT_TABLES)
    return "\n".join(
        [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};",
            f"GRANT USAGE ON SCHEMA public TO {role};",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(other)} TO {role};",
            f"GRANT SELECT, INSERT ON {audit} TO {role};",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};",
        ]
    )
