"""Syne Tune's GP baselines, composed through the registries.

Each baseline is a registered scheduler (``fifo``, ``hyperband`` or ``sync_hyperband``, provided
by other plugins) built with one of this plugin's searchers, as ``syne_tune.optimizer.baselines``
does. Searcher options go into ``search_options``; everything else is passed to the scheduler.
"""

from __future__ import annotations

from typing import Any


def _create(
    scheduler: str, searcher: str, search_options: dict[str, Any] | None, **kwargs: Any
) -> Any:
    from synetune.registry import REGISTRIES

    return REGISTRIES["schedulers"].create(
        scheduler, searcher=searcher, search_options=dict(search_options or {}), **kwargs
    )


def bayesian_optimization(
    config_space: dict[str, Any], metric: str, mode: str = "min", **kwargs: Any
) -> Any:
    """FIFO scheduling with ``bayesopt`` (Syne Tune's ``BayesianOptimization``)."""
    return _create(
        "fifo",
        "bayesopt",
        kwargs.pop("search_options", None),
        config_space=config_space,
        metric=metric,
        mode=mode,
        **kwargs,
    )


def constrained_bayesian_optimization(
    config_space: dict[str, Any],
    metric: str,
    constraint_attr: str,
    mode: str = "min",
    **kwargs: Any,
) -> Any:
    """FIFO scheduling with ``bayesopt_constrained``; ``constraint_attr`` names the reported
    constraint value (feasible when <= 0)."""
    options = dict(kwargs.pop("search_options", None) or {})
    options["constraint_attr"] = constraint_attr
    return _create(
        "fifo",
        "bayesopt_constrained",
        options,
        config_space=config_space,
        metric=metric,
        mode=mode,
        **kwargs,
    )


def mobster(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous Hyperband with ``bayesopt``'s joint config x resource GP (MOBSTER)."""
    return _create(
        "hyperband",
        "bayesopt",
        kwargs.pop("search_options", None),
        config_space=config_space,
        metric=metric,
        mode=mode,
        resource_attr=resource_attr,
        **kwargs,
    )


def hypertune(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous Hyperband with the ``hypertune`` searcher (Hyper-Tune)."""
    return _create(
        "hyperband",
        "hypertune",
        kwargs.pop("search_options", None),
        config_space=config_space,
        metric=metric,
        mode=mode,
        resource_attr=resource_attr,
        **kwargs,
    )


def sync_mobster(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Synchronous Hyperband with ``bayesopt`` (independent GP per level, as Syne Tune's
    ``SyncMOBSTER``); needs the ``sync_hyperband`` scheduler."""
    options = dict(kwargs.pop("search_options", None) or {})
    options.setdefault("model", "gp_independent")
    return _create(
        "sync_hyperband",
        "bayesopt",
        options,
        config_space=config_space,
        metric=metric,
        mode=mode,
        resource_attr=resource_attr,
        **kwargs,
    )
