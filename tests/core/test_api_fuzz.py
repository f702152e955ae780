"""Schemathesis generates requests from the OpenAPI schema; with all of its checks, every
answer must match the published schema (status codes, bodies, headers such as Allow), and no
input may produce a 500."""

from __future__ import annotations

import asyncio

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup

from tests.helpers import PASSWORD, make_user

EXAMPLES_PER_OPERATION = 30


def signed_in_session(live_server: str, username: str) -> tuple[dict[str, str], dict[str, str]]:
    with httpx.Client(base_url=live_server, follow_redirects=True) as client:
        client.get("/login")
        token = client.cookies["valvomo_csrf"]
        client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "_csrf_token": token, "next": "/"},
        )
        return dict(client.cookies), {"x-csrftoken": token}


def failure_titles(exc: BaseException) -> str:
    """The checks that failed, e.g. "Schema-valid request rejected"."""
    lines = [line.strip(" -") for line in str(exc).splitlines()]
    return "; ".join(line for line in lines if line.startswith("ST") or "failure" in line)[:300]


def fuzz(live_server: str, cookies: dict[str, str], headers: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{live_server}/api/schema/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/schema"):
            continue  # the schema documents and Swagger UI, not the API

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            try:
                case.call_and_validate(headers=headers, cookies=cookies)
            except (AssertionError, FailureGroup) as exc:
                failures.append(f"{case.method} {case.path}: {failure_titles(exc)}")

        call()
    return failures


async def test_every_generated_request_matches_the_schema(live_server: str) -> None:
    username = await make_user("admin", "client_guidance", "biller", "home_care")
    cookies, headers = signed_in_session(live_server, username)
    failures = await asyncio.to_thread(fuzz, live_server, cookies, headers)
    summary = sorted(set(failures))
    assert not summary, f"{len(failures)} failures:\n" + "\n".join(summary[:60])
