"""Region configuration: `valvomo.toml` (path from VALVOMO_CONFIG) plus environment overrides."""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def _notification_settings(raw: dict[str, Any]) -> NotificationSettings:
    defaults = NotificationSettings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"[notifications] has an unknown setting {key!r}")
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            kind = {int: "a whole number", float: "a number", bool: "true or false"}
            raise ConfigError(f"[notifications] {key} must be {kind.get(expected, 'a string')}")
        values[key] = value
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
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret: str = ""
    theme: str = "default"
    region_name: str = "Etelä-Pohjanmaan hyvinvointialue"
    municipalities: tuple[str, ...] = tuple(DEFAULT_MUNICIPALITIES)
    enabled_plugins: tuple[str, ...] = ()
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    var_dir: Path = PROJECT_ROOT / "var"
    session_hours: int = 10
    secure_cookies: bool = False
    config_path: Path | None = None
    notifications: NotificationSettings = field(default_factory=NotificationSettings)

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
        "municipalities": tuple(region.get("municipalities", DEFAULT_MUNICIPALITIES)),
        "enabled_plugins": tuple(enabled),
        "plugin_settings": plugins_section,
        "var_dir": var_dir,
        "session_hours": int(web.get("session_hours", 10)),
        "secure_cookies": bool(web.get("secure_cookies", False)),
        "config_path": config_path,
        "notifications": _notification_settings(raw.get("notifications", {})),
    }
    values.update(overrides)
    settings = Settings(**values)
    if not settings.secret:
        settings = _with_generated_secret(settings)
    return settings


def _config_path(path: Path | str | None) -> Path | None:
    if path is not None:
        return Path(path)
    from_env = os.environ.get("VALVOMO_CONFIG")
    if from_env:
        return Path(from_env)
    default = PROJECT_ROOT / "valvomo.toml"
    return default if default.exists() else None


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
