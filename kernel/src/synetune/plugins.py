"""Plugin discovery: entry points in group ``synetune``, loaded lazily and one at a time."""

# Each entry point is imported in its own try/except and each plugin's hooks are called
# separately, so a broken plugin is recorded with its error (``synetune plugins`` shows it) while
# everything else keeps working. "Broken" includes ``sys.exit()`` (``SystemExit``) and any other
# ``BaseException`` but ``KeyboardInterrupt`` raised while the plugin imports or registers.
#
# Plugins are keyed by *distribution* name (``synetune-plugin-fifo``), not entry-point name, so
# two distributions whose entry points share a name both load. A short name (or alias, any case)
# registered by several plugins resolves to the one first-party plugin among them, if there is
# exactly one: first-party means a distribution named ``synetune-plugin-<name>``, a prefix
# reserved for the distributions of the synetune repository (third parties name theirs
# otherwise, e.g. ``synetune-hillclimb``). Otherwise the short name is ambiguous and must be
# qualified as ``<plugin>/<name>``. Every clash is listed by ``synetune plugins`` (and
# ``clashes()``). Environment switches:
#
# * ``SYNETUNE_LOAD_PLUGINS=a,b``: load only these plugins (entry-point or distribution names;
#   empty string: none);
# * ``SYNETUNE_DISABLE_PLUGINS=a,b``: never import these;
# * ``SYNETUNE_STRICT_PLUGINS=1``: re-raise plugin errors instead of recording them (CI).

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from synetune import hookspecs

ENTRY_POINT_GROUP = "synetune"
# distributions named like this win a short-name clash against the others (see the docstring)
FIRST_PARTY_PREFIX = "synetune-plugin-"
KINDS = (
    "schedulers",
    "searchers",
    "backends",
    "callbacks",
    "blackboxes",
    "blackbox_repositories",
    "experiment_stores",
    "benchmarks",
)
_HOOK_OF_KIND = {kind: f"register_{kind}" for kind in KINDS} | {
    "blackboxes": "register_blackbox_recipes"
}


@dataclass
class PluginInfo:
    """What ``synetune plugins`` reports about one plugin."""

    name: str
    version: str | None = None
    module: str | None = None
    hooks: list[str] = field(default_factory=list)
    provides: dict[str, list[str]] = field(default_factory=dict)
    # kind -> name -> its aliases (Syne Tune's class names), for names that have some
    aliases: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    error: str | None = None
    entry_point: str | None = None
    # one line per short name this plugin shares with others: who wins, how to reach it
    clashes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "hooks": self.hooks,
            "provides": self.provides,
        }
        if self.aliases:
            out["aliases"] = self.aliases
        if self.error:
            out["error"] = self.error
        if self.clashes:
            out["clashes"] = self.clashes
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


def is_first_party(distribution: str | None) -> bool:
    # named synetune-plugin-<name> (any case, _ or . for -): wins a short-name clash
    if not distribution:
        return False
    normalized = distribution.lower().replace("_", "-").replace(".", "-")
    return normalized.startswith(FIRST_PARTY_PREFIX)


def clash_winner(distributions: list[str]) -> str | None:
    """The only first-party one of ``distributions`` (None: the short name is ambiguous)."""
    first_party = [d for d in distributions if is_first_party(d)]
    return first_party[0] if len(first_party) == 1 else None


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


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
        found = []
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            dist_name = (dist.metadata["Name"] if dist is not None else None) or ep.name
            found.append((dist_name, ep.name, ep, dist))
        for dist_name, ep_name, ep, dist in sorted(found, key=lambda item: item[:2]):
            names = {ep_name, dist_name}
            if names & block or (allow is not None and not names & allow):
                continue
            # keyed by distribution: two distributions with one entry-point name both load
            key = dist_name
            if key in self.infos:
                if self.infos[key].entry_point == ep_name:
                    continue  # the same distribution found twice on the path
                key = f"{dist_name}:{ep_name}"  # a distribution with several entry points
            version = dist.version if dist is not None else None
            self._register_module(
                lambda ep=ep: ep.load(),
                name=key,
                dist_name=dist_name,
                version=version,
                entry_point=ep_name,
            )

    def register(
        self, plugin: ModuleType | object, name: str | None = None, version: str | None = None
    ) -> None:
        """Register an in-process plugin (a module or object with hook functions)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        self._register_module(lambda: plugin, name=name, dist_name=name, version=version)

    def _register_module(
        self,
        load: Any,
        name: str,
        dist_name: str,
        version: str | None,
        entry_point: str | None = None,
    ) -> None:
        info = PluginInfo(name=dist_name, version=version, entry_point=entry_point)
        self.infos[name] = info
        try:
            module = load()
            info.module = getattr(module, "__name__", None)
            self.pm.register(module, name=name)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # sys.exit() included: a broken plugin stays contained
            info.error = _describe(err)
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
        self._call_each(_HOOK_OF_KIND[kind], lambda plugin: {"register": register_for(plugin)})

    def call_commands_hook(self, cli: Any) -> None:
        self._call_each("register_commands", lambda plugin: {"cli": cli})

    def _call_each(self, hook_name: str, arguments: Any) -> None:
        self.load_entry_points()
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            try:
                impl.function(**arguments(impl.plugin_name))
            except KeyboardInterrupt:
                raise
            except BaseException as err:
                message = f"{hook_name} raised {_describe(err)}"
                info = self.infos.get(impl.plugin_name)
                if info is not None:
                    info.error = message
                if strict():
                    raise PluginError(f"plugin {impl.plugin_name!r}: {message}") from err


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
    aliases: dict[str, dict[str, dict[str, list[str]]]] = {}
    for kind in KINDS:
        for entry in registry.REGISTRIES[kind].entries().values():
            by_plugin.setdefault(entry.plugin, {}).setdefault(kind, []).append(entry.name)
            if entry.aliases:
                by_kind = aliases.setdefault(entry.plugin, {}).setdefault(kind, {})
                by_kind[entry.name] = [*entry.aliases]
    lines: dict[str, list[str]] = {}
    for clash in clashes():
        where = f"{clash['kind']} {clash['name']!r}"
        winner = clash["winner"]
        for plugin in clash["plugins"]:
            others = ", ".join(p for p in clash["plugins"] if p != plugin)
            if plugin == winner:
                line = f"{where}: wins over {others}"
            elif winner is not None:
                line = f"{where}: {winner} wins, use '{plugin}/{clash['name']}' for this plugin's"
            else:
                line = f"{where}: ambiguous with {others}, qualify it as '{plugin}/{clash['name']}'"
            lines.setdefault(plugin, []).append(line)
    out = []
    for key, info in sorted(manager.infos.items(), key=lambda item: item[1].name):
        info.provides = {k: sorted(v) for k, v in by_plugin.get(key, {}).items()}
        info.aliases = aliases.get(key, {})
        info.clashes = lines.get(key, [])
        out.append(info)
    return out


def clashes() -> list[dict[str, Any]]:
    """Every short name (or alias; lower case) registered by several plugins of one kind:
    ``kind``, ``name``, the ``plugins`` (sorted) and the ``winner`` the short name resolves to
    (None: ambiguous, it must be qualified as ``<plugin>/<name>``)."""
    from synetune import registry

    get_plugin_manager()
    out = []
    for kind in KINDS:
        for name, entries in sorted(registry.REGISTRIES[kind]._by_short_name().items()):
            plugins_ = sorted({e.plugin for e in entries})
            if len(plugins_) > 1:
                winner = clash_winner([distribution(p) for p in plugins_])
                winner_key = next((p for p in plugins_ if distribution(p) == winner), None)
                out.append({"kind": kind, "name": name, "plugins": plugins_, "winner": winner_key})
    return out


def distribution(plugin: str) -> str:
    """The distribution name of the plugin registered under key ``plugin``."""
    info = get_plugin_manager().infos.get(plugin)
    return info.name if info is not None else plugin


def errors() -> dict[str, str]:
    return {info.name: info.error for info in list() if info.error}
