"""What a plugin may import from the kernel: this module, and nothing else of ``synetune``.

Everything a plugin implements (schedulers, searchers, backends, callbacks, blackboxes, the
config-space domains, the tuning context) lives in ``synetune_sdk``. The kernel adds only the
services below, which exist once per process: looking up other plugins' components by name,
where experiments are stored, and the command line for testing a plugin's sub-commands. Names
here are stable; the rest of the kernel is private and may change in any release.
"""

from __future__ import annotations

from typing import Any

from synetune.registry import REGISTRIES, AmbiguousNameError, UnknownNameError, resolve
from synetune.results import experiment_path, experiment_root, read_events

__all__ = [
    "AmbiguousNameError",
    "UnknownNameError",
    "cli",
    "create",
    "experiment_path",
    "experiment_root",
    "names",
    "read_events",
    "resolve",
]


def create(kind: str, name: str, **kwargs: Any) -> Any:
    """Build the component another plugin registered as ``name`` (declare that plugin's
    distribution as a dependency). ``kind``: schedulers, searchers, backends, callbacks,
    blackboxes."""
    return REGISTRIES[kind].create(name, **kwargs)


def names(kind: str) -> list[str]:
    """Names registered for ``kind`` by the installed plugins."""
    return REGISTRIES[kind].names()


def cli() -> Any:
    """The ``synetune`` click group with every plugin's sub-commands (for CliRunner tests)."""
    from synetune.cli import cli as group
    from synetune.plugins import get_plugin_manager

    get_plugin_manager().call_commands_hook(group)
    return group
