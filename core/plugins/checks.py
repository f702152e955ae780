"""Start-up checks for mistakes a plugin would otherwise show only at request time, each
raising `PluginError` with the plugin's name and the fix."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from litestar import Litestar

from core.plugins.host import PluginError, PluginHost


def template_names(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def check_template_shadowing(host: PluginHost, core_dirs: Iterable[Path]) -> None:
    """A plugin's template with the name of core's or another plugin's would replace it for
    every page (themes may override on purpose; plugins may not)."""
    found = [(name, Path(folder)) for name, folder in host.each("valvomo_template_dir")]
    core_folders = [*core_dirs, *(folder for name, folder in found if name.startswith("core."))]
    owners: dict[str, str] = {}
    for folder in core_folders:
        if folder.is_dir():
            owners.update(dict.fromkeys(template_names(folder), "core"))
    order = [plugin.name for plugin in host.plugins]  # the later one in valvomo.toml is blamed
    for plugin_name, folder in sorted(
        (f for f in found if f[0] in order), key=lambda f: order.index(f[0])
    ):
        if not folder.is_dir():
            continue
        for name in sorted(template_names(folder)):
            if (owner := owners.setdefault(name, plugin_name)) != plugin_name:
                theirs = "core's" if owner == "core" else f"plugin {owner!r}'s"
                raise PluginError(
                    plugin_name,
                    f"template {name} has the name of {theirs} and would replace it; "
                    f"put the plugin's templates under templates/{plugin_name}/",
                )


def _plugin_of(handler: Any, host: PluginHost) -> str:
    module = getattr(handler.fn, "__module__", "") or ""
    for plugin in host.plugins:
        if module == plugin.module or module.startswith(plugin.module + "."):
            return plugin.name
    return "core"


def check_route_access(app: Litestar, host: PluginHost) -> None:
    """Every route declares `opt={"permission": ...}` or `opt={"public": True}`; core's guard
    refuses anything else, which would be a silent 403 for every user."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            opt = handler.opt
            if opt.get("permission") or opt.get("public") is True:
                continue
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                continue
            raise PluginError(
                _plugin_of(handler, host),
                f"route {route.path} has no access rule; add opt={{'permission': "
                "'<plugin>.<permission>'}} to its handler or controller, or "
                "opt={'public': True} for a page anyone may open",
            )


async def check_schema(host: PluginHost) -> None:
    """The tables of every enabled plugin (and core) match its migrations; otherwise the first
    request that touches a new column fails."""
    from core.plugins.tooling import owned_apps, schema_differences

    for app in owned_apps(host):
        if await schema_differences(app.config):
            raise PluginError(
                app.owner,
                f"the tables of app {app.config.app_name!r} differ from its migrations; "
                f"run `valvomo migrations new {app.owner}`, then `valvomo migrate`",
            )
