"""Channels: how one outbox message leaves Valvomo. Core's are SMS over HTTP and SMTP e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import aiosmtplib
import httpx

from core.config import NotificationSettings

# Answers that refuse this message itself (e.g. an invalid number) are final. Every other
# failure, including 401/403/404 from a misconfigured gateway, is retried with back-off, so
# fixing the settings in time loses no messages.
PERMANENT_HTTP_STATUSES = {400, 413, 415, 422}


@dataclass(frozen=True)
class OutgoingMessage:
    """A claimed outbox message as a channel sees it."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    idempotency_key: str
    attempt: int
    request_id: str = ""  # of the request that queued it, carried into the worker's log lines


class SendFailed(Exception):
    """Sending failed. `permanent` failures are not retried (e.g. the gateway refused the
    number); others are retried with back-off."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Channel(Protocol):
    name: str

    async def send(self, message: OutgoingMessage) -> str:
        """Deliver the message; return the provider's id for it (may be "")."""
        ...

    async def close(self) -> None: ...


class SmsGatewayChannel:
    """POSTs JSON to the region's SMS gateway with the message's `Idempotency-Key` header."""

    name = "sms"

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            auth = None
            headers = {}
            if self.settings.sms_token:
                headers["Authorization"] = f"Bearer {self.settings.sms_token}"
            elif self.settings.sms_username:
                auth = httpx.BasicAuth(self.settings.sms_username, self.settings.sms_password)
            self._client = httpx.AsyncClient(
                auth=auth,
                headers=headers,
                timeout=self.settings.sms_timeout_seconds,
                limits=httpx.Limits(max_connections=self.settings.concurrency),
            )
        return self._client

    async def send(self, message: OutgoingMessage) -> str:
        payload = {"from": self.settings.sms_sender, "to": message.recipient, "text": message.body}
        try:
            response = await self._http().post(
                self.settings.sms_gateway_url,
                json=payload,
                headers={"Idempotency-Key": message.idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise SendFailed(f"SMS gateway unreachable: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return _provider_id(response)
        reason = f"SMS gateway answered {response.status_code}: {response.text[:300]}"
        permanent = response.status_code in PERMANENT_HTTP_STATUSES
        raise SendFailed(reason, permanent=permanent)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _provider_id(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("id", ""))[:200] if isinstance(body, dict) else ""


class SmtpChannel:
    """Sends e-mail with aiosmtplib; the Message-ID is built from the idempotency key, so a
    repeated send carries the same Message-ID and mail systems can drop the duplicate."""

    name = "email"

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def message_id(self, message: OutgoingMessage) -> str:
        domain = self.settings.smtp_from.rpartition("@")[2] or "valvomo.invalid"
        return f"<{message.idempotency_key}@{domain}>"

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.smtp_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = self.message_id(message)
        email.set_content(message.body)
        return email

    async def send(self, message: OutgoingMessage) -> str:
        settings = self.settings
        try:
            await aiosmtplib.send(
                self.build(message),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=settings.smtp_password or None,
                start_tls=settings.smtp_starttls,
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise SendFailed(f"Mail server refused the recipient: {exc}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600
            reason = f"Mail server answered {exc.code}: {exc.message}"
            raise SendFailed(reason, permanent=permanent) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"Mail server unreachable: {type(exc).__name__}: {exc}") from exc
        return self.message_id(message)

    async def close(self) -> None:
        """Each message uses its own SMTP connection; nothing stays open."""
