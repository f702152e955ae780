"""Gaps 4, 5, 9, 11: atomic login throttling, hashing off the event loop and bounded, a
progressive delay instead of a lockout, and every session ended when the password changes or
the user is disabled."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from core.identity import passwords, services
from core.identity.tables import LoginAttempt, StaffSession, StaffUser
from tests.helpers import PASSWORD, api_headers, make_user, sign_in


@pytest.fixture
def counted_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real argon2 verification, noting the thread each check ran in."""
    threads: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        threads.append(threading.current_thread().name)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return threads


async def test_parallel_wrong_passwords_check_at_most_the_limit(
    counted_checks: list[str],
) -> None:
    username = await make_user()
    results = await asyncio.gather(
        *[services.log_in(username, f"wrong-{n}-password", "192.0.2.1", 1) for n in range(100)]
    )
    assert all(r.token is None for r in results)
    assert len(counted_checks) <= services.MAX_FAILURES_PER_ACCOUNT  # 0 if all arrive first
    assert await LoginAttempt.count() == 100
    assert sum(1 for r in results if r.wait_seconds) >= 100 - services.MAX_FAILURES_PER_ACCOUNT


async def test_hashing_runs_off_the_event_loop(counted_checks: list[str]) -> None:
    username = await make_user()
    assert (await services.log_in(username, PASSWORD, "192.0.2.1", 1)).token
    assert counted_checks and threading.main_thread().name not in counted_checks


@pytest.fixture
def hashing_concurrency(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """The real argon2 verification, counting how many ran at the same moment; gives the most."""
    lock = threading.Lock()
    running = most = 0
    real = passwords.verify_password

    def tracking(password_hash: str | None, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(passwords, "verify_password", tracking)
    return lambda: most


@pytest.fixture
def shared_slots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The host's hashing slots shared through `tmp_path`, as `valvomo serve` shares them."""
    monkeypatch.setenv(passwords.SLOTS_VARIABLE, str(tmp_path))
    return tmp_path


class HeldSlots:
    """Every hashing slot held, as by other worker processes hashing, with a short queue
    limit while held."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder, self.monkeypatch = folder, monkeypatch
        self.held: list[int] = []
        self.queue_seconds = passwords.QUEUE_SECONDS

    def take(self) -> None:
        self.monkeypatch.setattr(passwords, "QUEUE_SECONDS", 0.3)
        for path in passwords.slot_paths(self.folder):
            self.held.append(os.open(path, os.O_RDWR | os.O_CREAT))
            fcntl.flock(self.held[-1], fcntl.LOCK_EX | fcntl.LOCK_NB)

    def free(self) -> None:
        while self.held:
            os.close(self.held.pop())
        self.monkeypatch.setattr(passwords, "QUEUE_SECONDS", self.queue_seconds)


@pytest.fixture
def slots(shared_slots: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldSlots]:
    held = HeldSlots(shared_slots, monkeypatch)
    yield held
    held.free()


async def test_at_most_one_hash_per_core_runs_at_once(
    hashing_concurrency: Callable[[], int],
) -> None:
    logins = 3 * passwords.hashing_slots() + 2
    checked = await asyncio.gather(
        *[passwords.verify_password_async(None, f"guess-{n}-password") for n in range(logins)]
    )
    assert checked == [False] * logins
    assert 1 <= hashing_concurrency() <= passwords.hashing_slots() == (os.cpu_count() or 1)


def test_worker_processes_share_the_hosts_slots(
    hashing_concurrency: Callable[[], int], shared_slots: Path
) -> None:
    """Each thread opens the lock files itself, exactly as another process would."""
    no_limit = 10.0**9
    threads = [
        threading.Thread(
            target=passwords._in_slot,
            args=(no_limit, passwords.verify_password, None, f"guess-{n}-password"),
        )
        for n in range(3 * passwords.hashing_slots() + 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= hashing_concurrency() <= passwords.hashing_slots()


async def test_a_password_that_gets_no_slot_is_not_checked(
    counted_checks: list[str], slots: HeldSlots
) -> None:
    slots.take()
    with pytest.raises(passwords.HashingBusy):
        await passwords.verify_password_async(None, "any-password-at-all")
    assert counted_checks == []
    slots.free()
    assert await passwords.verify_password_async(None, "any-password-at-all") is False
    assert len(counted_checks) == 1


async def test_a_busy_sign_in_says_try_again_and_is_no_attempt(
    client: httpx.AsyncClient, counted_checks: list[str], slots: HeldSlots
) -> None:
    username = await make_user()
    slots.take()
    busy = await sign_in(client, username)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
    assert 'id="login-error"' in busy.text and await StaffSession.count() == 0
    assert counted_checks == [] and await LoginAttempt.count() == 0  # slows nobody down
    slots.free()
    assert (await sign_in(client, username)).status_code == 200
    assert await StaffSession.count() == 1


async def test_a_new_password_that_gets_no_slot_is_a_503_and_changes_nothing(
    admin: httpx.AsyncClient, slots: HeldSlots
) -> None:
    username = await make_user("client_guidance")
    user = await StaffUser.select().where(StaffUser.username == username).first()
    slots.take()
    busy = await admin.put(
        f"/api/users/{user['id']}",
        json={
            "version": user["version"],
            "full_name": user["full_name"],
            "roles": ["client_guidance"],
            "password": "a-brand-new-password",
        },
        headers=api_headers(admin),
    )
    assert busy.status_code == 503 and busy.headers["retry-after"] == "5", busy.text
    after = await StaffUser.select().where(StaffUser.id == user["id"]).first()
    assert after["password_hash"] == user["password_hash"]


async def test_delay_grows_and_passes_and_the_owner_is_not_locked_out() -> None:
    assert [services.account_delay(n) for n in (1, 5, 6, 7, 8, 30)] == [0, 0, 2, 4, 8, 300]
    username = await make_user()
    assert (await services.log_in(username, PASSWORD, "192.0.2.1", 1)).token  # known address
    for n in range(8):
        await services.log_in(username, f"attacker-{n}-guess", "198.51.100.7", 1)
    waiting = await services.log_in(username, PASSWORD, "198.51.100.7", 1)
    assert waiting.token is None and waiting.wait_seconds > 0
    # The owner, from an address they have signed in from, is not slowed by the attacker.
    assert (await services.log_in(username, PASSWORD, "192.0.2.1", 1)).token
    # After the delay even a new address gets its try.
    earlier = dt.timedelta(seconds=services.MAX_ACCOUNT_DELAY.total_seconds() + 1)
    await LoginAttempt.update(
        {LoginAttempt.attempted_at: LoginAttempt.attempted_at - earlier}, force=True
    )
    assert (await services.log_in(username, PASSWORD, "198.51.100.7", 1)).token


async def other_session(app: Litestar, username: str, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 1))
    colleague = httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    )
    await sign_in(colleague, username)
    assert (await colleague.get("/customers")).url.path == "/customers"
    return colleague


async def set_password(client: httpx.AsyncClient, username: str, roles: list[str]) -> None:
    user = await StaffUser.select().where(StaffUser.username == username).first()
    changed = await client.put(
        f"/api/users/{user['id']}",
        json={
            "version": user["version"],
            "full_name": user["full_name"],
            "roles": roles,
            "password": "a-brand-new-password",
        },
        headers=api_headers(client),
    )
    assert changed.status_code == 200, changed.text


async def test_a_new_password_ends_every_session_of_the_user(
    admin: httpx.AsyncClient, app: Litestar
) -> None:
    username = await make_user("client_guidance")
    laptop = await other_session(app, username, "127.0.0.5")
    phone = await other_session(app, username, "127.0.0.6")
    await set_password(admin, username, ["client_guidance"])
    for device in (laptop, phone):
        assert (await device.get("/customers")).url.path == "/login"
        await device.aclose()
    assert await StaffSession.count() == 1  # the administrator's own


async def test_changing_ones_own_password_keeps_this_session_only(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    username = await make_user("admin")
    other = await other_session(app, username, "127.0.0.7")
    await sign_in(client, username)
    await set_password(client, username, ["admin"])
    assert (await client.get("/admin/users")).status_code == 200
    assert (await other.get("/admin/users")).url.path == "/login"
    await other.aclose()


async def test_csrf_token_of_another_session_is_refused(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    username = await make_user("admin")
    await sign_in(client, username)
    mine = client.cookies["valvomo_csrf"]
    other = await other_session(app, username, "127.0.0.8")
    theirs = other.cookies["valvomo_csrf"]
    assert mine != theirs
    client.cookies.set("valvomo_csrf", theirs)
    refused = await client.post(
        "/customers/search", data={"q": "x", "_csrf_token": theirs}, follow_redirects=False
    )
    assert refused.status_code == 403
    await other.aclose()


async def test_many_colleagues_behind_one_address_sign_in_at_once() -> None:
    usernames = [await make_user() for _ in range(25)]
    results = await asyncio.gather(
        *[services.log_in(name, PASSWORD, "203.0.113.50", 1) for name in usernames]
    )
    assert all(r.token for r in results), [r.error for r in results if not r.token]
