"""Staff single sign-on: a verified ID token becomes a Valvomo user, roles and session.

At every sign-in the user's name, e-mail and roles are taken again from the provider's
claims, so a person removed from a group loses the role at their next sign-in.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from core.audit import services as audit
from core.common.clock import now
from core.config import IdentityProvider
from core.identity.oidc import SignInRefused
from core.identity.passwords import hash_password_async
from core.identity.services import USERNAME_PATTERN, end_sessions, open_session, replace_user_roles
from core.identity.tables import StaffIdentity, StaffRole, StaffUser, UserRole

NOT_USERNAME_CHARACTERS = re.compile(r"[^a-z0-9._-]+")


def mapped_roles(provider: IdentityProvider, claims: dict[str, Any]) -> list[str]:
    """Valvomo roles for the values of the provider's roles or groups claim."""
    value = claims.get(provider.roles_claim, [])
    values = [value] if isinstance(value, str) else list(value or [])
    return sorted({role for v in values for role in provider.role_map.get(str(v), ())})


def username_from(provider: IdentityProvider, claims: dict[str, Any]) -> str:
    """A Valvomo username from the provider's username claim (e-mail style names allowed)."""
    raw = str(claims.get(provider.username_claim) or claims.get("sub") or "").lower()
    username = NOT_USERNAME_CHARACTERS.sub(".", raw).strip(".")[:150]
    if not USERNAME_PATTERN.match(username):
        raise SignInRefused("username_claim_missing")
    return username


async def sign_in_staff(
    provider: IdentityProvider, claims: dict[str, Any], session_hours: int
) -> str | None:
    """Create or update the user from the claims, replace its roles, open a session; the
    session's token.

    Refuses (SignInRefused) a disabled user, a new person with no mapped role, and a username
    already held by an account not linked to this provider; nothing is written then. A known
    user who no longer has any mapped role loses their roles and sessions: None (refused, but
    the removal is kept).
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("subject_missing")
    key = f"{provider.name}:{subject}"
    roles = mapped_roles(provider, claims)
    role_ids = {r["code"]: r["id"] for r in await StaffRole.select(StaffRole.id, StaffRole.code)}
    roles = [r for r in roles if r in role_ids]
    full_name = str(claims.get(provider.name_claim) or "").strip()[:200]
    email = str(claims.get(provider.email_claim) or "").strip()[:254]
    actor = audit.SystemActor(full_name=f"sign-in: {provider.name}")
    link = await StaffIdentity.select(StaffIdentity.user).where(StaffIdentity.key == key).first()
    if link is None:
        if not roles:
            raise SignInRefused("no_role", status=403)
        user_id = await _create_linked_user(provider, claims, key, full_name, email, actor)
    else:
        user_id = int(link["user"])
        await _refresh_user(user_id, full_name, email, actor)
    await _replace_roles(user_id, [role_ids[r] for r in roles], roles, actor)
    if not roles:
        await end_sessions(user_id)
        return None
    return await open_session(user_id, full_name, session_hours, {"provider": provider.name})


async def _create_linked_user(
    provider: IdentityProvider,
    claims: dict[str, Any],
    key: str,
    full_name: str,
    email: str,
    actor: audit.SystemActor,
) -> int:
    username = username_from(provider, claims)
    if await StaffUser.exists().where(StaffUser.username == username):
        raise SignInRefused("username_taken", status=409)
    values = {"username": username, "full_name": full_name or username, "email": email}
    unusable = await hash_password_async(secrets.token_urlsafe(32))  # no password sign-in
    rows = await StaffUser.insert(
        StaffUser(
            username=values["username"],
            full_name=values["full_name"],
            email=email,
            password_hash=unusable,
            created_at=now(),
        )
    ).returning(StaffUser.id)
    user_id = int(rows[0]["id"])
    await StaffIdentity.insert(StaffIdentity(key=key, user=user_id, linked_at=now()))
    await audit.record(
        actor, "create", "staff_user", user_id, after={**values, "provider": provider.name}
    )
    return user_id


async def _refresh_user(user_id: int, full_name: str, email: str, actor: audit.SystemActor) -> None:
    user = (
        await StaffUser.select(StaffUser.is_active, StaffUser.full_name, StaffUser.email)
        .where(StaffUser.id == user_id)
        .first()
    )
    if user is None or not user["is_active"]:
        raise SignInRefused("user_disabled", status=403)
    wanted = {"full_name": full_name or user["full_name"], "email": email}
    before, after = audit.changes(user, wanted)
    if after:
        await StaffUser.update(
            {StaffUser.full_name: wanted["full_name"], StaffUser.email: email}
        ).where(StaffUser.id == user_id)
        await audit.record(actor, "update", "staff_user", user_id, before=before, after=after)


async def _replace_roles(
    user_id: int, role_ids: list[int], codes: list[str], actor: audit.SystemActor
) -> None:
    current = sorted(
        r["role.code"]
        for r in await UserRole.select(UserRole.role.code).where(UserRole.user == user_id)
    )
    if current == codes:
        return
    await replace_user_roles(user_id, role_ids)
    await audit.record(
        actor, "update", "staff_user", user_id, before={"roles": current}, after={"roles": codes}
    )
