"""Piccolo configuration for Piccolo's own machinery (`valvomo migrations new|check` and
`valvomo migrate` use it; so can the `piccolo` command with PICCOLO_CONF=core.piccolo_conf).

It registers core's apps and the app of every installed plugin that valvomo.toml enables,
found through the `valvomo.plugins` entry points, so an outside plugin is handled like a
built-in one. At run time `core.db.Database.migrate` replaces DB and APP_REGISTRY with the
engine and the apps of the running configuration.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from core.config import load_settings
from core.db import CORE_APPS, create_engine
from core.plugins.host import enabled_piccolo_apps

_settings = load_settings()
DB: Engine = create_engine(_settings.database_url)
APP_REGISTRY = AppRegistry(apps=[*CORE_APPS, *enabled_piccolo_apps(_settings.enabled_plugins)])
