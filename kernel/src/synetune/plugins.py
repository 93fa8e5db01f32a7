"""Plugin discovery: entry points in group ``synetune``, loaded lazily and one at a time.

Each entry point is imported in its own try/except and each plugin's hooks are called
separately, so a broken plugin is recorded with its error (``synetune plugins`` shows it) while
everything else keeps working. Environment switches:

* ``SYNETUNE_LOAD_PLUGINS=a,b``: load only these plugins (entry-point or distribution names;
  empty string: none);
* ``SYNETUNE_DISABLE_PLUGINS=a,b``: never import these;
* ``SYNETUNE_STRICT_PLUGINS=1``: re-raise plugin errors instead of recording them (CI).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from synetune import hookspecs

ENTRY_POINT_GROUP = "synetune"
KINDS = (
    "schedulers",
    "searchers",
    "backends",
    "callbacks",
    "blackboxes",
    "blackbox_repositories",
    "experiment_stores",
)
_HOOK_OF_KIND = {
    "schedulers": "register_schedulers",
    "searchers": "register_searchers",
    "backends": "register_backends",
    "callbacks": "register_callbacks",
    "blackboxes": "register_blackbox_recipes",
    "blackbox_repositories": "register_blackbox_repositories",
    "experiment_stores": "register_experiment_stores",
}


@dataclass
class PluginInfo:
    """What ``synetune plugins`` reports about one plugin."""

    name: str
    version: str | None = None
    module: str | None = None
    hooks: list[str] = field(default_factory=list)
    provides: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "hooks": self.hooks,
            "provides": self.provides,
        }
        if self.error:
            out["error"] = self.error
        return out


class PluginError(RuntimeError):
    """A plugin failed to import or one of its hooks raised (raised only in strict mode)."""


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {item.strip() for item in value.split(",") if item.strip()}


def strict() -> bool:
    return os.environ.get("SYNETUNE_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")


class PluginManager:
    """Wraps a pluggy manager and remembers, per plugin, what it registered or why it failed."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("synetune")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._loaded = False

    def load_entry_points(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        allow = _env_list("SYNETUNE_LOAD_PLUGINS")
        block = _env_list("SYNETUNE_DISABLE_PLUGINS") or set()
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else ep.name
            names = {ep.name, dist_name}
            if names & block or (allow is not None and not names & allow):
                continue
            version = dist.version if dist is not None else None
            self._register_module(
                lambda ep=ep: ep.load(), name=ep.name, dist_name=dist_name, version=version
            )

    def register(
        self, plugin: ModuleType | object, name: str | None = None, version: str | None = None
    ) -> None:
        """Register an in-process plugin (a module or object with hook functions)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        self._register_module(lambda: plugin, name=name, dist_name=name, version=version)

    def _register_module(self, load: Any, name: str, dist_name: str, version: str | None) -> None:
        info = PluginInfo(name=dist_name, version=version)
        self.infos[name] = info
        try:
            module = load()
            info.module = getattr(module, "__name__", None)
            self.pm.register(module, name=name)
        except Exception as err:  # a broken plugin must not take the kernel down
            info.error = f"{type(err).__name__}: {err}"
            if strict():
                raise PluginError(f"plugin {dist_name!r} failed to load: {info.error}") from err
            return
        info.hooks = sorted(
            hook.name
            for hook in self.pm.get_hookcallers(module) or []
            if hook.name.startswith("register_")
        )

    def call_register_hook(self, kind: str, register_for: Any) -> None:
        """Call each plugin's ``register_<kind>`` hook separately; ``register_for(plugin)``
        returns the ``register`` callback that records entries under that plugin's name."""
        self.load_entry_points()
        hook_name = _HOOK_OF_KIND[kind]
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            info = self.infos.get(impl.plugin_name)
            try:
                impl.function(register=register_for(impl.plugin_name))
            except Exception as err:
                message = f"{hook_name} raised {type(err).__name__}: {err}"
                if info is not None:
                    info.error = message
                if strict():
                    raise PluginError(f"plugin {impl.plugin_name!r}: {message}") from err

    def call_commands_hook(self, cli: Any) -> None:
        self.load_entry_points()
        for impl in reversed(self.pm.hook.register_commands.get_hookimpls()):
            try:
                impl.function(cli=cli)
            except Exception as err:
                info = self.infos.get(impl.plugin_name)
                if info is not None:
                    info.error = f"register_commands raised {type(err).__name__}: {err}"
                if strict():
                    raise PluginError(f"plugin {impl.plugin_name!r}: {err}") from err


_manager: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, created (and entry points loaded) on first use."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
        _manager.load_entry_points()
    return _manager


def register(plugin: ModuleType | object, name: str | None = None) -> None:
    """Register an in-process plugin module or object (tests, notebooks, scripts)."""
    from synetune import registry

    get_plugin_manager().register(plugin, name=name)
    registry.invalidate()


def unregister(name: str) -> None:
    from synetune import registry

    manager = get_plugin_manager()
    plugin = manager.pm.get_plugin(name)
    if plugin is not None:
        manager.pm.unregister(plugin, name=name)
    manager.infos.pop(name, None)
    registry.invalidate()


def reset() -> None:
    """Forget all plugins; the next use rediscovers entry points (for tests)."""
    global _manager
    from synetune import registry

    _manager = None
    registry.invalidate()


def list() -> list[PluginInfo]:  # noqa: A001 - the user-facing name is synetune.plugins.list()
    """Every discovered plugin with its version, hooks, what it provides and its error."""
    from synetune import registry

    manager = get_plugin_manager()
    for kind in KINDS:
        registry.REGISTRIES[kind].entries()  # make sure every register hook ran
    by_plugin: dict[str, dict[str, list[str]]] = {}
    for kind in KINDS:
        for entry in registry.REGISTRIES[kind].entries().values():
            by_plugin.setdefault(entry.plugin, {}).setdefault(kind, []).append(entry.name)
    out = []
    for key, info in sorted(manager.infos.items(), key=lambda item: item[1].name):
        info.provides = {k: sorted(v) for k, v in by_plugin.get(key, {}).items()}
        out.append(info)
    return out


def errors() -> dict[str, str]:
    return {info.name: info.error for info in list() if info.error}
