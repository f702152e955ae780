"""Staff users, roles, permissions, login throttling and database-backed sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.audit import services as audit
from core.common.clock import now
from core.common.errors import NotFound, ValidationFailed
from core.common.versioned import update_versioned
from core.i18n import N_
from core.identity.passwords import hash_password, password_problem, verify_password
from core.identity.tables import (
    KnownPermission,
    LoginAttempt,
    StaffRole,
    StaffSession,
    StaffUser,
    UserRole,
)
from core.plugins.types import Permission, Role

THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]{2,150}$")
LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    full_name: str
    language: str
    role_codes: tuple[str, ...]
    permissions: frozenset[str] = field(default_factory=frozenset)
    session_id: int | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


# -- permissions and roles ---------------------------------------------------------------


async def sync_roles(roles: Iterable[Role], permissions: Iterable[Permission]) -> None:
    """Create missing roles and grant newly declared permissions to their default roles."""
    existing = {r["code"]: r for r in await StaffRole.select().output(load_json=True)}
    for role in roles:
        if role.code not in existing:
            granted = sorted(set(role.permissions))
            await StaffRole.insert(StaffRole(code=role.code, name=role.label, permissions=granted))
            existing[role.code] = {"code": role.code, "permissions": granted}
    known = {r["code"] for r in await KnownPermission.select(KnownPermission.code)}
    for permission in permissions:
        if permission.code in known:
            continue
        for role_code in permission.default_roles:
            if role_code in existing:
                granted = sorted({*existing[role_code]["permissions"], permission.code})
                existing[role_code]["permissions"] = granted
                await StaffRole.update({StaffRole.permissions: granted}).where(
                    StaffRole.code == role_code
                )
        await KnownPermission.insert(KnownPermission(code=permission.code))


async def list_roles() -> list[dict[str, Any]]:
    return await StaffRole.select().order_by(StaffRole.code).output(load_json=True)


async def update_role_permissions(
    actor: CurrentUser,
    role_id: int,
    version: int,
    permission_codes: Sequence[str],
    known_permissions: Iterable[str],
) -> dict[str, Any]:
    unknown = set(permission_codes) - set(known_permissions)
    if unknown:
        raise ValidationFailed({"permissions": N_("Choose permissions from the list.")})
    before = await StaffRole.select().where(StaffRole.id == role_id).first().output(load_json=True)
    if before is None:
        raise NotFound(f"role {role_id}")
    granted = sorted(set(permission_codes))
    saved = await update_versioned(
        StaffRole, role_id, version, {StaffRole.permissions: granted}, {"permissions": granted}
    )
    await audit.record(
        actor,
        "update",
        "staff_role",
        role_id,
        before={"permissions": before["permissions"]},
        after={"permissions": granted},
    )
    return saved


# -- users -------------------------------------------------------------------------------


def _validate_user(
    values: dict[str, Any], role_codes: Sequence[str], known_roles: set[str], password: str | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(values.get("username", "")):
        errors["username"] = N_("Use 2–150 lowercase letters, digits, dots, dashes or underscores.")
    if not values.get("full_name", "").strip():
        errors["full_name"] = N_("Enter the person's name.")
    if values.get("language") not in LANGUAGES:
        errors["language"] = N_("Choose Finnish, Swedish or English.")
    email = values.get("email", "")
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        errors["email"] = N_("Enter an e-mail address like name@example.fi.")
    if set(role_codes) - known_roles:
        errors["roles"] = N_("Choose roles from the list.")
    if password is not None and (problem := password_problem(password)):
        errors["password"] = problem
    return errors


async def create_user(
    actor: Any,
    *,
    username: str,
    full_name: str,
    password: str,
    role_codes: Sequence[str] = (),
    email: str = "",
    language: str = "fi",
) -> int:
    values: dict[str, Any] = {
        "username": username.strip().lower(),
        "full_name": full_name.strip(),
        "email": email.strip(),
        "language": language,
    }
    roles = {r["code"]: r["id"] for r in await StaffRole.select(StaffRole.id, StaffRole.code)}
    errors = _validate_user(values, role_codes, set(roles), password)
    if not errors and await StaffUser.exists().where(StaffUser.username == values["username"]):
        errors["username"] = N_("This username is already taken.")
    if errors:
        raise ValidationFailed(errors)
    rows = await StaffUser.insert(
        StaffUser(**values, password_hash=hash_password(password), created_at=now())
    ).returning(StaffUser.id)
    user_id = int(rows[0]["id"])
    await _set_roles(user_id, [roles[c] for c in role_codes])
    await audit.record(
        actor, "create", "staff_user", user_id, after={**values, "roles": list(role_codes)}
    )
    return user_id


async def update_user(
    actor: CurrentUser,
    user_id: int,
    version: int,
    *,
    full_name: str,
    email: str,
    language: str,
    is_active: bool,
    role_codes: Sequence[str],
    new_password: str = "",
) -> dict[str, Any]:
    before = await get_user(user_id)
    values = {
        "username": before["username"],
        "full_name": full_name.strip(),
        "email": email.strip(),
        "language": language,
    }
    roles = {r["code"]: r["id"] for r in await StaffRole.select(StaffRole.id, StaffRole.code)}
    errors = _validate_user(values, role_codes, set(roles), new_password or None)
    if user_id == actor.id and not is_active:
        errors["is_active"] = N_("You cannot disable your own account.")
    if errors:
        raise ValidationFailed(errors)
    columns: dict[Any, Any] = {
        StaffUser.full_name: values["full_name"],
        StaffUser.email: values["email"],
        StaffUser.language: language,
        StaffUser.is_active: is_active,
    }
    if new_password:
        columns[StaffUser.password_hash] = hash_password(new_password)
    submitted = {**values, "is_active": is_active, "roles": sorted(role_codes)}
    saved = await update_versioned(StaffUser, user_id, version, columns, submitted)
    await _set_roles(user_id, [roles[c] for c in role_codes])
    if not is_active:
        await StaffSession.delete().where(StaffSession.user == user_id)
    old = {k: before[k] for k in ("username", "full_name", "email", "language", "is_active")}
    old["roles"] = sorted(before["roles"])
    changed_before, changed_after = audit.changes(old, submitted)
    if new_password:
        changed_after["password"] = audit.REDACTED
    await audit.record(
        actor, "update", "staff_user", user_id, before=changed_before, after=changed_after
    )
    return saved


async def _set_roles(user_id: int, role_ids: list[int]) -> None:
    await UserRole.delete().where(UserRole.user == user_id)
    if role_ids:
        await UserRole.insert(*[UserRole(user=user_id, role=r) for r in role_ids])


async def get_user(user_id: int) -> dict[str, Any]:
    user = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.username,
            StaffUser.full_name,
            StaffUser.email,
            StaffUser.language,
            StaffUser.is_active,
            StaffUser.version,
            StaffUser.created_at,
        )
        .where(StaffUser.id == user_id)
        .first()
    )
    if user is None:
        raise NotFound(f"user {user_id}")
    roles = await UserRole.select(UserRole.role.code).where(UserRole.user == user_id)
    user["roles"] = [r["role.code"] for r in roles]
    return user


async def list_users(limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    users = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.username,
            StaffUser.full_name,
            StaffUser.email,
            StaffUser.is_active,
            StaffUser.language,
        )
        .order_by(StaffUser.username)
        .limit(limit)
        .offset(offset)
    )
    ids = [u["id"] for u in users]
    roles_by_user: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for row in await UserRole.select(UserRole.user, UserRole.role.code).where(
            UserRole.user.is_in(ids)
        ):
            roles_by_user[row["user"]].append(row["role.code"])
    for user in users:
        user["roles"] = sorted(roles_by_user[user["id"]])
    return users, await StaffUser.count()


async def user_ids_by_role() -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for row in await UserRole.select(UserRole.user, UserRole.role.code):
        result.setdefault(row["role.code"], []).append(row["user"])
    return result


# -- login and sessions ------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _recent_failures(column: Any, value: str) -> int:
    since = now() - THROTTLE_WINDOW
    return await LoginAttempt.count().where(
        (column == value) & (LoginAttempt.attempted_at > since) & (LoginAttempt.succeeded.eq(False))
    )


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    error: str | None = None


async def log_in(username: str, password: str, address: str, session_hours: int) -> LoginResult:
    """Check the credentials and open a session. Failed attempts are recorded for throttling."""
    username = username.strip().lower()[:150]
    if (
        await _recent_failures(LoginAttempt.username, username) >= MAX_FAILURES_PER_ACCOUNT
        or await _recent_failures(LoginAttempt.address, address) >= MAX_FAILURES_PER_ADDRESS
    ):
        return LoginResult(error=N_("Too many failed attempts. Wait 15 minutes and try again."))
    user = (
        await StaffUser.select(
            StaffUser.id, StaffUser.password_hash, StaffUser.is_active, StaffUser.full_name
        )
        .where(StaffUser.username == username)
        .first()
    )
    ok = verify_password(user["password_hash"] if user else None, password)
    ok = ok and user is not None and user["is_active"]
    await LoginAttempt.insert(
        LoginAttempt(username=username, address=address, attempted_at=now(), succeeded=ok)
    )
    if not ok or user is None:
        return LoginResult(error=N_("Wrong username or password."))
    token = secrets.token_urlsafe(32)
    moment = now()
    await StaffSession.insert(
        StaffSession(
            token_hash=_token_hash(token),
            user=user["id"],
            created_at=moment,
            expires_at=moment + dt.timedelta(hours=session_hours),
            data={},
        )
    )
    actor = audit.SystemActor(full_name=user["full_name"], id=user["id"], role_codes=())
    await audit.record(actor, "login", "staff_user", user["id"])
    return LoginResult(token=token)


async def log_out(token: str) -> None:
    await StaffSession.delete().where(StaffSession.token_hash == _token_hash(token))


async def user_for_session(token: str) -> CurrentUser | None:
    """The active user behind a session cookie, or None. One query for the user, one for roles."""
    row = (
        await StaffSession.select(
            StaffSession.id,
            StaffSession.user.id,
            StaffSession.user.username,
            StaffSession.user.full_name,
            StaffSession.user.language,
            StaffSession.user.is_active,
        )
        .where((StaffSession.token_hash == _token_hash(token)) & (StaffSession.expires_at > now()))
        .first()
    )
    if row is None or not row["user.is_active"]:
        return None
    roles = (
        await UserRole.select(UserRole.role.code, UserRole.role.permissions)
        .where(UserRole.user == row["user.id"])
        .output(load_json=True)
    )
    permissions = frozenset(p for r in roles for p in r["role.permissions"])
    return CurrentUser(
        id=row["user.id"],
        username=row["user.username"],
        full_name=row["user.full_name"],
        language=row["user.language"],
        role_codes=tuple(sorted(r["role.code"] for r in roles)),
        permissions=permissions,
        session_id=row["id"],
    )


async def session_data(session_id: int) -> dict[str, Any]:
    row = (
        await StaffSession.select(StaffSession.data)
        .where(StaffSession.id == session_id)
        .first()
        .output(load_json=True)
    )
    return row["data"] if row else {}


async def set_session_data(session_id: int, data: dict[str, Any]) -> None:
    await StaffSession.update({StaffSession.data: data}).where(StaffSession.id == session_id)
