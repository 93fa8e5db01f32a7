"""Named factories per kind (schedulers, searchers, backends, callbacks, blackboxes, ...)."""

# Plugins register ``name -> factory`` where the factory is a ``"module:attr"`` string (imported
# on first use, so listing plugins never imports heavy dependencies) or a callable, and
# ``aliases`` (Syne Tune's class names); lookups ignore case. A short name claimed by two plugins
# is ambiguous and must be qualified as ``<plugin>/<name>``.

from __future__ import annotations

import difflib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from synetune.plugins import clash_winner, get_plugin_manager


class UnknownNameError(KeyError, ValueError):
    """No plugin registered the requested name."""

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousNameError(ValueError):
    """Two plugins registered the same short name."""


@dataclass
class Entry:
    kind: str
    name: str
    target: str | Callable[..., Any]
    plugin: str
    summary: str = ""
    default: bool = False  # a callback the tuner adds to every run (created without arguments)
    aliases: tuple[str, ...] = ()  # other names it answers to (Syne Tune's class names)

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}/{self.name}"

    @property
    def keys(self) -> set[str]:  # what it is looked up by, in lower case
        return {n.lower() for n in (self.name, *self.aliases)}

    def load(self) -> Callable[..., Any]:
        """The factory itself; a ``"module:attr"`` target is imported now."""
        if callable(self.target):
            return self.target
        module_name, _, attr = self.target.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split(".") if attr else []:
                obj = getattr(obj, part)
        except Exception as err:
            raise ImportError(
                f"{self.kind[:-1]} {self.name!r} of plugin {self.plugin!r} could not be loaded from "
                f"{self.target!r}: {type(err).__name__}: {err}. Check that the plugin and its "
                "dependencies are installed (pip install the plugin's distribution again)."
            ) from err
        return obj


class Registry:
    """One kind of component: ``names()``, ``get(name)``, ``create(name, **kwargs)``."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] | None = None

    @property
    def singular(self) -> str:
        return {
            "blackboxes": "blackbox recipe",
            "experiment_stores": "experiment store",
            "blackbox_repositories": "blackbox repository",
        }.get(self.kind, self.kind[:-1])

    def entries(self) -> dict[str, Entry]:
        """All entries by qualified name ``<plugin>/<name>``."""
        if self._entries is None:
            entries: dict[str, Entry] = {}

            def register_for(plugin: str) -> Callable[..., None]:
                def register(
                    name: str,
                    factory: str | Callable[..., Any],
                    summary: str = "",
                    default: bool = False,
                    aliases: str | tuple[str, ...] | list[str] = (),
                ) -> None:
                    aliases = (aliases,) if isinstance(aliases, str) else tuple(aliases)
                    for key in (name, *aliases):
                        if not isinstance(key, str) or not key or "/" in key:
                            raise ValueError(f"invalid {self.singular} name {key!r}")
                    if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
                        raise ValueError(
                            f"{self.singular} {name!r}: factory must be a callable or a "
                            f"'module:attr' string, got {factory!r}"
                        )
                    entry = Entry(self.kind, name, factory, plugin, summary, bool(default), aliases)
                    entries[entry.qualified_name] = entry

                return register

            get_plugin_manager().call_register_hook(self.kind, register_for)
            self._entries = entries
        return self._entries

    def _by_short_name(self) -> dict[str, list[Entry]]:  # by lower-case name or alias
        out: dict[str, list[Entry]] = {}
        for entry in self.entries().values():
            for key in entry.keys:
                out.setdefault(key, []).append(entry)
        return out

    def _winner(self, entries: list[Entry]) -> Entry | None:
        # a clash resolves to the only first-party (synetune-plugin-*) entry; None: ambiguous
        winner = clash_winner([self._dist_name(e.plugin) or e.plugin for e in entries])
        for entry in entries:
            if (self._dist_name(entry.plugin) or entry.plugin) == winner:
                return entry
        return None

    def names(self) -> list[str]:
        """Registered names; a clash's losers appear qualified as ``<plugin>/<name>``."""
        by_key = self._by_short_name()
        out = []
        for entry in self.entries().values():
            rivals = by_key[entry.name.lower()]
            short = len(rivals) == 1 or self._winner(rivals) is entry
            out.append(entry.name if short else entry.qualified_name)
        return sorted(out)

    def entry(self, name: str) -> Entry:
        """The entry of ``name`` (or alias, any case), or of ``<plugin>/<name>``."""
        # A short name registered by several plugins resolves to the only first-party one among
        # them (synetune.plugins.clash_winner); without one it is ambiguous.
        entries = self.entries()
        if "/" in name:
            plugin, _, short = name.partition("/")
            matches = [
                entry
                for entry in entries.values()
                if short.lower() in entry.keys and plugin in self._plugin_names(entry.plugin)
            ]
            if len(matches) > 1:
                options = ", ".join(repr(e.qualified_name) for e in matches)
                raise AmbiguousNameError(
                    f"{self.singular} name {name!r} matches several plugins; pick one with "
                    f"{options}"
                )
            if not matches:
                raise self._unknown(name)
            return matches[0]
        candidates = self._by_short_name().get(name.lower(), [])
        if len(candidates) > 1:
            winner = self._winner(candidates)
            if winner is not None:
                return winner
            options = ", ".join(repr(e.qualified_name) for e in candidates)
            raise AmbiguousNameError(
                f"{self.singular} name {name!r} is registered by several plugins "
                f"({', '.join(e.plugin for e in candidates)}); pick one with {options}"
            )
        if not candidates:
            raise self._unknown(name)
        return candidates[0]

    def _plugin_names(self, plugin: str) -> set[str]:
        # a qualified name may use the plugin's key, distribution or entry-point name
        info = get_plugin_manager().infos.get(plugin)
        if info is None:
            return {plugin}
        return {plugin, info.name} | ({info.entry_point} if info.entry_point else set())

    def get(self, name: str) -> Callable[..., Any]:
        """The factory (usually a class) registered as ``name``."""
        return self.entry(name).load()

    def create(self, name: str, **kwargs: Any) -> Any:
        """Build the component registered as ``name`` with ``kwargs``."""
        return self.get(name)(**kwargs)

    def summaries(self) -> dict[str, str]:
        return {name: self.entry(name).summary for name in self.names()}

    def __contains__(self, name: str) -> bool:
        try:
            self.entry(name)
        except (UnknownNameError, AmbiguousNameError):
            return False
        return True

    def _dist_name(self, plugin: str) -> str | None:
        info = get_plugin_manager().infos.get(plugin)
        return info.name if info else None

    def _unknown(self, name: str) -> UnknownNameError:
        known = self.names()
        short = name.rpartition("/")[2]
        spelled = {n.lower(): n for e in self.entries().values() for n in (*e.aliases, e.name)}
        close = difflib.get_close_matches(short.lower(), list(spelled), n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(repr(spelled[c]) for c in close)}?" if close else ""
        listing = ", ".join(known) if known else "none (no plugin of this kind is installed)"
        broken = [f"{i.name} ({i.error})" for i in get_plugin_manager().infos.values() if i.error]
        broken_hint = f" Plugins that failed to load: {'; '.join(broken)}." if broken else ""
        dist = known_distribution(self.kind, short) or "synetune-plugin-<name>"
        return UnknownNameError(
            f"unknown {self.singular} {name!r}.{hint} Available: {listing}. Install the plugin "
            f"that provides it (pip install {dist}) or pass an instance instead.{broken_hint}"
        )


KNOWN_NAMES = Path(__file__).with_name("known_names.json")


def known_distribution(kind: str, name: str) -> str | None:
    # The in-repo distribution that registers name (or an alias; any case) for kind, if it is not
    # installed (an installed one is disabled or broken: no install hint then). known_names.json
    # is data written by scripts/gen_known_names.py, so the kernel imports no plugin for this.
    try:
        dist = json.loads(KNOWN_NAMES.read_text(encoding="utf-8")).get(kind, {}).get(name.lower())
        if dist is not None:
            metadata.distribution(dist)
        return None
    except metadata.PackageNotFoundError:
        return dist
    except (OSError, ValueError):
        return None


class BlackboxRegistry(Registry):
    """Blackbox recipes, plus ``load(name)`` and ``generate(name)``."""

    # load and generate are answered by the one installed blackbox repository (kind
    # blackbox_repositories, hook register_blackbox_repositories): its entry is an object or
    # module with load_blackbox(name, **kwargs) and generate_blackbox(name, force=False, **kw).

    def repository(self) -> Any:
        """The installed blackbox repository; an error says what to install if there is none."""
        entries = list(REGISTRIES["blackbox_repositories"].entries().values())
        if not entries:
            raise RuntimeError(
                "no blackbox repository is installed: pip install "
                "synetune-plugin-blackbox-repository"
            )
        if len(entries) > 1:
            names = ", ".join(e.qualified_name for e in entries)
            raise RuntimeError(f"several blackbox repositories are installed ({names}); keep one")
        return entries[0].load()

    def load(self, name: str, **kwargs: Any) -> Any:
        """The blackbox of recipe ``name``, generated on first use (``kwargs`` go to the recipe;
        ``task=`` picks one task of a multi-task blackbox)."""
        return self.repository().load_blackbox(name, **kwargs)

    def generate(self, name: str, force: bool = False, **kwargs: Any) -> Any:
        """Generate recipe ``name`` into the repository if needed; returns its folder."""
        return self.repository().generate_blackbox(name, force=force, **kwargs)


REGISTRIES: dict[str, Registry] = {
    kind: Registry(kind)
    for kind in (
        "schedulers",
        "searchers",
        "backends",
        "callbacks",
        "blackbox_repositories",
        "experiment_stores",
        "benchmarks",
    )
}
REGISTRIES["blackboxes"] = BlackboxRegistry("blackboxes")


def invalidate() -> None:
    """Forget the cached entries (after plugins were registered or removed)."""
    for registry in REGISTRIES.values():
        registry._entries = None


def resolve(kind: str, value: Any, **kwargs: Any) -> Any:
    """``value`` itself if it is an instance, else the component registered under that name."""
    if isinstance(value, str):
        return REGISTRIES[kind].create(value, **kwargs)
    return value


__all__ = [
    "Entry",
    "Registry",
    "BlackboxRegistry",
    "REGISTRIES",
    "UnknownNameError",
    "AmbiguousNameError",
]
