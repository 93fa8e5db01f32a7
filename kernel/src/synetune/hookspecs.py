"""The hooks a synetune plugin can implement (decorate functions with ``synetune_sdk.hookimpl``)."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("synetune")


@hookspec
def register_schedulers(register: Any) -> None:
    """Register schedulers: ``register(name, factory, summary=...)``."""


@hookspec
def register_searchers(register: Any) -> None:
    """Register searchers: ``register(name, factory, summary=...)``."""


@hookspec
def register_backends(register: Any) -> None:
    """Register trial backends: ``register(name, factory, summary=...)``."""


@hookspec
def register_callbacks(register: Any) -> None:
    """Register tuner callbacks: ``register(name, factory, summary=...)``."""


@hookspec
def register_blackbox_recipes(register: Any) -> None:
    """Register blackbox recipes: ``register(name, factory, summary=...)``."""


@hookspec
def register_blackbox_repositories(register: Any) -> None:
    """Register the blackbox repository behind ``synetune.blackboxes.load``/``generate``."""


@hookspec
def register_experiment_stores(register: Any) -> None:
    """Register ``fetch(name, root) -> Path | None`` for experiments that are not local."""


@hookspec
def register_benchmarks(register: Any) -> None:
    """Register named benchmarks, definitions for experiment studies: ``register(name, factory)``."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add sub-commands to the ``synetune`` click group ``cli``."""
