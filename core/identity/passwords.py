"""Argon2id password hashing, run in worker threads so the event loop keeps serving pages."""

import asyncio
import contextlib
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.i18n import N_

_hasher = PasswordHasher()
MIN_LENGTH = 12  # keep in step with the message below


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, verified when the user does not exist so timing stays the
    same; made at the first sign-in, not at import (an Argon2 hash took every `valvomo` command
    0.3–0.7 s of start-up)."""
    return _hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


# argon2-cffi releases the GIL, so hashes run in threads while the event loop serves pages.
# One thread per core (more would only queue inside the CPU), and each at a lower scheduling
# priority: during a burst of logins the request handlers of every worker process get the CPU
# first and other users' pages stay quick; the logins take the time that is left.
HASHING_NICENESS = 10


def _lower_priority() -> None:
    """Linux schedules threads one by one: this lowers only the calling (hashing) thread."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


_hashing = ThreadPoolExecutor(
    max_workers=os.cpu_count() or 2, thread_name_prefix="argon2", initializer=_lower_priority
)


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_hashing, hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _hashing, verify_password, password_hash, password
    )


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return N_("The password must be at least 12 characters long.")
    return None
