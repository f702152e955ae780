"""Schemathesis generates requests from the OpenAPI schema; no input may produce a 500."""

from __future__ import annotations

import asyncio

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

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


def fuzz(live_server: str, cookies: dict[str, str], headers: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{live_server}/api/schema/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, cookies=cookies)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} "
                    f"{response.text[:200]}"
                )

        call()
    return failures


async def test_no_generated_request_causes_a_server_error(live_server: str) -> None:
    username = await make_user("admin", "client_guidance", "biller", "home_care")
    cookies, headers = signed_in_session(live_server, username)
    failures = await asyncio.to_thread(fuzz, live_server, cookies, headers)
    assert not failures, "\n".join(failures[:20])
