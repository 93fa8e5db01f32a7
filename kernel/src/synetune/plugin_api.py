"""What a plugin may import from the kernel: this module, and nothing else of ``synetune``.

Everything a plugin implements (schedulers, searchers, backends, callbacks, blackboxes, the
config-space domains, the tuning context) lives in ``synetune_sdk``. The kernel adds only the
services below, which exist once per process: looking up other plugins' components by name,
where experiments are stored, the figures of experiment plots, and the command line for testing
a plugin's sub-commands. Names here are stable; the rest of the kernel is private and may change
in any release.
"""

from __future__ import annotations

from pathlib import Path
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
    "finish_figure",
    "make_searcher",
    "names",
    "new_figure",
    "read_events",
    "resolve",
]


def create(kind: str, name: str, **kwargs: Any) -> Any:
    """Build the component another plugin registered as ``name`` (declare that plugin's
    distribution as a dependency). ``kind``: schedulers, searchers, backends, callbacks,
    blackboxes, benchmarks."""
    return REGISTRIES[kind].create(name, **kwargs)


# What a scheduler hands its searcher itself; ``search_options`` must not repeat these.
SEARCHER_ARGUMENTS = ("config_space", "metric", "mode", "points_to_evaluate", "random_seed")


def make_searcher(
    searcher: Any,
    *,
    config_space: dict[str, Any],
    metric: str | list[str],
    mode: str | list[str],
    points_to_evaluate: list[dict[str, Any]] | None = None,
    random_seed: int | None = None,
    search_options: dict[str, Any] | None = None,
) -> Any:
    """The searcher of a scheduler: ``searcher`` itself if it is an instance (it needs a
    ``suggest`` method; ``search_options`` are refused then), else the searcher registered under
    that name, built with the scheduler's settings and ``search_options`` (which must not repeat
    ``SEARCHER_ARGUMENTS``). The plugin providing the name is a declared dependency."""
    options = dict(search_options or {})
    if not isinstance(searcher, str):
        if not callable(getattr(searcher, "suggest", None)):
            raise TypeError(
                "searcher must be a registered searcher name or a Searcher instance, got "
                f"{type(searcher).__name__}"
            )
        if options:
            raise ValueError(
                "search_options are only used when searcher is given by name; configure the "
                "searcher instance directly instead"
            )
        return searcher
    clashes = sorted(set(options) & set(SEARCHER_ARGUMENTS))
    if clashes:
        raise ValueError(
            f"search_options must not contain {clashes}: pass them to the scheduler itself, "
            "which hands them to the searcher"
        )
    settings = dict(config_space=config_space, metric=metric, mode=mode)
    settings.update(points_to_evaluate=points_to_evaluate, random_seed=random_seed)
    return create("searchers", searcher, **settings, **options)


def names(kind: str) -> list[str]:
    """Names registered for ``kind`` by the installed plugins."""
    return REGISTRIES[kind].names()


def new_figure(show: bool = False, plt_kwargs: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """A matplotlib ``(Figure, Axes)`` as the experiment plots make them: ``figsize`` (default
    ``(8, 5)``) and ``dpi`` (100) are taken out of ``plt_kwargs``, the rest is left for the lines.
    Without ``show`` no pyplot is involved (no GUI backend, safe in threads and on servers)."""
    from synetune.experiments import _figure

    return _figure(show, plt_kwargs if plt_kwargs is not None else {})


def finish_figure(fig: Any, figure_path: str | Path | None = None, show: bool = False) -> Any:
    """Lay out ``fig``, save it to ``figure_path`` (its folder created; the format from the
    suffix) and, with ``show``, open a window; returns ``fig``."""
    from synetune.experiments import _finish

    return _finish(fig, figure_path, show)


def cli() -> Any:
    """The ``synetune`` click group with every plugin's sub-commands (for CliRunner tests)."""
    from synetune.cli import cli as group
    from synetune.plugins import get_plugin_manager

    get_plugin_manager().call_commands_hook(group)
    return group
