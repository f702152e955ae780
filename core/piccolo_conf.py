"""Piccolo configuration for the `piccolo` CLI, used by developers to write migrations:

    PICCOLO_CONF=core.piccolo_conf piccolo migrations new meals --auto

It registers core's apps and every built-in plugin's app. At run time
`core.db.Database.migrate` replaces DB and APP_REGISTRY with the engine and the apps of the
running configuration.
"""

from pathlib import Path

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from core.config import PROJECT_ROOT, load_settings
from core.db import CORE_APPS, create_engine

_settings = load_settings()
DB: Engine = create_engine(_settings.database_url)
APP_REGISTRY = AppRegistry(
    apps=[
        *CORE_APPS,
        *[
            f"plugins.{path.parent.name}.piccolo_app"
            for path in sorted(Path(PROJECT_ROOT / "plugins").glob("*/piccolo_app.py"))
        ],
    ]
)
