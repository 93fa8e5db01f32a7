"""Syne Tune's GP baselines, composed through the registries.

Each baseline is a registered scheduler (``fifo``, ``hyperband`` or ``sync_hyperband``, provided
by other plugins) built with one of this plugin's searchers, as ``syne_tune.optimizer.baselines``
does. Searcher options go into ``search_options``; everything else is passed to the scheduler.
"""

from __future__ import annotations

from typing import Any


def _create(
    scheduler: str,
    searcher: str,
    kwargs: dict[str, Any],
    defaults: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """``scheduler`` with ``searcher``; ``search_options`` from ``kwargs`` plus ``options``,
    with ``defaults`` where the user gave none."""
    from synetune.plugin_api import create

    search_options = {**(defaults or {}), **(kwargs.pop("search_options", None) or {}), **options}
    return create(
        "schedulers", scheduler, searcher=searcher, search_options=search_options, **kwargs
    )


def bayesian_optimization(
    config_space: dict[str, Any], metric: str, mode: str = "min", **kwargs: Any
) -> Any:
    """FIFO scheduling with ``bayesopt`` (Syne Tune's ``BayesianOptimization``)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode)
    return _create("fifo", "bayesopt", kwargs)


def constrained_bayesian_optimization(
    config_space: dict[str, Any],
    metric: str,
    constraint_attr: str,
    mode: str = "min",
    **kwargs: Any,
) -> Any:
    """FIFO scheduling with ``bayesopt_constrained``; ``constraint_attr`` names the reported
    constraint value (feasible when <= 0)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode)
    return _create("fifo", "bayesopt_constrained", kwargs, constraint_attr=constraint_attr)


def mobster(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous Hyperband with ``bayesopt``'s joint config x resource GP (MOBSTER)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("hyperband", "bayesopt", kwargs)


def hypertune(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous Hyperband with the ``hypertune`` searcher (Hyper-Tune)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("hyperband", "hypertune", kwargs)


def sync_mobster(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Synchronous Hyperband with ``bayesopt`` (independent GP per level, as Syne Tune's
    ``SyncMOBSTER``); needs the ``sync_hyperband`` scheduler."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("sync_hyperband", "bayesopt", kwargs, defaults={"model": "gp_independent"})
