"""deploy/ as a region runs it: Debian's nginx (TLS) before two app processes and a worker.

A smoke test goes through nginx (sign in, a page, a public booking whose confirmation SMS the
worker sends to the gateway stub, metrics of every process); then each app process in turn is
restarted during a stream of requests, and not one request fails.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.config import PROJECT_ROOT
from core.web.runtime import Runtime
from tests.core.notifications.conftest import GATEWAY_TOKEN
from tests.core.notifications.servers import SmsGatewayProcess
from tests.deploy.stack import Stack
from tests.helpers import PASSWORD, make_user
from tests.plugins.booking.setup_data import create_setup, tomorrow_at

SECRET = "nginx-test-secret-" + "y" * 40


def config_file(folder: Path, gateway: SmsGatewayProcess) -> Path:
    """The repository's valvomo.toml with the SMS gateway stub and a quick worker."""
    text = (PROJECT_ROOT / "valvomo.toml").read_text(encoding="utf-8")
    text = re.sub(r'^sms_gateway_url = .*$', f'sms_gateway_url = "{gateway.url}"', text,
                  flags=re.MULTILINE)  # fmt: skip
    text = text.replace("[notifications]\n", "[notifications]\npoll_seconds = 0.2\n", 1)
    path = folder / "valvomo.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def stack(runtime: Runtime, tmp_path: Path) -> Iterator[tuple[Stack, SmsGatewayProcess]]:
    gateway = SmsGatewayProcess(token=GATEWAY_TOKEN)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VALVOMO_")},
        "VALVOMO_CONFIG": str(config_file(tmp_path, gateway)),
        "VALVOMO_DATABASE_URL": runtime.database.url,
        "VALVOMO_VAR_DIR": str(tmp_path),
        "VALVOMO_SECRET": SECRET,
        "VALVOMO_SMS_TOKEN": GATEWAY_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    running = Stack(tmp_path, env)
    try:
        running.start()
        yield running, gateway
    finally:
        running.stop()
        gateway.stop()


def sign_in(client: httpx.Client, username: str) -> None:
    client.get("/login")
    form = {"username": username, "password": PASSWORD, "next": "/"}
    response = client.post("/login", data={**form, "_csrf_token": client.cookies["valvomo_csrf"]})
    assert response.status_code == 200 and "/login" not in str(response.url), response.text


def book_publicly(client: httpx.Client, appointment_type: int, professional: int) -> None:
    client.get("/book/")
    details = {
        "appointment_type_id": appointment_type, "professional_id": professional,
        "starts_at": tomorrow_at(9).isoformat(), "mode": "office", "name": "Aino Asiakas",
        "phone": "040 123 4567", "email": "", "reminder_channel": "sms", "description": "",
    }  # fmt: skip
    response = client.post(
        "/book/confirm", data={**details, "_csrf_token": client.cookies["valvomo_csrf"]}
    )
    assert response.status_code == 200, response.text
    assert 'class="notice notice--success" role="status"' in response.text


def wait_for_sms(gateway: SmsGatewayProcess, seconds: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if deliveries := gateway.records()["deliveries"]:
            return dict(deliveries[0])
        time.sleep(0.3)
    raise AssertionError("the worker sent no SMS")


async def test_smoke_through_nginx(stack: tuple[Stack, SmsGatewayProcess]) -> None:
    running, gateway = stack
    username = await make_user("admin", "client_guidance")
    setup = await create_setup()
    with httpx.Client(base_url=running.base_url, verify=False, follow_redirects=True,
                      timeout=30) as client:  # fmt: skip
        plain = httpx.get(f"http://127.0.0.1:{running.http_port}/customers", timeout=10)
        assert plain.status_code == 301
        assert plain.headers["location"].startswith("https://")

        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text  # the worker's heartbeat arrived

        sign_in(client, username)
        customers = client.get("/customers")
        assert customers.status_code == 200 and "Asiakkaat" in customers.text
        assert len(customers.headers["x-request-id"]) == 32  # nginx's $request_id

        book_publicly(client, setup.advice_type_id, setup.professional_id)
        sms = wait_for_sms(gateway)
        assert sms["to"] == "+358401234567"

        static = client.get("/static/style.css")
        assert static.status_code == 200 and "x-request-id" not in static.headers  # from disk
        too_big = client.post("/login", content=b"x" * (3 * 1024 * 1024))
        assert too_big.status_code == 413

        metrics = client.get("/metrics").text
        assert 'valvomo_notifications_sent_total{channel="sms"} 1.0' in metrics  # the worker's
        assert 'valvomo_http_requests_total{method="GET",route="/customers",status="200"}' in (
            metrics
        )


async def test_restarting_each_app_process_during_requests_fails_none(
    stack: tuple[Stack, SmsGatewayProcess],
) -> None:
    running, _ = stack
    username = await make_user("client_guidance")
    outcomes: Counter[str] = Counter()
    stop = threading.Event()

    def stream(client: httpx.Client) -> None:
        while not stop.is_set():
            try:
                response = client.get("/customers")
                signed_in = response.url.path == "/customers"
                outcomes[str(response.status_code) if signed_in else "signed out"] += 1
            except httpx.HTTPError as exc:
                outcomes[type(exc).__name__] += 1

    clients = [
        httpx.Client(base_url=running.base_url, verify=False, follow_redirects=True, timeout=30)
        for _ in range(4)
    ]
    for client in clients:
        sign_in(client, username)
    threads = [threading.Thread(target=stream, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        away = [running.restart_app(0), running.restart_app(1)]
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for client in clients:
            client.close()
    assert set(outcomes) == {"200"}, outcomes
    assert outcomes["200"] > 50, outcomes
    print(f"restart: {outcomes['200']} requests, all 200; app processes away {away} s")
