"""Argon2id password hashing off the event loop, bounded to one hash per core of the host."""

import asyncio
import contextlib
import fcntl
import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.i18n import N_

_hasher = PasswordHasher()
MIN_LENGTH = 12  # keep in step with the message below
T = TypeVar("T")


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
# They are bounded: at most `hashing_slots()` hashes run at once on this host, one per core,
# within a process by its thread pool and across the worker processes of `valvomo serve` by
# lock files in one folder (SLOTS_VARIABLE); before, each worker had a thread per core, so two
# workers ran four hashes on two cores. The hashing threads run at a lower priority. A password
# that gets no slot within QUEUE_SECONDS is not checked: the caller gets HashingBusy and answers
# "try again" (503) instead of keeping the user waiting. Keeping a core free of hashing (one
# slot fewer) was measured with bench/security_load.py: it doubled the logins' median and did
# not measurably speed other users' pages, whose slowest moment is the burst's first requests.
HASHING_NICENESS = 10
QUEUE_SECONDS = 30.0
BUSY_RETRY_SECONDS = 5  # Retry-After of the 503 that HashingBusy becomes
SLOTS_VARIABLE = "VALVOMO_HASHING_SLOTS_DIR"
_POLL_SECONDS = 0.005


class HashingBusy(Exception):
    """No hashing slot came free within QUEUE_SECONDS; the password was not checked."""


def hashing_slots() -> int:
    """How many passwords may be hashed at once on this host: one per core."""
    return os.cpu_count() or 1


def _lower_priority() -> None:
    """Linux schedules threads one by one: this lowers only the calling (hashing) thread."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


_hashing = ThreadPoolExecutor(
    max_workers=hashing_slots(), thread_name_prefix="argon2", initializer=_lower_priority
)
_released = threading.local()


def slot_paths(folder: Path) -> list[Path]:
    """The lock files of the host's hashing slots in `folder`: one held = one hash running."""
    return [folder / f"argon2-slot-{n}.lock" for n in range(hashing_slots())]


def _take_host_slot(deadline: float) -> int | None:
    """A descriptor holding one of the host's slots (closing it frees the slot), or None when
    the slots are not shared (one process: its thread pool is the bound)."""
    folder = os.environ.get(SLOTS_VARIABLE)
    if not folder:
        return None
    # A thread that has just hashed lets the other processes' waiting threads go first.
    if time.monotonic() - getattr(_released, "at", -1.0) < 2 * _POLL_SECONDS:
        time.sleep(2 * _POLL_SECONDS)
    paths = slot_paths(Path(folder))
    while True:
        for path in paths:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            return descriptor
        if time.monotonic() >= deadline:
            raise HashingBusy
        time.sleep(_POLL_SECONDS)


def _in_slot(deadline: float, function: Callable[..., T], *args: Any) -> T:
    if time.monotonic() >= deadline:  # waited its turn in this process too long
        raise HashingBusy
    descriptor = _take_host_slot(deadline)
    try:
        return function(*args)
    finally:
        if descriptor is not None:
            os.close(descriptor)
            _released.at = time.monotonic()


async def _bounded(function: Callable[..., T], *args: Any) -> T:
    deadline = time.monotonic() + QUEUE_SECONDS
    return await asyncio.get_running_loop().run_in_executor(
        _hashing, _in_slot, deadline, function, *args
    )


async def hash_password_async(password: str) -> str:
    """Raises HashingBusy when no slot came free in time."""
    return await _bounded(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """Raises HashingBusy when no slot came free in time: the password was not checked."""
    return await _bounded(verify_password, password_hash, password)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return N_("The password must be at least 12 characters long.")
    return None
