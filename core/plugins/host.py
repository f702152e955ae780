"""Plugin discovery (entry points), enabling from valvomo.toml, and calling hooks safely."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from core.config import Settings
from core.plugins import hookspecs

ENTRY_POINT_GROUP = "valvomo.plugins"
# Core areas register their hooks like plugins do; an area with hooks appends its module here.
CORE_HOOK_MODULES = (
    "core.builtin_hooks",
    "core.billing.hooks",
    "core.notifications.hooks",
)


class PluginError(Exception):
    """A plugin could not be found, loaded or configured; the message names it."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"Plugin {plugin!r}: {message}")
        self.plugin = plugin


class PluginConfigError(Exception):
    """Raised by a plugin's `valvomo_configure` for invalid settings."""


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
            self.pm.register(module, name=name)
            self._configure(name, module)
            loaded.append(available[name])
        return loaded

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
        results: list[Any] = []
        for _, value in self._call_each(hook_name, kwargs):
            if inspect.isawaitable(value):
                value = await value
            if value is None:
                continue
            results.extend(value if isinstance(value, list | tuple) else [value])
        return results

    def _call_each(self, hook_name: str, kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook_name)
        results = []
        for impl in reversed(caller.get_hookimpls()):
            args = {name: kwargs[name] for name in impl.argnames}
            try:
                value = impl.function(**args)
            except (PluginError, PluginConfigError):
                raise
            except Exception as exc:
                raise PluginError(
                    impl.plugin_name, f"{hook_name} failed ({type(exc).__name__}: {exc})"
                ) from exc
            if value is not None:
                results.append((impl.plugin_name, value))
        return results

    def piccolo_apps(self) -> list[str]:
        return self.collect("valvomo_piccolo_app")

    def template_dirs(self) -> list[Path]:
        return [Path(p) for p in self.collect("valvomo_template_dir")]

    def locale_dirs(self) -> list[Path]:
        return [Path(p) for p in self.collect("valvomo_locale_dir")]
