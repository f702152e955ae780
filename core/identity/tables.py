"""Staff users, roles and their database-backed sessions."""

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class StaffUser(Table, tablename="staff_user"):
    id = Serial(primary_key=True)
    username = Varchar(length=150, unique=True, index=True)
    full_name = Varchar(length=200)
    email = Varchar(length=254, default="")
    password_hash = Varchar(length=255)
    is_active = Boolean(default=True)
    language = Varchar(length=2, default="fi")
    created_at = Timestamptz()
    version = Integer(default=1)


class StaffRole(Table, tablename="staff_role"):
    id = Serial(primary_key=True)
    code = Varchar(length=50, unique=True)
    name = Varchar(length=200)
    permissions = JSON(default=[])
    version = Integer(default=1)


class UserRole(Table, tablename="user_role"):
    id = Serial(primary_key=True)
    user = ForeignKey(StaffUser, on_delete=OnDelete.cascade, index=True)
    role = ForeignKey(StaffRole, on_delete=OnDelete.cascade, index=True)


class KnownPermission(Table, tablename="known_permission"):
    """Permissions already granted to their default roles, so a later revoke sticks."""

    id = Serial(primary_key=True)
    code = Varchar(length=100, unique=True)


class StaffSession(Table, tablename="staff_session"):
    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    user = ForeignKey(StaffUser, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    data = JSON(default={})


class LoginAttempt(Table, tablename="login_attempt"):
    id = Serial(primary_key=True)
    username = Varchar(length=150, index=True)
    address = Varchar(length=64, index=True)
    attempted_at = Timestamptz(index=True)
    succeeded = Boolean(default=False)
