"""``syne_tune.optimizer.schedulers``: Syne Tune's scheduler classes, built through
``synetune.schedulers.create``. Arguments are Syne Tune's; each plugin's README lists what it
accepts (an argument it does not know raises a ``TypeError`` naming it)."""

from __future__ import annotations

from typing import Any

from syne_tune._facade import Component, create
from syne_tune._missing import missing


class FIFOScheduler(Component):
    """First-in first-out scheduling with a searcher (``fifo``, synetune-plugin-fifo)."""

    registered = "fifo"

    def __new__(cls, config_space: dict[str, Any], **kwargs: Any) -> Any:
        return create("schedulers", "fifo", config_space=config_space, **kwargs)


class HyperbandScheduler(Component):
    """Asynchronous Hyperband, all rung types (``hyperband``, synetune-plugin-hyperband)."""

    registered = "hyperband"

    def __new__(cls, config_space: dict[str, Any], **kwargs: Any) -> Any:
        return create("schedulers", "hyperband", config_space=config_space, **kwargs)


class PopulationBasedTraining(Component):
    """Population based training (``pbt``, synetune-plugin-pbt); ``resource_attr`` defaults to
    ``"time_total_s"`` as in Syne Tune."""

    registered = "pbt"

    def __new__(
        cls, config_space: dict[str, Any], custom_explore_fn: Any = None, **kwargs: Any
    ) -> Any:
        return create(
            "schedulers",
            "pbt",
            config_space=config_space,
            custom_explore_fn=custom_explore_fn,
            **kwargs,
        )


class MedianStoppingRule(Component):
    """Stops trials below the median of others at the same resource; wraps ``scheduler``
    (``median_stopping_rule``, synetune-plugin-median-stopping)."""

    registered = "median_stopping_rule"

    def __new__(
        cls,
        scheduler: Any,
        resource_attr: str,
        running_average: bool = True,
        metric: str | None = None,
        grace_time: float = 1,
        grace_population: int = 5,
        rank_cutoff: float = 0.5,
    ) -> Any:
        return create(
            "schedulers",
            "median_stopping_rule",
            scheduler=scheduler,
            resource_attr=resource_attr,
            running_average=running_average,
            metric=metric,
            grace_time=grace_time,
            grace_population=grace_population,
            rank_cutoff=rank_cutoff,
        )


class RayTuneScheduler(Component):
    """Ray Tune searchers and schedulers (``raytune``, synetune-plugin-ray)."""

    registered = "raytune"

    def __new__(
        cls,
        config_space: dict[str, Any],
        ray_scheduler: Any = None,
        ray_searcher: Any = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> Any:
        return create(
            "schedulers",
            "raytune",
            config_space=config_space,
            ray_scheduler=ray_scheduler,
            ray_searcher=ray_searcher,
            points_to_evaluate=points_to_evaluate,
            **kwargs,
        )


__all__ = [
    "FIFOScheduler",
    "HyperbandScheduler",
    "MedianStoppingRule",
    "PopulationBasedTraining",
    "RayTuneScheduler",
]

_TRANSFER = "syne_tune.optimizer.schedulers.transfer_learning.{} (synetune-plugin-transfer)"
MISSING = {
    "MOASHA": "syne_tune.optimizer.baselines.MOASHA (synetune-plugin-multiobjective)",
    "LinearScalarizedScheduler": "syne_tune.optimizer.baselines.MOLinearScalarizationBayesOpt "
    "(synetune-plugin-multiobjective)",
    "RUSHScheduler": _TRANSFER.format("RUSHScheduler"),
    "BoundingBox": _TRANSFER.format("BoundingBox"),
    "SMACScheduler": "syne_tune.optimizer.baselines.BayesianOptimization, or RayTuneScheduler "
    "with a Ray Tune searcher",
    "NeuralbandScheduler": "syne_tune.optimizer.baselines.MOBSTER",
    "TrialScheduler": "synetune_sdk.Scheduler (write a scheduler plugin, sdk README 'Writing "
    "a plugin')",
}

__getattr__ = missing(__name__, globals(), MISSING)
