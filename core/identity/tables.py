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
    totp_secret = Varchar(length=64, default="", secret=True)  # "" = no second factor


class StaffRole(Table, tablename="staff_role"):
    id = Serial(primary_key=True)
    code = Varchar(length=50, unique=True)
    name = Varchar(length=200)
    permissions = JSON(default=[])
    version = Integer(default=1)
    requires_second_factor = Boolean(default=False)  # set by an administrator on the role page


class UserRole(Table, tablename="user_role"):
    id = Serial(primary_key=True)
    user = ForeignKey(StaffUser, on_delete=OnDelete.cascade, index=True)
    role = ForeignKey(StaffRole, on_delete=OnDelete.cascade, index=True)


class RecoveryCode(Table, tablename="recovery_code"):
    """A one-time code that stands in for the authenticator app (phone lost); only its SHA-256
    is kept, and `used_at` is set by the sign-in that spends it."""

    id = Serial(primary_key=True)
    user = ForeignKey(StaffUser, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, unique=True)
    used_at = Timestamptz(null=True, default=None)


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
    checked = Boolean(default=True)  # False while the password check is still running


class StaffIdentity(Table, tablename="staff_identity"):
    """A staff user's account at an OpenID Connect provider: `provider:subject` → user."""

    id = Serial(primary_key=True)
    key = Varchar(length=300, unique=True, index=True)
    user = ForeignKey(StaffUser, on_delete=OnDelete.cascade, index=True)
    linked_at = Timestamptz()
