"""Staff users, roles, permissions, login throttling and database-backed sessions."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from core.audit import services as audit
from core.common.clock import now
from core.common.errors import NotFound, ValidationFailed
from core.common.versioned import update_versioned
from core.db import transaction
from core.i18n import N_
from core.identity import second_factor
from core.identity.passwords import (
    BUSY_RETRY_SECONDS,
    HashingBusy,
    hash_password_async,
    verify_password_async,
)
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
MAX_FAILURES_PER_ACCOUNT = 5  # then a growing wait between tries, not a lockout
MAX_ACCOUNT_DELAY = dt.timedelta(minutes=5)
MAX_FAILURES_PER_ADDRESS = 20
KNOWN_ADDRESS_DAYS = dt.timedelta(days=90)
USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]{2,150}$")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    full_name: str
    language: str
    role_codes: tuple[str, ...]
    permissions: frozenset[str] = field(default_factory=frozenset)
    session_id: int | None = None
    has_second_factor: bool = False
    second_factor_required: bool = False  # one of the user's roles requires it (role page)

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
    requires_second_factor: bool = False,
) -> dict[str, Any]:
    """The role's permissions, and whether its members must use a second factor."""
    unknown = set(permission_codes) - set(known_permissions)
    if unknown:
        raise ValidationFailed({"permissions": N_("Choose permissions from the list.")})
    before = await StaffRole.select().where(StaffRole.id == role_id).first().output(load_json=True)
    if before is None:
        raise NotFound(f"role {role_id}")
    granted = sorted(set(permission_codes))
    values = {"permissions": granted, "requires_second_factor": requires_second_factor}
    saved = await update_versioned(
        StaffRole,
        role_id,
        version,
        {StaffRole.permissions: granted, StaffRole.requires_second_factor: requires_second_factor},
        values,
    )
    changed_from, changed_to = audit.changes({k: before[k] for k in values}, values)
    await audit.record(
        actor, "update", "staff_role", role_id, before=changed_from, after=changed_to
    )
    return saved


# -- users -------------------------------------------------------------------------------


def _validate_user(
    values: dict[str, Any], role_codes: Sequence[str], known_roles: set[str], password: str | None
) -> dict[str, str]:
    """The problems of a user's details by the user forms' rules (the pages parse the same
    forms; this checks what the API, the demo and the commands give); `values` become the
    form's (stripped, the username in lower case, an empty language Finnish)."""
    from core.identity.forms import NewUserForm, password_errors  # core.web imports this module
    from core.web.forms import read_form

    errors = {} if password is None else password_errors({"password": password}, required=True)
    data = {**values, "roles": list(role_codes)}
    form = read_form(NewUserForm, data, errors, choices={"roles": known_roles})
    if form is not None:
        values.update({k: getattr(form, k) for k in values})
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
        StaffUser(**values, password_hash=await hash_password_async(password), created_at=now())
    ).returning(StaffUser.id)
    user_id = int(rows[0]["id"])
    await replace_user_roles(user_id, [roles[c] for c in role_codes])
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
        StaffUser.language: values["language"],
        StaffUser.is_active: is_active,
    }
    if new_password:
        columns[StaffUser.password_hash] = await hash_password_async(new_password)
    submitted = {**values, "is_active": is_active, "roles": sorted(role_codes)}
    saved = await update_versioned(StaffUser, user_id, version, columns, submitted)
    await replace_user_roles(user_id, [roles[c] for c in role_codes])
    if not is_active:
        await end_sessions(user_id)
    elif new_password:
        own = actor.session_id if actor.id == user_id else None
        await end_sessions(user_id, keep_session_id=own)
    old = {k: before[k] for k in ("username", "full_name", "email", "language", "is_active")}
    old["roles"] = sorted(before["roles"])
    changed_before, changed_after = audit.changes(old, submitted)
    if new_password:
        changed_after["password"] = audit.REDACTED
    await audit.record(
        actor, "update", "staff_user", user_id, before=changed_before, after=changed_after
    )
    return saved


async def replace_user_roles(user_id: int, role_ids: list[int]) -> None:
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
            StaffUser.totp_secret,
        )
        .where(StaffUser.id == user_id)
        .first()
    )
    if user is None:
        raise NotFound(f"user {user_id}")
    user["has_second_factor"] = bool(user.pop("totp_secret"))
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
            StaffUser.version,
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


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    error: str | None = None
    wait_seconds: int = 0
    busy: bool = False  # too many sign-ins at once: try again in wait_seconds (503)


HASHING_BUSY = N_("Many people are signing in right now. Try again in a moment.")


def account_delay(failures: int) -> int:
    """Seconds an account waits between tries after `failures` failures: none for the first
    five, then 2, 4, 8 … up to 5 minutes. The owner is slowed, never locked out."""
    if failures <= MAX_FAILURES_PER_ACCOUNT:
        return 0
    return int(min(2 ** (failures - MAX_FAILURES_PER_ACCOUNT), MAX_ACCOUNT_DELAY.total_seconds()))


async def _record_attempt(username: str, address: str) -> int:
    """Commit the attempt as failed BEFORE the password is checked, so that parallel tries
    see each other; a correct password marks it succeeded afterwards."""
    async with transaction():
        rows = await LoginAttempt.insert(
            LoginAttempt(
                username=username,
                address=address,
                attempted_at=now(),
                succeeded=False,
                checked=False,
            )
        ).returning(LoginAttempt.id)
    return int(rows[0]["id"])


async def _throttle(username: str, address: str, attempt_id: int) -> int:
    """Seconds to wait before this attempt may be checked; 0 = check it now.

    Per address: more than MAX_FAILURES_PER_ADDRESS failures in the window are refused. Per
    account: a progressive delay, counting only this address's failures when the user has
    signed in from it before (a known address), so an attacker elsewhere cannot slow the owner.
    """
    since = now() - THROTTLE_WINDOW
    failed = (LoginAttempt.attempted_at > since) & (LoginAttempt.succeeded.eq(False))
    # Per address only finished checks count: fifty colleagues behind one NAT address signing
    # in at once are fifty attempts in flight, not fifty failures.
    settled = failed & (LoginAttempt.address == address) & (LoginAttempt.checked.eq(True))
    if await LoginAttempt.count().where(settled) >= MAX_FAILURES_PER_ADDRESS:
        return int(THROTTLE_WINDOW.total_seconds())
    account = failed & (LoginAttempt.username == username)
    known = await LoginAttempt.exists().where(
        (LoginAttempt.username == username)
        & (LoginAttempt.address == address)
        & (LoginAttempt.succeeded.eq(True))
        & (LoginAttempt.attempted_at > now() - KNOWN_ADDRESS_DAYS)
    )
    if known:
        account = account & (LoginAttempt.address == address)
    earlier = await (
        LoginAttempt.select(LoginAttempt.attempted_at)
        .where(account & (LoginAttempt.id != attempt_id))
        .order_by(LoginAttempt.attempted_at, ascending=False)
        .limit(MAX_FAILURES_PER_ACCOUNT * 8)
    )
    delay = account_delay(len(earlier) + 1)
    if delay == 0:
        return 0
    waited = (now() - earlier[0]["attempted_at"]).total_seconds()
    return max(0, int(delay - waited) + 1) if waited < delay else 0


async def log_in(
    username: str,
    password: str,
    address: str,
    session_hours: int,
    code: str = "",
    password_roles: Sequence[str] | None = None,
) -> LoginResult:
    """Check the credentials and open a session; not inside a caller's transaction.

    `password_roles`: when passwords are kept only for break-glass administrators, the roles
    whose members may still sign in with one (None: everyone may).

    The password is hashed in a worker thread, outside any transaction.
    """
    username = username.strip().lower()[:150]
    attempt_id = await _record_attempt(username, address)
    wait = await _throttle(username, address, attempt_id)
    if wait:
        return LoginResult(
            error=N_("Too many failed attempts. Wait a moment and try again."), wait_seconds=wait
        )
    user = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.password_hash,
            StaffUser.is_active,
            StaffUser.full_name,
            StaffUser.totp_secret,
        )
        .where(StaffUser.username == username)
        .first()
    )
    try:
        ok = await verify_password_async(user["password_hash"] if user else None, password)
    except HashingBusy:
        # Not checked, so no try: the attempt must not slow the account or its address.
        await LoginAttempt.delete().where(LoginAttempt.id == attempt_id)
        return LoginResult(error=HASHING_BUSY, wait_seconds=BUSY_RETRY_SECONDS, busy=True)
    await LoginAttempt.update({LoginAttempt.checked: True}).where(LoginAttempt.id == attempt_id)
    if not ok or user is None or not user["is_active"]:
        return LoginResult(error=N_("Wrong username or password."))
    if password_roles is not None and not set(await role_codes_of(user["id"])) & set(
        password_roles
    ):
        return LoginResult(error=PASSWORDS_OFF)  # the attempt stays a failure
    recovered = False
    if user["totp_secret"] and not second_factor.code_matches(user["totp_secret"], code):
        recovered = await second_factor.spend_recovery_code(user["id"], code)
        if not recovered:
            return LoginResult(error=second_factor.CODE_NEEDED)  # the attempt stays a failure
    async with transaction():
        await LoginAttempt.update({LoginAttempt.succeeded: True}).where(
            LoginAttempt.id == attempt_id
        )
        token = await open_session(
            user["id"],
            user["full_name"],
            session_hours,
            signed_in_with={"recovery_code": "used"} if recovered else None,
        )
    return LoginResult(token=token)


PASSWORDS_OFF = N_("Sign in with your organisation's account; passwords are not in use.")


async def role_codes_of(user_id: int) -> list[str]:
    rows = await UserRole.select(UserRole.role.code).where(UserRole.user == user_id)
    return [r["role.code"] for r in rows]


async def open_session(
    user_id: int,
    full_name: str,
    session_hours: int,
    data: dict[str, Any] | None = None,
    signed_in_with: dict[str, Any] | None = None,
) -> str:
    """A new session for the user, its sign-in in the audit log (with `signed_in_with`, e.g. a
    spent recovery code); the cookie's token."""
    token = secrets.token_urlsafe(32)
    moment = now()
    await StaffSession.insert(
        StaffSession(
            token_hash=_token_hash(token),
            user=user_id,
            created_at=moment,
            expires_at=moment + dt.timedelta(hours=session_hours),
            data=data or {},
        )
    )
    actor = audit.SystemActor(full_name=full_name, id=user_id, role_codes=())
    await audit.record(actor, "login", "staff_user", user_id, after=signed_in_with)
    return token


async def end_sessions(user_id: int, keep_session_id: int | None = None) -> None:
    """Sign the user out everywhere (password changed or reset, account disabled)."""
    condition: Any = StaffSession.user == user_id
    if keep_session_id is not None:
        condition = condition & (StaffSession.id != keep_session_id)
    await StaffSession.delete().where(condition)


async def log_out(token: str) -> None:
    await StaffSession.delete().where(StaffSession.token_hash == _token_hash(token))


SESSION_USER_SQL = """
SELECT s.id AS session_id, s.data AS session_data, u.id, u.username, u.full_name, u.language,
       u.is_active, u.totp_secret, r.code AS role_code, r.permissions AS role_permissions,
       r.requires_second_factor AS role_requires_second_factor
FROM staff_session s
JOIN staff_user u ON u.id = s."user"
LEFT JOIN user_role ur ON ur."user" = u.id
LEFT JOIN staff_role r ON r.id = ur.role
WHERE s.token_hash = {} AND s.expires_at > {}
"""


async def user_for_session(token: str) -> CurrentUser | None:
    """The active user behind a session cookie with their roles' permissions, or None.

    One statement on every request: a row per role of the user (one row without roles). The
    session's data come with it, so `session_data` of this session reads no row in the request.
    """
    _request_session.set(None)
    rows = await StaffSession.raw(SESSION_USER_SQL, _token_hash(token), now())
    if not rows or not rows[0]["is_active"]:
        return None
    roles = [r for r in rows if r["role_code"] is not None]
    permissions = frozenset(p for r in roles for p in _json_list(r["role_permissions"]))
    first = rows[0]
    _request_session.set((first["session_id"], _json_dict(first["session_data"])))
    return CurrentUser(
        id=first["id"],
        username=first["username"],
        full_name=first["full_name"],
        language=first["language"],
        role_codes=tuple(sorted(r["role_code"] for r in roles)),
        permissions=permissions,
        session_id=first["session_id"],
        has_second_factor=bool(first["totp_secret"]),
        second_factor_required=any(bool(r["role_requires_second_factor"]) for r in roles),
    )


def _json_list(value: Any) -> list[str]:
    """A JSON column read by raw SQL: text on both engines, a list if the driver decoded it."""
    return list(json.loads(value) if isinstance(value, str | bytes) else value or [])


def _json_dict(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str | bytes) else value or {})


# The signed-in session's id and data as the request's session lookup read them (set for each
# request by `user_for_session`; a task's context is its request's).
_request_session: ContextVar[tuple[int, dict[str, Any]] | None] = ContextVar(
    "valvomo_request_session", default=None
)


async def session_data(session_id: int) -> dict[str, Any]:
    """The session's stored values (a copy: change it, then `set_session_data`)."""
    loaded = _request_session.get()
    if loaded is not None and loaded[0] == session_id:
        return copy.deepcopy(loaded[1])
    row = (
        await StaffSession.select(StaffSession.data)
        .where(StaffSession.id == session_id)
        .first()
        .output(load_json=True)
    )
    return row["data"] if row else {}


async def set_session_data(session_id: int, data: dict[str, Any]) -> None:
    await StaffSession.update({StaffSession.data: data}).where(StaffSession.id == session_id)
    loaded = _request_session.get()
    if loaded is not None and loaded[0] == session_id:
        _request_session.set((session_id, copy.deepcopy(data)))
