"""Syne Tune's baselines on top of asynchronous Hyperband: ASHA and PASHA.

They only fix arguments of ``HyperbandScheduler`` and make ``resource_attr`` explicit, as
``syne_tune.optimizer.baselines`` does. The common arguments are spelled out (rather than left
to ``**kwargs``) so that signatures show them; the rest goes to ``HyperbandScheduler``.
"""

from __future__ import annotations

from typing import Any

from synetune_plugin_hyperband.scheduler import HyperbandScheduler


class ASHA(HyperbandScheduler):
    """Asynchronous successive halving (Li et al. 2018): ``type="stopping"`` (default) stops
    trials outside the top quantile at a rung, ``type="promotion"`` pauses and promotes them."""

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        mode: str = "min",
        type: str = "stopping",  # noqa: A002 - Syne Tune's argument name
        max_resource_attr: str | None = None,
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float | None = None,
        searcher: str | Any = "random",
        search_options: dict[str, Any] | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ):
        if type not in ("stopping", "promotion"):
            raise ValueError(
                f"ASHA's type must be 'stopping' or 'promotion', got {type!r} (use PASHA / "
                "'pasha' for type='pasha')"
            )
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            type=type,
            max_resource_attr=max_resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            searcher=searcher,
            search_options=search_options,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            **kwargs,
        )


class PASHA(HyperbandScheduler):
    """Progressive ASHA (Bohdal et al. 2023): promotion-type ASHA that opens higher rungs only
    while the ranking of the two currently highest rungs keeps changing."""

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        mode: str = "min",
        max_resource_attr: str | None = None,
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float | None = None,
        searcher: str | Any = "random",
        search_options: dict[str, Any] | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ):
        if "type" in kwargs:
            raise TypeError(
                "PASHA got the argument 'type'; PASHA is always type='pasha' (use ASHA for others)"
            )
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            type="pasha",
            max_resource_attr=max_resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            searcher=searcher,
            search_options=search_options,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            **kwargs,
        )
