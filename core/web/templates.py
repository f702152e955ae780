"""One Jinja2 environment: region theme → default theme → core and plugin templates."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from core import i18n
from core.config import PROJECT_ROOT, Settings
from core.plugins.host import PluginHost

THEMES_DIR = PROJECT_ROOT / "themes"
CORE_TEMPLATE_DIRS = [
    PROJECT_ROOT / "core" / area / "templates"
    for area in ("identity", "customers", "audit", "tasks", "web", "billing", "notifications")
]


def theme_dir(settings: Settings) -> Path:
    """A theme is a name under themes/ or a path to a region's own theme folder."""
    candidate = Path(settings.theme)
    return candidate if candidate.is_absolute() else THEMES_DIR / settings.theme


def static_dirs(settings: Settings) -> list[Path]:
    dirs = [theme_dir(settings) / "static", THEMES_DIR / "default" / "static"]
    return [d for d in dict.fromkeys(dirs) if d.is_dir()]


def build_environment(settings: Settings, host: PluginHost) -> Environment:
    search = [theme_dir(settings) / "templates", THEMES_DIR / "default" / "templates"]
    search += CORE_TEMPLATE_DIRS + host.template_dirs()
    loader = ChoiceLoader([FileSystemLoader(str(p)) for p in dict.fromkeys(search) if p.is_dir()])
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.filters.update(
        date=i18n.fmt_date,
        datetime=i18n.fmt_datetime,
        time=i18n.fmt_time,
        money=i18n.fmt_money,
        number=i18n.fmt_number,
        phone=i18n.fmt_phone,
    )
    env.globals.update(region_name=settings.region_name, language=i18n.current_language.get)
    return env
