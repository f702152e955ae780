"""An optional second factor: time-based one-time codes (TOTP, RFC 6238) with pyotp.

A user turns it on from their own page (the link by their name in the page header) by typing
the secret into an authenticator app and confirming one code; they get ten one-time recovery
codes for a lost phone, kept only as SHA-256 hashes (each is 50 random bits, so a fast hash
is enough). An administrator makes it compulsory for a role on the role's page (or the region
for `[web] totp_roles`): until members have set it up, every page leads to the set-up page.
An administrator resets a user's second factor (phone and codes lost) after a confirmation;
the user's sessions end and they set it up again.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

import pyotp

from core.audit import services as audit
from core.common.clock import now
from core.common.errors import ValidationFailed
from core.i18n import N_
from core.identity.tables import RecoveryCode, StaffSession, StaffUser

ISSUER = "Valvomo"
CODE_NEEDED = N_("Enter the six-digit code from your authenticator app as well.")
WRONG_CODE = N_("The code is not right. Enter the six digits your authenticator app shows now.")
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def code_matches(secret: str, code: str) -> bool:
    """The current code, or the one before or after it (clocks drift by a few seconds)."""
    code = "".join(code.split())
    return bool(secret) and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


def required_for(role_codes: Iterable[str], totp_roles: Iterable[str]) -> bool:
    """Whether the region's configuration (`[web] totp_roles`) requires it of these roles; an
    administrator's choice on the role page arrives as `CurrentUser.second_factor_required`."""
    return bool(set(role_codes) & set(totp_roles))


def _recovery_hash(code: str) -> str:
    cleaned = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(cleaned.encode("utf-8")).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    cleaned = "".join(code.lower().split()).replace("-", "")
    return len(cleaned) == 10 and all(c in _RECOVERY_ALPHABET for c in cleaned)


async def new_recovery_codes(user_id: int) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the codes are shown once."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    await RecoveryCode.insert(
        *[RecoveryCode(user=user_id, code_hash=_recovery_hash(code)) for code in codes]
    )
    return codes


async def spend_recovery_code(user_id: int, code: str) -> bool:
    """Use up one unused recovery code of the user; a code works once, even when two sign-ins
    send it at the same moment (one conditional UPDATE)."""
    if not looks_like_recovery_code(code):
        return False
    spent = (
        await RecoveryCode.update({RecoveryCode.used_at: now()})
        .where(
            (RecoveryCode.user == user_id)
            & (RecoveryCode.code_hash == _recovery_hash(code))
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    return bool(spent)


async def unused_recovery_codes(user_id: int) -> int:
    return await RecoveryCode.count().where(
        (RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null()
    )


async def turn_on(actor: audit.Actor, user_id: int, secret: str, code: str) -> list[str]:
    """Save the secret once the user has proved their app produces its codes; returns the new
    recovery codes to show once."""
    if len(secret) != 32 or not code_matches(secret, code):
        raise ValidationFailed({"code": WRONG_CODE})
    await StaffUser.update({StaffUser.totp_secret: secret}).where(StaffUser.id == user_id)
    codes = await new_recovery_codes(user_id)
    await audit.record(actor, "update", "staff_user", user_id, after={"second_factor": "on"})
    return codes


async def replace_recovery_codes(actor: audit.Actor, user_id: int) -> list[str]:
    codes = await new_recovery_codes(user_id)
    await audit.record(actor, "update", "staff_user", user_id, after={"recovery_codes": "replaced"})
    return codes


async def reset(actor: audit.Actor, user_id: int) -> None:
    """An administrator's reset for a user who lost their phone and codes: the secret and the
    codes go, every session of the user ends, and they set the second factor up again."""
    await StaffUser.update({StaffUser.totp_secret: ""}).where(StaffUser.id == user_id)
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    await StaffSession.delete().where(StaffSession.user == user_id)
    await audit.record(
        actor, "update", "staff_user", user_id,
        before={"second_factor": "on"}, after={"second_factor": "reset"},
    )  # fmt: skip
