"""Schemathesis generates requests from the OpenAPI schema; with all of its checks, every
answer must match the published schema (status codes, bodies, headers such as Allow), and no
input may produce a 500."""

from __future__ import annotations

import asyncio

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import PASSWORD, make_user

EXAMPLES_PER_OPERATION = 30
# Refusals a schema cannot state for query parameters (rules across them, values known only from
# stored data), which the operation's description documents: a schema-valid request may get the
# documented 400 when its `errors` name only these parameters. Any other refusal of a
# schema-valid request still fails (ST202).
RULES_ACROSS_PARAMETERS = {("GET", "/api/situation/metrics"): {"to", "unit"}}


def refused_across_parameters(case: schemathesis.Case, response: object) -> bool:
    """Whether `response` is the documented 400 for a rule across the case's parameters."""
    fields = RULES_ACROSS_PARAMETERS.get((case.method.upper(), case.operation.path))
    if not fields or getattr(response, "status_code", None) != 400:
        return False
    errors = response.json().get("errors") or {}  # type: ignore[attr-defined]
    return bool(errors) and set(errors) <= fields


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
                response = case.call(headers=headers, cookies=cookies)
                case.validate_response(
                    response,
                    headers=headers,
                    excluded_checks=(
                        [positive_data_acceptance]
                        if refused_across_parameters(case, response)
                        else []
                    ),
                    # as call_and_validate passes them, for checks that send again
                    transport_kwargs={"headers": dict(headers), "cookies": cookies},
                )
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
