"""Fixtures: the SMS gateway stub process, an aiosmtpd server, and a worker pointed at both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from core.config import NotificationSettings
from core.notifications.channels import SmsGatewayChannel, SmtpChannel
from core.notifications.worker import OutboxWorker
from core.web.runtime import Runtime
from tests.core.notifications.servers import SmsGatewayProcess, SmtpServer

GATEWAY_TOKEN = "test-gateway-token"


@pytest.fixture(scope="session")
def gateway_process() -> Iterator[SmsGatewayProcess]:
    gateway = SmsGatewayProcess(token=GATEWAY_TOKEN)
    yield gateway
    gateway.stop()


@pytest.fixture
def gateway(gateway_process: SmsGatewayProcess) -> SmsGatewayProcess:
    gateway_process.reset()
    gateway_process.control(fail_status=None, delay_ms=0)
    return gateway_process


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.handler.reset()
    return smtp_server


@pytest.fixture
def notification_settings(
    runtime: Runtime, gateway: SmsGatewayProcess, smtp: SmtpServer
) -> NotificationSettings:
    return replace(
        runtime.settings.notifications,
        sms_gateway_url=gateway.url,
        sms_token=GATEWAY_TOKEN,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from="palvelu@hyvaks.example",
        max_attempts=3,
        retry_base_seconds=60,
        retry_max_seconds=3600,
        lease_seconds=30,
        batch_size=10,
    )


def make_worker(settings: NotificationSettings) -> OutboxWorker:
    return OutboxWorker(settings, [SmsGatewayChannel(settings), SmtpChannel(settings)])
