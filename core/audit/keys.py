"""The secret keys that seal audit entries. They live outside the database, in a file or the
environment, so a database writer cannot compute a valid MAC. Rotation appends a key; every
entry and seal names the key it was sealed with, so old entries keep verifying."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ENVIRONMENT_VARIABLE = "VALVOMO_AUDIT_KEYS"  # "k1:secret,k2:secret"; the last is current
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class AuditKeyError(Exception):
    """The key configuration is missing or malformed; the message says what to fix."""


@dataclass(frozen=True)
class AuditKeys:
    keys: dict[str, bytes]
    current_id: str

    def mac(self, key_id: str, message: str) -> str:
        key = self.keys.get(key_id)
        if key is None:
            raise AuditKeyError(f"audit key {key_id!r} is not configured")
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def macs(self, key_id: str, prefix: str, rests: Iterable[str]) -> list[str]:
        """`mac(key_id, prefix + rest)` for each rest, hashing the shared prefix once."""
        key = self.keys.get(key_id)
        if key is None:
            raise AuditKeyError(f"audit key {key_id!r} is not configured")
        start = hmac.new(key, prefix.encode("utf-8"), hashlib.sha256)
        found = []
        for rest in rests:
            mac = start.copy()
            mac.update(rest.encode("utf-8"))
            found.append(mac.hexdigest())
        return found

    def matches(self, key_id: str, message: str, mac: str) -> bool:
        if key_id not in self.keys:
            return False
        return hmac.compare_digest(self.mac(key_id, message), mac)


def parse_keys(lines: list[tuple[str, str]], source: str) -> AuditKeys:
    keys: dict[str, bytes] = {}
    for key_id, secret in lines:
        if not KEY_ID.match(key_id) or len(secret) < 32:
            raise AuditKeyError(f"{source}: each key needs an id and a secret of 32+ characters")
        keys[key_id] = secret.encode("utf-8")
    if not keys:
        raise AuditKeyError(f"{source}: no audit key")
    return AuditKeys(keys=keys, current_id=lines[-1][0])


def load_keys(key_file: Path) -> AuditKeys:
    """Keys from VALVOMO_AUDIT_KEYS, else from `key_file` (created with one key if missing)."""
    from_env = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if from_env:
        parts = [part.strip().split(":", 1) for part in from_env.split(",") if part.strip()]
        if any(len(p) != 2 for p in parts):
            raise AuditKeyError(f"{ENVIRONMENT_VARIABLE} must be like k1:secret,k2:secret")
        return parse_keys([(p[0], p[1]) for p in parts], ENVIRONMENT_VARIABLE)
    if not key_file.exists():
        add_key(key_file)
    lines = [line.split() for line in key_file.read_text(encoding="utf-8").splitlines()]
    pairs = [(w[0], w[1]) for w in lines if len(w) == 2 and not w[0].startswith("#")]
    return parse_keys(pairs, str(key_file))


def add_key(key_file: Path) -> str:
    """Append a new random key to `key_file` and make it current; returns its id."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    existing = key_file.read_text(encoding="utf-8") if key_file.exists() else ""
    key_id = f"k{len([line for line in existing.splitlines() if line.strip()]) + 1}"
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    with key_file.open("a", encoding="utf-8") as handle:
        handle.write(f"{key_id} {secret}\n")
    key_file.chmod(0o600)
    return key_id


_current: AuditKeys | None = None


def use_keys(keys: AuditKeys) -> None:
    global _current
    _current = keys


def current_keys() -> AuditKeys:
    if _current is None:
        raise AuditKeyError("audit keys are not loaded; core.audit.keys.use_keys first")
    return _current
