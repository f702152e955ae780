"""Plugin discovery (entry points), enabling from valvomo.toml, and calling hooks safely."""

from __future__ import annotations

import asyncio
import difflib
import importlib
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from litestar.exceptions import HTTPException

from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.config import Settings
from core.plugins import hookspecs

ENTRY_POINT_GROUP = "valvomo.plugins"
# Core areas register their hooks like plugins do; an area with hooks appends its module here.
CORE_HOOK_MODULES = (
    "core.builtin_hooks",
    "core.billing.hooks",
    "core.notifications.hooks",
    "core.situation.hooks",
)


class PluginError(Exception):
    """A plugin could not be found, loaded or configured; the message names it."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"Plugin {plugin!r}: {message}")
        self.plugin = plugin


class PluginConfigError(Exception):
    """Raised by a plugin's `valvomo_configure` for invalid settings."""


# Errors a hook raises on purpose (a refusal a page shows) reach the caller as they are.
PASSED_THROUGH = (
    PluginError, PluginConfigError, ValidationFailed, VersionConflict, NotFound, HTTPException
)  # fmt: skip


@dataclass(frozen=True)
class InstalledPlugin:
    name: str
    module: str
    version: str
    distribution: str
    enabled: bool


def installed_plugins(enabled: Iterable[str] = ()) -> list[InstalledPlugin]:
    """Every plugin registered in the `valvomo.plugins` entry-point group."""
    enabled_names = set(enabled)
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        found.append(
            InstalledPlugin(
                name=ep.name,
                module=ep.value,
                version=dist.version if dist else "?",
                distribution=dist.metadata["Name"] if dist else "?",
                enabled=ep.name in enabled_names,
            )
        )
    return sorted(found, key=lambda p: p.name)


def enabled_piccolo_apps(enabled: Iterable[str]) -> list[str]:
    """The Piccolo apps of the enabled, installed plugins, found by entry point without
    starting the plugins (no `valvomo_configure`): for Piccolo's own configuration."""
    apps = []
    for plugin in installed_plugins(enabled):
        if plugin.enabled:
            hook = getattr(importlib.import_module(plugin.module), "valvomo_piccolo_app", None)
            if hook is not None:
                apps.append(str(hook()))
    return apps


class PluginHost:
    """The pluggy manager holding core's own hooks and the enabled plugins."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pm = pluggy.PluginManager("valvomo")
        self.pm.add_hookspecs(hookspecs)
        for module_name in CORE_HOOK_MODULES:
            self.pm.register(importlib.import_module(module_name), name=module_name)
        self.plugins = self._load_enabled()

    def _load_enabled(self) -> list[InstalledPlugin]:
        available = {p.name: p for p in installed_plugins(self.settings.enabled_plugins)}
        for name in self.settings.plugin_settings:
            if name not in self.settings.enabled_plugins:
                raise PluginError(
                    name,
                    "has settings in valvomo.toml but is disabled; add it to "
                    "[plugins] enabled or remove its [plugins." + name + "] table",
                )
        loaded = []
        for name in self.settings.enabled_plugins:
            if name not in available:
                known = ", ".join(sorted(available)) or "none"
                raise PluginError(
                    name, f"is enabled in valvomo.toml but not installed (installed: {known})"
                )
            module = self._import(available[name])
            check_hook_implementations(self.pm, name, module)
            self.pm.register(module, name=name)
            self._configure(name, module)
            loaded.append(available[name])
        try:
            self.pm.check_pending()  # hooks nobody specified (the check above names them first)
        except pluggy.PluginValidationError as exc:
            raise PluginError(self.pm.get_name(exc.plugin) or "?", str(exc)) from exc
        return loaded

    def reconfigure(self) -> None:
        """Hand each enabled plugin its settings again: plugins keep them process-wide, and
        another host started in the same process (a test, a one-off command) replaced them."""
        for plugin in self.plugins:
            module = self.pm.get_plugin(plugin.name)
            if module is not None:
                self._configure(plugin.name, module)

    @staticmethod
    def _import(plugin: InstalledPlugin) -> ModuleType:
        try:
            return importlib.import_module(plugin.module)
        except Exception as exc:
            raise PluginError(plugin.name, f"failed to load ({type(exc).__name__}: {exc})") from exc

    def _configure(self, name: str, module: ModuleType) -> None:
        configure = getattr(module, "valvomo_configure", None)
        if configure is None:
            return
        try:
            configure(settings=self.settings.settings_for(name))
        except PluginConfigError as exc:
            raise PluginError(name, f"invalid settings: {exc}") from exc
        except Exception as exc:
            raise PluginError(name, f"failed to start ({type(exc).__name__}: {exc})") from exc

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def collect(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a static hook of every plugin and flatten the lists they return."""
        results: list[Any] = []
        for plugin_name, value in self._call_each(hook_name, kwargs):
            if inspect.isawaitable(value):
                raise PluginError(plugin_name, f"{hook_name} must not be async")
            results.extend(value if isinstance(value, list | tuple) else [value])
        return results

    async def acollect(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook that may return awaitables; await them and flatten the lists."""
        return _flatten([value for _, value in await self.acollect_each(hook_name, **kwargs)])

    async def acollect_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """`acollect`, keeping which plugin returned what: (plugin name, value) pairs."""
        values = self._call_each(hook_name, kwargs)
        results = []
        try:
            for plugin_name, value in values:
                if inspect.isawaitable(value):
                    value = await _named(plugin_name, hook_name, value)
                results.append((plugin_name, value))
        except BaseException:
            # The other plugins' coroutines were created but will not run: close them, so that
            # an error reaches the user without "coroutine was never awaited" warnings.
            for _, value in values:
                if inspect.iscoroutine(value):
                    value.close()
            raise
        return results

    async def acollect_concurrently(
        self,
        hook_name: str,
        run_each: Callable[[Awaitable[Any]], Awaitable[Any]],
        **kwargs: Any,
    ) -> list[Any]:
        """`acollect` for independent implementations: their awaitables run at the same time.

        Each runs through `run_each`, which gives it what it needs of its own (a database
        connection); results keep the order `acollect` would give them.
        """
        values = self._call_each(hook_name, kwargs)
        runs = [run_each(v) if inspect.isawaitable(v) else _ready(v) for _, v in values]
        tasks = [
            asyncio.ensure_future(_named(name, hook_name, run))
            for (name, _), run in zip(values, runs, strict=True)
        ]
        try:
            return _flatten(await asyncio.gather(*tasks))
        except BaseException:
            # One failed: stop the others and wait for them, so none goes on using the
            # request's database connection after the request has given it back to the pool;
            # those stopped before they began are closed (no "never awaited" warnings).
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for awaitable in [*runs, *(value for _, value in values)]:
                if inspect.iscoroutine(awaitable):
                    awaitable.close()
            raise

    def _call_each(self, hook_name: str, kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook_name)
        results = []
        for impl in reversed(caller.get_hookimpls()):
            args = {name: kwargs[name] for name in impl.argnames}
            try:
                value = impl.function(**args)
            except PASSED_THROUGH:
                raise
            except Exception as exc:
                raise PluginError(
                    impl.plugin_name, f"{hook_name} failed ({type(exc).__name__}: {exc})"
                ) from exc
            if value is not None:
                results.append((impl.plugin_name, value))
        return results

    def each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin name, value) of a static hook, for checks that name the plugin."""
        return self._call_each(hook_name, kwargs)

    def piccolo_apps(self) -> list[str]:
        return self.collect("valvomo_piccolo_app")

    def template_dirs(self) -> list[Path]:
        return [Path(p) for p in self.collect("valvomo_template_dir")]

    def locale_dirs(self) -> list[Path]:
        return [Path(p) for p in self.collect("valvomo_locale_dir")]


def _flatten(values: list[Any]) -> list[Any]:
    results: list[Any] = []
    for value in values:
        if value is not None:
            results.extend(value if isinstance(value, list | tuple) else [value])
    return results


async def _ready(value: Any) -> Any:
    return value


async def _named(plugin_name: str, hook_name: str, awaitable: Awaitable[Any]) -> Any:
    """Await a plugin's hook; an unexpected error names the plugin (in the log, too)."""
    try:
        return await awaitable
    except PASSED_THROUGH:
        raise
    except Exception as exc:
        raise PluginError(plugin_name, f"{hook_name} failed ({type(exc).__name__}: {exc})") from exc


def check_hook_implementations(pm: pluggy.PluginManager, name: str, module: ModuleType) -> None:
    """Refuse, naming the plugin and the fix, a hook Valvomo does not have (a misspelling) or
    one that asks for an argument the hook does not give."""
    known = sorted(n for n in vars(hookspecs) if n.startswith("valvomo_"))
    for attribute in dir(module):
        if pm.parse_hookimpl_opts(module, attribute) is None:
            continue
        spec = getattr(hookspecs, attribute, None)
        if spec is None:
            close = difflib.get_close_matches(attribute, known, n=1)
            hint = f"did you mean {close[0]}?" if close else "see docs/plugins.md for the hooks"
            raise PluginError(name, f"{attribute} is not a Valvomo hook; {hint}")
        given = list(inspect.signature(spec).parameters)
        asked = [a for a in inspect.signature(getattr(module, attribute)).parameters]
        if unknown := [a for a in asked if a not in given]:
            raise PluginError(
                name,
                f"{attribute} asks for {', '.join(unknown)}, which the hook does not give; "
                f"it gives {', '.join(given) or 'no arguments'}",
            )
