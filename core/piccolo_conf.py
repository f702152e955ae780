"""Piccolo configuration for the `piccolo` CLI (used by developers to write migrations).

At run time `core.db.Database.migrate` replaces DB and APP_REGISTRY with the engine and the
apps of the running configuration.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from core.config import load_settings
from core.db import CORE_APPS, create_engine

_settings = load_settings()
DB: Engine = create_engine(_settings.database_url)
APP_REGISTRY = AppRegistry(
    apps=[*CORE_APPS, *[f"plugins.{name}.piccolo_app" for name in _settings.enabled_plugins]]
)
