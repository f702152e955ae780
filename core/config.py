"""Region configuration: `valvomo.toml` (path from VALVOMO_CONFIG) plus environment overrides."""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///var/valvomo.sqlite3"

# The municipalities of Etelä-Pohjanmaa, the region in seed 000; a region lists its own.
DEFAULT_MUNICIPALITIES = [
    "Alajärvi", "Alavus", "Evijärvi", "Ilmajoki", "Isojoki", "Isokyrö", "Karijoki",
    "Kauhajoki", "Kauhava", "Kuortane", "Kurikka", "Lappajärvi", "Lapua", "Seinäjoki",
    "Soini", "Teuva", "Vimpeli", "Ähtäri",
]  # fmt: skip


class ConfigError(Exception):
    """The configuration is invalid; the message says what to fix."""


@dataclass(frozen=True)
class NotificationSettings:
    """The `[notifications]` table: SMS gateway, SMTP server, retries and the worker's batches."""

    sms_gateway_url: str = "http://127.0.0.1:8090/messages"
    sms_username: str = ""
    sms_password: str = ""  # or VALVOMO_SMS_PASSWORD
    sms_token: str = ""  # bearer token instead of username/password, or VALVOMO_SMS_TOKEN
    sms_sender: str = "Valvomo"
    sms_timeout_seconds: float = 10.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: str = ""  # or VALVOMO_SMTP_PASSWORD
    smtp_from: str = "valvomo@localhost"
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    max_attempts: int = 6
    retry_base_seconds: int = 60
    retry_max_seconds: int = 3600
    lease_seconds: int = 120
    batch_size: int = 100
    concurrency: int = 10
    poll_seconds: float = 2.0
    sms_country_codes: tuple[str, ...] = ("358",)  # calling codes SMS may be sent to


def _typed_values(section: str, defaults: object, raw: dict[str, Any]) -> dict[str, Any]:
    """The settings of `[section]`, each checked against the type of its default."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"[{section}] has an unknown setting {key!r}")
        expected = type(getattr(defaults, key))
        if expected is tuple:
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.isdigit() for v in value
            ):
                raise ConfigError(f'[notifications] {key} must be a list like ["358"]')
            values[key] = tuple(value)
            continue
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            kind = {int: "a whole number", float: "a number", bool: "true or false"}
            raise ConfigError(f"[{section}] {key} must be {kind.get(expected, 'a string')}")
        values[key] = value
    return values


def _notification_settings(raw: dict[str, Any]) -> NotificationSettings:
    values = _typed_values("notifications", NotificationSettings(), raw)
    for key, variable in (
        ("sms_password", "VALVOMO_SMS_PASSWORD"),
        ("sms_token", "VALVOMO_SMS_TOKEN"),
        ("smtp_password", "VALVOMO_SMTP_PASSWORD"),
    ):
        if os.environ.get(variable):
            values[key] = os.environ[variable]
    settings = NotificationSettings(**values)
    for key in ("max_attempts", "retry_base_seconds", "retry_max_seconds", "lease_seconds",
                "batch_size", "concurrency"):  # fmt: skip
        if getattr(settings, key) < 1:
            raise ConfigError(f"[notifications] {key} must be at least 1")
    return settings


@dataclass(frozen=True)
class OperationsSettings:
    """The `[operations]` table: probes, metrics and logs."""

    metrics_token: str = ""  # or VALVOMO_METRICS_TOKEN; empty = /metrics only from 127.0.0.1
    worker_heartbeat_seconds: int = 120  # /readyz fails when no worker beat for this long; 0 = off
    retry_after_seconds: int = 30  # Retry-After of the 503 answered during a database outage
    log_format: str = "json"  # or "text" for a person reading a terminal
    backup_dir: str = "var/backups"


def _operations_settings(raw: dict[str, Any], base_dir: Path) -> OperationsSettings:
    values = _typed_values("operations", OperationsSettings(), raw)
    if os.environ.get("VALVOMO_METRICS_TOKEN"):
        values["metrics_token"] = os.environ["VALVOMO_METRICS_TOKEN"]
    if values.get("log_format", "json") not in ("json", "text"):
        raise ConfigError('[operations] log_format must be "json" or "text"')
    values["backup_dir"] = str(base_dir / values.get("backup_dir", OperationsSettings.backup_dir))
    return OperationsSettings(**values)


@dataclass(frozen=True)
class IdentityProvider:
    """One `[identity.providers.NAME]` table: an OpenID Connect provider Valvomo trusts.

    `audience` "staff" signs staff in (users and roles from `role_map`); "citizen" identifies
    customers and their proxies through `identity_code_claim` (a Suomi.fi broker)."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = ""  # or VALVOMO_OIDC_<NAME>_SECRET
    audience: str = "staff"
    label: str = ""  # the button text; "Sign in with NAME" if empty
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    username_claim: str = "preferred_username"
    name_claim: str = "name"
    email_claim: str = "email"
    roles_claim: str = "groups"
    role_map: dict[str, tuple[str, ...]] = field(default_factory=dict)
    identity_code_claim: str = "hetu"


@dataclass(frozen=True)
class IdentitySettings:
    """The `[identity]` table: password sign-in, single sign-on and citizen sessions."""

    # "everyone", or "break_glass": only members of `break_glass_roles` sign in with a password
    local_passwords: str = "everyone"
    break_glass_roles: tuple[str, ...] = ("admin",)
    citizen_idle_minutes: int = 30
    providers: tuple[IdentityProvider, ...] = ()

    def provider(self, name: str) -> IdentityProvider | None:
        return next((p for p in self.providers if p.name == name), None)

    def providers_for(self, audience: str) -> list[IdentityProvider]:
        return [p for p in self.providers if p.audience == audience]


PROVIDER_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")


def _identity_provider(name: str, raw: dict[str, Any]) -> IdentityProvider:
    where = f"[identity.providers.{name}]"
    if not PROVIDER_NAME.match(name):
        raise ConfigError(f"{where}: use lowercase letters, digits, - or _ in the name")
    known = set(IdentityProvider.__dataclass_fields__) - {"name"}
    if unknown := set(raw) - known:
        raise ConfigError(f"{where} has an unknown setting {sorted(unknown)[0]!r}")
    for key in ("issuer", "client_id"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ConfigError(f"{where} needs {key}")
    if raw.get("audience", "staff") not in ("staff", "citizen"):
        raise ConfigError(f'{where} audience must be "staff" or "citizen"')
    role_map = raw.get("role_map", {})
    if not isinstance(role_map, dict) or not all(
        isinstance(v, list) and all(isinstance(r, str) for r in v) for v in role_map.values()
    ):
        raise ConfigError(f'{where} role_map must map a claim value to roles, e.g. "g" = ["admin"]')
    values = {k: v for k, v in raw.items() if k not in ("scopes", "role_map")}
    secret_variable = f"VALVOMO_OIDC_{name.upper().replace('-', '_')}_SECRET"
    values["client_secret"] = os.environ.get(secret_variable) or raw.get("client_secret", "")
    return IdentityProvider(
        name=name,
        scopes=tuple(raw.get("scopes", IdentityProvider.scopes)),
        role_map={str(k): tuple(v) for k, v in role_map.items()},
        **values,
    )


def _identity_settings(raw: dict[str, Any]) -> IdentitySettings:
    providers = raw.get("providers", {})
    if not isinstance(providers, dict):
        raise ConfigError("[identity.providers] must hold one table per provider")
    if raw.get("local_passwords", "everyone") not in ("everyone", "break_glass"):
        raise ConfigError('[identity] local_passwords must be "everyone" or "break_glass"')
    idle = raw.get("citizen_idle_minutes", 30)
    if type(idle) is not int or idle < 1:
        raise ConfigError("[identity] citizen_idle_minutes must be a whole number, at least 1")
    return IdentitySettings(
        local_passwords=raw.get("local_passwords", "everyone"),
        break_glass_roles=tuple(raw.get("break_glass_roles", ["admin"])),
        citizen_idle_minutes=idle,
        providers=tuple(_identity_provider(n, p) for n, p in providers.items()),
    )


def _retention_settings(raw: dict[str, Any]) -> dict[str, int]:
    """The `[retention]` table: days to keep each kind of record after it has ended."""
    for key, value in raw.items():
        if type(value) is not int or value < 1:
            raise ConfigError(f"[retention] {key} must be a whole number of days, at least 1")
    return dict(raw)


DEFAULT_REGION_LOGO = "region-logo.svg"  # themes/default/static: a neutral emblem
# The default region's switchboard, which puts a citizen through to client guidance: whom the
# refused sign-in and the cut-off pages name when [region] gives no contact_phone. Another
# region (a [region] name of its own) gets no default: it sets its own number.
DEFAULT_REGION_CONTACT_PHONE = "06 415 4111"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret: str = ""
    theme: str = "default"
    region_name: str = "Etelä-Pohjanmaan hyvinvointialue"
    public_site_name: str = ""  # what citizens see in the header; the region's name if empty
    # a file in the theme's static folder, e.g. "logo.svg"; the default theme's emblem if unset
    region_logo: str = DEFAULT_REGION_LOGO
    municipalities: tuple[str, ...] = tuple(DEFAULT_MUNICIPALITIES)
    # whom citizens contact ([region] contact_phone, contact_email): on refusals, cut-offs and
    # error pages of Oma Valvomo
    region_contact_phone: str = ""
    region_contact_email: str = ""
    enabled_plugins: tuple[str, ...] = ()
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    var_dir: Path = PROJECT_ROOT / "var"
    session_hours: int = 10
    secure_cookies: bool = True
    config_path: Path | None = None
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    # Every link the app builds starts with this; requests for other hosts are refused (400).
    public_base_url: str = "http://127.0.0.1:8000"
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For is believed
    development: bool = False  # plain http on this machine: no Secure cookies, no HSTS
    audit_key_file: Path | None = None  # default var/audit.keys; VALVOMO_AUDIT_KEYS overrides
    audit_checkpoint_file: Path | None = None  # default var/audit-checkpoints.jsonl
    audit_signing_key_file: Path | None = None  # Ed25519 checkpoint key; var/audit-signing.pem
    login_attempt_days: int = 30  # `valvomo cleanup` deletes older login attempts
    totp_roles: tuple[str, ...] = ()  # roles whose members must use a second factor

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies and not self.development

    def public_url(self, path: str) -> str:
        """An absolute link for SMS, e-mail and calendar files, never from the request's Host."""
        return self.public_base_url.rstrip("/") + "/" + path.lstrip("/")

    operations: OperationsSettings = field(default_factory=OperationsSettings)
    retention: dict[str, int] = field(default_factory=dict)
    identity: IdentitySettings = field(default_factory=IdentitySettings)

    def settings_for(self, plugin: str) -> dict[str, Any]:
        return self.plugin_settings.get(plugin, {})


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read valvomo.toml (if any) and the VALVOMO_* environment variables."""
    config_path = _config_path(path)
    raw: dict[str, Any] = {}
    if config_path is not None:
        try:
            raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: {exc}") from exc
    base_dir = config_path.parent if config_path else PROJECT_ROOT
    var_dir = Path(os.environ.get("VALVOMO_VAR_DIR") or base_dir / "var")

    plugins_section = dict(raw.get("plugins", {}))
    enabled = plugins_section.pop("enabled", [])
    if not isinstance(enabled, list) or not all(isinstance(n, str) for n in enabled):
        raise ConfigError("[plugins] enabled must be a list of plugin names")
    region = raw.get("region", {})
    web = raw.get("web", {})
    database_url = (
        os.environ.get("VALVOMO_DATABASE_URL")
        or raw.get("database", {}).get("url")
        or DEFAULT_DATABASE_URL
    )
    values: dict[str, Any] = {
        "database_url": _resolve_sqlite_path(database_url, base_dir),
        "secret": os.environ.get("VALVOMO_SECRET") or web.get("secret") or "",
        "theme": web.get("theme", "default"),
        "region_name": region.get("name", Settings.region_name),
        "public_site_name": region.get("public_site_name", ""),
        "region_logo": region.get("logo", DEFAULT_REGION_LOGO),
        "municipalities": tuple(region.get("municipalities", DEFAULT_MUNICIPALITIES)),
        **_region_contact(region, region.get("name", Settings.region_name)),
        "enabled_plugins": tuple(enabled),
        "plugin_settings": plugins_section,
        "var_dir": var_dir,
        "session_hours": int(web.get("session_hours", 10)),
        "secure_cookies": bool(web.get("secure_cookies", True)),
        "config_path": config_path,
        "notifications": _notification_settings(raw.get("notifications", {})),
        **_security_settings(web, raw.get("audit", {}), base_dir),
        "operations": _operations_settings(raw.get("operations", {}), base_dir),
        "retention": _retention_settings(raw.get("retention", {})),
        "identity": _identity_settings(raw.get("identity", {})),
    }
    values.update(overrides)
    settings = Settings(**values)
    if not settings.secret:
        settings = _with_generated_secret(settings)
    return settings


def _region_contact(region: dict[str, Any], name: str) -> dict[str, str]:
    """`[region] contact_phone` and `contact_email`: whom a citizen calls or writes to. Without
    a contact_phone the default region (`Settings.region_name`) gives its switchboard; "" turns
    the number off."""
    default_phone = DEFAULT_REGION_CONTACT_PHONE if name == Settings.region_name else ""
    phone, email = region.get("contact_phone", default_phone), region.get("contact_email", "")
    if not isinstance(phone, str) or not re.fullmatch(r"[+\d][\d ()-]{4,30}|", phone.strip()):
        raise ConfigError('[region] contact_phone must be a phone number like "06 123 4567"')
    if not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+|", email.strip()):
        raise ConfigError('[region] contact_email must be an address like "neuvonta@alue.fi"')
    return {"region_contact_phone": phone.strip(), "region_contact_email": email.strip()}


def _security_settings(
    web: dict[str, Any], audit: dict[str, Any], base_dir: Path
) -> dict[str, Any]:
    """Public URL, hosts, proxies, development switch, audit key and checkpoint locations."""
    base_url = os.environ.get("VALVOMO_PUBLIC_BASE_URL") or web.get("public_base_url")
    base_url = base_url or Settings.public_base_url
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError("[web] public_base_url must be like https://valvomo.example.fi")
    hosts = web.get("allowed_hosts", list(Settings.allowed_hosts))
    proxies = web.get("trusted_proxies", [])
    for key, value in (("allowed_hosts", hosts), ("trusted_proxies", proxies)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[web] {key} must be a list of strings")
    development = os.environ.get("VALVOMO_DEVELOPMENT", "") in ("1", "true", "yes")

    def path_of(key: str) -> Path | None:
        value = audit.get(key)
        return None if not value else base_dir / str(value)

    return {
        "public_base_url": base_url.rstrip("/"),
        "allowed_hosts": tuple(dict.fromkeys([*hosts, parsed.hostname])),
        "trusted_proxies": tuple(proxies),
        "development": development or bool(web.get("development", False)),
        "audit_key_file": path_of("key_file"),
        "audit_checkpoint_file": path_of("checkpoint_file"),
        "audit_signing_key_file": path_of("signing_key_file"),
        "login_attempt_days": int(web.get("login_attempt_days", 30)),
        "totp_roles": tuple(web.get("totp_roles", [])),
    }


def _config_path(path: Path | str | None) -> Path | None:
    if path is not None:
        return Path(path)
    from_env = os.environ.get("VALVOMO_CONFIG")
    if from_env:
        return Path(from_env)
    for default in (Path.cwd() / "valvomo.toml", PROJECT_ROOT / "valvomo.toml"):
        if default.exists():  # the folder the command runs in, then the checkout's
            return default
    return None


def _resolve_sqlite_path(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
        return prefix + str(base_dir / url[len(prefix) :])
    return url


def _with_generated_secret(settings: Settings) -> Settings:
    """Keep a random secret in var/ so that every process of one installation shares it."""
    from dataclasses import replace

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    secret_file = settings.var_dir / "secret.key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        secret_file.chmod(0o600)
    return replace(settings, secret=secret_file.read_text(encoding="utf-8").strip())
