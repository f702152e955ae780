"""OpenID Connect relying party: authorization code flow with PKCE through Authlib.

Shared by staff single sign-on and citizens' strong identification. The flow's state, nonce
and PKCE verifier travel in a short-lived HMAC-signed cookie (app processes stay stateless);
the ID token is checked against the provider's discovered JWKS, issuer, audience, expiry and
the nonce before anything is written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any, cast

import httpx
from authlib.integrations.base_client import BaseApp, OAuthError
from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin
from authlib.integrations.base_client.async_openid import AsyncOpenIDMixin
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError
from joserfc.errors import JoseError as JoseRfcError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from core.config import IdentityProvider, Settings

with warnings.catch_warnings():
    # Authlib 1.9.10 warns on import that it would prefer the httpx2 package; httpx (which
    # the rest of Valvomo uses) is still supported, and the warning reached every CLI's stderr.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = logging.getLogger("valvomo.identity")

FLOW_COOKIE = "valvomo_oidc"
FLOW_SECONDS = 600  # the person has ten minutes at the provider
CLOCK_SKEW_SECONDS = 60


class SignInRefused(Exception):
    """The provider's answer cannot sign anyone in; `reason` is a code for the log, never
    personal data, and `status` the HTTP status of the page shown."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def log_refusal(provider: str, reason: str) -> None:
    """A failed sign-in in the log: which provider and why, nothing about the person."""
    log.warning(
        "sign-in refused: %s (provider %s)",
        reason,
        provider,
        extra={"provider": provider, "reason": reason},
    )


class _OidcApp(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):
    client_cls = AsyncOAuth2Client


_clients: dict[tuple[str, str, str], _OidcApp] = {}


def client_for(provider: IdentityProvider) -> _OidcApp:
    """One Authlib client per provider and process: discovery and JWKS are fetched once."""
    key = (provider.name, provider.issuer, provider.client_id)
    if key not in _clients:
        _clients[key] = _OidcApp(
            framework=None,
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret or None,
            server_metadata_url=provider.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": " ".join(provider.scopes),
                "code_challenge_method": "S256",
                "timeout": 10.0,
            },
        )
    return _clients[key]


def callback_url(settings: Settings, provider: IdentityProvider) -> str:
    return settings.public_url(f"/login/oidc/{provider.name}/callback")


@dataclass(frozen=True)
class Flow:
    """What the callback must find again: kept in the signed cookie between the two legs."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    next: str
    started: float


async def start(settings: Settings, provider: IdentityProvider, next_path: str) -> tuple[str, str]:
    """The provider's authorization URL and the signed flow cookie's value."""
    client = client_for(provider)
    try:
        answer = await client.create_authorization_url(callback_url(settings, provider))
    except (httpx.HTTPError, ValueError, RuntimeError) as exc:
        raise SignInRefused("provider_unreachable", status=502) from exc
    flow = Flow(
        provider=provider.name,
        state=answer["state"],
        nonce=answer["nonce"],
        code_verifier=answer["code_verifier"],
        next=next_path,
        started=time.time(),
    )
    return answer["url"], _sign(settings.secret, flow)


def _sign(secret: str, flow: Flow) -> str:
    body = base64.urlsafe_b64encode(json.dumps(flow.__dict__).encode()).decode()
    mac = hmac.new(secret.encode(), b"oidc-flow:" + body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _unsigned(secret: str, cookie: str | None) -> Flow:
    body, _, mac = (cookie or "").partition(".")
    expected = hmac.new(secret.encode(), b"oidc-flow:" + body.encode(), hashlib.sha256)
    if not body or not hmac.compare_digest(mac, expected.hexdigest()):
        raise SignInRefused("flow_cookie_missing")
    return Flow(**json.loads(base64.urlsafe_b64decode(body)))


async def finish(
    settings: Settings,
    provider: IdentityProvider,
    cookie: str | None,
    query: dict[str, str],
) -> tuple[dict[str, Any], str]:
    """The verified ID token's claims and where to go next, or SignInRefused."""
    flow = _unsigned(settings.secret, cookie)
    if flow.provider != provider.name:
        raise SignInRefused("provider_mismatch")
    if time.time() - flow.started > FLOW_SECONDS:
        raise SignInRefused("flow_expired")
    if query.get("error"):
        raise SignInRefused("provider_error")
    if not hmac.compare_digest(query.get("state", ""), flow.state):
        raise SignInRefused("state_mismatch")
    client = client_for(provider)
    try:
        token = await client.fetch_access_token(
            callback_url(settings, provider),
            code=query.get("code", ""),
            code_verifier=flow.code_verifier,
        )
        metadata = await client.load_server_metadata()
        keys = await client.fetch_jwk_set()
    except (OAuthError, httpx.HTTPError, ValueError, RuntimeError) as exc:
        raise SignInRefused("token_request_failed") from exc
    claims = verify_id_token(
        token.get("id_token", ""),
        keys=keys,
        issuer=provider.issuer,
        client_id=provider.client_id,
        nonce=flow.nonce,
        algorithms=metadata.get("id_token_signing_alg_values_supported") or ["RS256"],
        access_token=token.get("access_token"),
    )
    if metadata.get("issuer", "").rstrip("/") != provider.issuer.rstrip("/"):
        raise SignInRefused("unknown_issuer")
    return claims, flow.next


def verify_id_token(
    id_token: str,
    *,
    keys: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: list[str],
    access_token: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The ID token's claims when its signature (JWKS), issuer, audience, expiry and nonce hold."""
    if not id_token:
        raise SignInRefused("id_token_missing")
    try:
        decoded = jwt.decode(
            id_token,
            key=KeySet.import_key_set(cast(Any, keys)),  # the JWKS document as fetched
            algorithms=algorithms,
            registry=JWSRegistry(algorithms=algorithms, strict_check_header=False),
        )
    except (JoseRfcError, ValueError) as exc:
        raise SignInRefused("bad_signature") from exc
    params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
    if access_token:
        params["access_token"] = access_token
    options = {"iss": {"essential": True, "values": [issuer, issuer.rstrip("/")]}}
    claims = CodeIDToken(decoded.claims, decoded.header, options, params)
    try:
        claims.validate(now=int(now if now is not None else time.time()), leeway=CLOCK_SKEW_SECONDS)
    except JoseRfcError as exc:
        raise SignInRefused(_reason(exc)) from exc
    return dict(claims)


REASON_BY_CLAIM = {"nonce": "nonce_mismatch", "iss": "unknown_issuer", "aud": "wrong_audience"}


def _reason(error: JoseRfcError) -> str:
    """A short code per failed claim check, for the log."""
    if isinstance(error, ExpiredTokenError):
        return "expired"
    if isinstance(error, ClaimError):
        return REASON_BY_CLAIM.get(error.claim, f"invalid_{error.claim}")
    return "invalid_id_token"


async def logout_url(provider: IdentityProvider, settings: Settings) -> str | None:
    """The provider's end-session address (RP-initiated logout), if it publishes one."""
    client = client_for(provider)
    try:
        result = await client.create_logout_url(
            post_logout_redirect_uri=settings.public_url("/login"), client_id=provider.client_id
        )
    except (httpx.HTTPError, RuntimeError, ValueError):
        return None
    return str(result["url"])
