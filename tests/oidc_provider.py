"""A real OpenID Connect provider for tests: `oidc-provider-mock` as a process on 127.0.0.1.

It has real discovery, an RS256-signed ID token and a JWKS endpoint. People are set up with
their claims through its `PUT /users/{sub}`, and "signing in" at the provider is the POST of
its authorization form with the subject, as a person's browser would send it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from valvomo.testing import free_port

START_SECONDS = 60


@dataclass(frozen=True)
class Provider:
    issuer: str

    def set_person(self, sub: str, claims: dict[str, Any]) -> None:
        """The claims the provider puts in the ID token of `sub` from now on."""
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def sign_in(self, authorization_url: str, sub: str) -> str:
        """Approve the authorization request as `sub`; the redirect back to Valvomo."""
        response = httpx.post(authorization_url, data={"sub": sub}, timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["location"]


def python_on_the_test_clock(module: str) -> list[str]:
    """`python -m module`; on a run moved with VALVOMO_TEST_FAKE_NOW (tests/conftest.py), at this
    process's moved time, so that the provider's ID tokens are not already expired or not yet
    valid to the app under test."""
    if not os.environ.get("VALVOMO_TEST_FAKE_NOW"):
        return [sys.executable, "-m", module]
    moment = dt.datetime.now(dt.UTC).isoformat()
    start = (
        "import runpy, time_machine; "
        f"time_machine.travel({moment!r}, tick=True).start(); "
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", start]


def run_provider(*extra: str) -> Iterator[Provider]:
    """Start the provider and wait for its discovery document; fail (never skip) if it can't."""
    port = free_port()
    command = [*python_on_the_test_clock("oidc_provider_mock"), "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), *extra],
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_for_discovery(issuer, process)
        yield Provider(issuer=issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_discovery(issuer: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The OIDC provider exited with {process.returncode}")
        try:
            answer = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            if answer.status_code == 200 and json.loads(answer.text)["issuer"] == issuer:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"The OIDC provider did not start in {START_SECONDS} seconds")


def local_path(url: str) -> str:
    """The path and query of a redirect back to Valvomo, for the test client."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))
