"""Real delivery endpoints for the notification tests and benchmarks: the SMS gateway stub
process and an aiosmtpd SMTP server that records messages by Message-ID."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections import Counter
from email.message import Message
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from core.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmsGatewayProcess:
    """tests/core/notifications/sms_gateway_stub.py running as a separate process."""

    def __init__(self, token: str = "", basic: str = "", delay_ms: int = 0) -> None:
        command = [sys.executable, "-m", "tests.core.notifications.sms_gateway_stub",
                   "--token", token, "--basic", basic, "--delay-ms", str(delay_ms)]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError("The SMS gateway stub did not start")
        self.url = f"{self.base_url}/messages"

    def records(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/records", timeout=10).json())

    def delivered_keys(self) -> list[str]:
        return [d["key"] for d in self.records()["deliveries"]]

    def control(self, *, fail_status: int | None = None, delay_ms: int = 0) -> None:
        body = {"fail_status": fail_status, "delay_ms": delay_ms}
        httpx.post(f"{self.base_url}/control", json=body, timeout=10).raise_for_status()

    def reset(self) -> None:
        httpx.post(f"{self.base_url}/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class RecordingSmtpHandler:
    """Accepts every message once per Message-ID; counts every attempt."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.messages: dict[str, Message] = {}

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        from email import message_from_bytes

        content = envelope.original_content or b""
        message = message_from_bytes(content)
        message_id = message.get("Message-ID", "")
        with self.lock:
            self.attempts[message_id] += 1
            self.messages.setdefault(message_id, message)
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.attempts.clear()
            self.messages.clear()


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingSmtpHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
