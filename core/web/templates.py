"""One Jinja2 environment: region theme → default theme → core and plugin templates."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, MutableMapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from core import i18n
from core.config import PROJECT_ROOT, ConfigError, Settings
from core.labels import label, tone
from core.plugins.host import PluginHost
from core.web.notices import take_notices
from core.web.theme_contrast import MINIMUM, contrast_problems, theme_colours

THEMES_DIR = PROJECT_ROOT / "themes"
CORE_TEMPLATE_DIRS = [
    PROJECT_ROOT / "core" / area / "templates"
    for area in (
        "identity",
        "customers",
        "audit",
        "tasks",
        "web",
        "billing",
        "notifications",
        "citizen",
    )
]


def theme_dir(settings: Settings) -> Path:
    """A theme is a name under themes/ or a path to a region's own theme folder."""
    candidate = Path(settings.theme)
    return candidate if candidate.is_absolute() else THEMES_DIR / settings.theme


def static_dirs(settings: Settings) -> list[Path]:
    dirs = [theme_dir(settings) / "static", THEMES_DIR / "default" / "static"]
    return [d for d in dict.fromkeys(dirs) if d.is_dir()]


def check_region_logo(settings: Settings) -> None:
    """Refuse to start when `[region] logo` names no file of the theme's static folders."""
    name = settings.region_logo
    if not name:
        return
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise ConfigError(f"[region] logo must be a file name in the theme's static folder: {name}")
    if not any((folder / name).is_file() for folder in static_dirs(settings)):
        folders = ", ".join(str(folder) for folder in static_dirs(settings))
        raise ConfigError(f"[region] logo {name!r} is not in the theme's static folder ({folders})")


def check_theme_contrast(settings: Settings) -> None:
    """Refuse to start with a theme whose colours make text hard to read (below WCAG AA)."""
    sheets = [THEMES_DIR / "default" / "static" / "style.css"]
    sheets += [folder / "theme.css" for folder in reversed(static_dirs(settings))]
    problems = contrast_problems(theme_colours(sheets))
    if problems:
        raise ConfigError(
            f"theme {settings.theme!r}: colours below the contrast of {MINIMUM}:1 that text "
            "needs (WCAG AA): " + "; ".join(problems)
        )


# (language, catalogue generation, message) → the message as a template shows it, without variables
_READY_MESSAGES: dict[tuple[str, int, str], Markup] = {}


@pass_eval_context
def _template_gettext(eval_context: EvalContext, message: str, /, **variables: Any) -> str:
    """`_()` and `gettext()` in templates, as jinja2.ext.i18n's new-style gettext: the text
    marked safe where the template escapes, and always formatted with `variables` ("%%" is
    "%"), the variables escaped."""
    if not variables and eval_context.autoescape:  # most messages: kept ready per language
        key = (i18n.current_language.get(), i18n.generation(), message)
        ready = _READY_MESSAGES.get(key)
        if ready is None:
            ready = Markup(i18n.gettext(message)) % {}  # noqa: S704 (catalogue text)
            if len(_READY_MESSAGES) < 20_000:
                _READY_MESSAGES[key] = ready
        return ready
    text: str = i18n.gettext(message)
    if eval_context.autoescape:
        text = Markup(text)  # noqa: S704 (catalogue text, as jinja2.ext.i18n marks it)
    return text % variables


@pass_eval_context
def _template_ngettext(
    eval_context: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    """`ngettext()` in templates, as jinja2.ext.i18n's new-style ngettext (`num` is a
    variable too)."""
    variables.setdefault("num", num)
    text: str = i18n.ngettext(singular, plural, num)
    if eval_context.autoescape:
        text = Markup(text)  # noqa: S704 (catalogue text, as jinja2.ext.i18n marks it)
    return text % variables


class _Environment(Environment):
    """A template's globals are the environment's globals themselves rather than a `ChainMap`
    over them: Jinja2 copies a template's globals into every render's context and into the set
    of their names, and compares those names with the imported template's on every `{% from
    ... import %}`; over a `ChainMap` each key is looked up map by map (a few per cent of a
    page's CPU time: a page renders about ten templates). No template here has globals of its
    own, and all globals are set when the environment is built (here and by Litestar's
    engine), before any template is loaded."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return super().make_globals(d) if d else self.globals


class _FileSystemLoader(FileSystemLoader):
    """Checks whether a template changed on disk at most once a second (Jinja2 stats the
    file every time a render loads it, its layout, its macros and each panel): an edited
    template is still picked up without a restart."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        checked = [time.monotonic()]

        def seldom_checked() -> bool:
            now = time.monotonic()
            if now - checked[0] < 1.0:
                return True
            checked[0] = now
            return uptodate()

        return source, filename, seldom_checked


def build_environment(settings: Settings, host: PluginHost) -> Environment:
    check_region_logo(settings)
    check_theme_contrast(settings)
    search = [theme_dir(settings) / "templates", THEMES_DIR / "default" / "templates"]
    search += CORE_TEMPLATE_DIRS + host.template_dirs()
    loader = ChoiceLoader([_FileSystemLoader(str(p)) for p in dict.fromkeys(search) if p.is_dir()])
    env = _Environment(
        loader=loader,
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    # The extension's callables do the same through three `Context.call`s per message (its
    # `_` alias, its wrapper, then the function); a page such as the customer page shows about
    # 90 messages, and these calls were the largest share of its template CPU.
    env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
    env.filters.update(
        date=i18n.fmt_date,
        date_weekday=i18n.fmt_date_weekday,
        date_field=i18n.fmt_date_field,
        month=i18n.fmt_month,
        datetime=i18n.fmt_datetime,
        time=i18n.fmt_time,
        money=i18n.fmt_money,
        number=i18n.fmt_number,
        phone=i18n.fmt_phone,
        label=_label_filter,
        tone=_tone_filter,
        shown_value=shown_value,
        label_list=_label_list_filter,
    )
    env.globals.update(
        region_name=settings.region_name,
        public_site_name=settings.public_site_name,
        region_logo=settings.region_logo,
        region_contact_phone=settings.region_contact_phone,
        region_contact_email=settings.region_contact_email,
        language=i18n.current_language.get,
        notices=take_notices,
        option_tags=option_tags,
        main_navigation=main_navigation,
    )
    return env


def main_navigation(navigation: Sequence[Any], current_path: str, wide: bool) -> Markup:
    """The main menu's `<li>`s: the dashboard, each link and each group of links (`MenuEntry`s
    of core.web.pages), the current one marked. Built once per language, menu, current place
    and width and then reused: written by the template, the menu (twice on every page, about
    thirty links) was a fifth of a page's CPU time."""
    paths = {item.path for entry in navigation for item in (entry.items or (entry,))}
    current = frozenset(path for path in paths if current_path.startswith(path))
    return _main_navigation(
        i18n.current_language.get(), i18n.generation(), tuple(navigation), current,
        current_path == "/", wide,
    )  # fmt: skip


ARIA_PAGE, ARIA_TRUE = 'aria-current="page"', 'aria-current="true"'


@lru_cache(maxsize=2048)
def _main_navigation(
    language: str,
    generation: int,
    navigation: tuple[Any, ...],
    current: frozenset[str],
    at_root: bool,
    wide: bool,
) -> Markup:
    # Translations are trusted text, as `_()` in a template gives them; paths are escaped.
    def link(item: Any) -> str:
        marked = ARIA_PAGE if item.path in current else ""
        return f'<a href="{escape(item.path)}" {marked}>{i18n.gettext(item.label)}</a>'

    root = ARIA_PAGE if at_root else ""
    parts = [f'<li><a href="/" {root}>{i18n.gettext("Dashboard")}</a></li>']
    for entry in navigation:
        if not entry.items:
            parts.append(f"<li>{link(entry)}</li>")
            continue
        name = i18n.gettext(entry.label)
        if wide:
            held = ARIA_TRUE if any(item.path in current for item in entry.items) else ""
            head, tail = f"<details><summary {held}>{name}</summary>", "</details>"
        else:
            head, tail = f'<span class="nav-group__name">{name}</span>', ""
        links = "".join(f"<li>{link(item)}</li>" for item in entry.items)
        parts.append(f'<li class="nav-group">{head}<ul>{links}</ul>{tail}</li>')
    return Markup("\n".join(parts))  # noqa: S704 (paths escaped, translations trusted)


def option_tags(options: Any, selected: object) -> Markup:
    """The `<option>`s of a select (the `select` macro), `selected` marked: built once per set
    of options, since a select of the region's municipalities or units has hundreds of them and
    rendering each through the template was much of a page's time."""
    chosen = str(selected)
    try:
        parts = _option_parts(tuple(tuple(o) for o in options))
    except TypeError:  # unhashable options: built each time
        parts = _option_parts.__wrapped__(tuple(tuple(o) for o in options))
    return Markup(  # noqa: S704 (every value and text was escaped in _option_parts)
        "\n".join(
            f"{start} selected{end}" if value == chosen else f"{start} {end}"
            for value, start, end in parts
        )
    )


@lru_cache(maxsize=256)
def _option_parts(options: tuple[tuple[Any, Any], ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (str(value), f'<option value="{escape(value)}"', f">{escape(text)}</option>")
        for value, text in options
    )


def _label_filter(code: object, kind: str) -> str:
    """`{{ service.status|label("meals.service_status") }}`: the code's name, translated."""
    return label(kind, code)


def _tone_filter(code: object, kind: str) -> str:
    """`{{ status_tag(s|label("meals.service_status"), s|tone("meals.service_status")) }}`."""
    return tone(kind, code)


def _label_list_filter(codes: object, kind: str) -> str:
    """Several codes (a list or "a,b") by name: `{{ user.roles|label_list("role") }}`."""
    items = codes.split(",") if isinstance(codes, str) else list(codes or [])  # type: ignore[call-overload]
    return ", ".join(
        label(kind, code.strip() if isinstance(code, str) else code) for code in items if code
    )


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def shown_value(value: object) -> str:
    """A stored value as a person reads it (the conflict page): dates, yes/no, region terms."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return i18n.gettext("Yes") if value else i18n.gettext("No")
    if isinstance(value, list | tuple):
        return ", ".join(shown_value(v) for v in value)
    if not isinstance(value, str):
        return str(i18n.fmt_value(value))
    if _ISO_DATE.match(value):
        return i18n.fmt_date_field(value)
    return i18n.gettext(value) if _CODE.match(value) else value
