"""Syne Tune's GP baselines, composed through the registries.

Each baseline is a registered scheduler (``fifo``, ``hyperband`` or ``sync_hyperband``, provided
by other plugins) built with one of this plugin's searchers, as ``syne_tune.optimizer.baselines``
does. Searcher options go into ``search_options``; everything else is passed to the scheduler
(see ``synetune describe fifo``, ``synetune describe hyperband``). The constrained baseline is a
subclass of the declared dependency's ``FIFOScheduler``, so that its ``metadata()`` records
``constraint_attr``.
"""

from __future__ import annotations

from typing import Any

from synetune_plugin_fifo.scheduler import FIFOScheduler


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
    """FIFO scheduling with ``bayesopt`` (Syne Tune's ``BayesianOptimization``); ``kwargs`` are
    those of ``fifo``: ``search_options``, ``points_to_evaluate``, ``random_seed``,
    ``max_resource_attr``, ``max_t``, ``resource_attr``."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode)
    return _create("fifo", "bayesopt", kwargs)


class ConstrainedBayesianOptimization(FIFOScheduler):
    """FIFO scheduling with ``bayesopt_constrained`` (Syne Tune's
    ``ConstrainedBayesianOptimization``); ``constraint_attr`` names the reported constraint
    value, feasible when <= 0. ``metadata()`` and the attribute ``constraint_attr`` say so, and
    the best configuration of such a run is the best feasible one. ``kwargs`` are those of
    ``fifo`` but ``searcher``: ``search_options``, ``points_to_evaluate``, ``random_seed``,
    ``max_resource_attr``, ``max_t``, ``resource_attr``."""

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        constraint_attr: str,
        mode: str = "min",
        **kwargs: Any,
    ):
        options = {**(kwargs.pop("search_options", None) or {}), "constraint_attr": constraint_attr}
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            searcher="bayesopt_constrained",
            search_options=options,
            **kwargs,
        )
        self.constraint_attr = constraint_attr

    def metadata(self) -> dict[str, Any]:
        return {**super().metadata(), "constraint_attr": self.constraint_attr}


constrained_bayesian_optimization = ConstrainedBayesianOptimization  # its registered name


def mobster(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous Hyperband with ``bayesopt``'s joint config x resource GP (MOBSTER);
    ``kwargs`` are those of ``hyperband`` (``synetune describe hyperband``)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("hyperband", "bayesopt", kwargs)


def hypertune(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous Hyperband with the ``hypertune`` searcher (Hyper-Tune); ``kwargs`` are
    those of ``hyperband`` (``synetune describe hyperband``)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("hyperband", "hypertune", kwargs)


def sync_mobster(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Synchronous Hyperband with ``bayesopt`` (independent GP per level, as Syne Tune's
    ``SyncMOBSTER``); ``kwargs`` are those of ``sync_hyperband`` (``synetune describe
    sync_hyperband``)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("sync_hyperband", "bayesopt", kwargs, defaults={"model": "gp_independent"})
