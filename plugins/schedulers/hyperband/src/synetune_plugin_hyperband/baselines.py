"""Syne Tune's baselines on top of asynchronous Hyperband: ASHA and PASHA.

As ``syne_tune.optimizer.baselines`` does, they only fix ``type`` and make ``resource_attr``
required; every other argument goes unchanged to ``HyperbandScheduler`` (whose docstring and
the README list them). An unknown argument raises a ``TypeError`` that names it and the valid
ones, under the baseline's name.
"""

from __future__ import annotations

from typing import Any

from synetune_plugin_hyperband.scheduler import HyperbandScheduler


class ASHA(HyperbandScheduler):
    """Asynchronous successive halving (Li et al. 2018): ``type="stopping"`` (default) stops
    trials outside the top quantile at a rung, ``type="promotion"`` pauses and promotes them.

    ``ASHA(config_space, metric, resource_attr, type="stopping", **kwargs)``; ``kwargs`` are
    those of ``HyperbandScheduler``: ``mode``, ``max_resource_attr``, ``max_t``,
    ``grace_period``, ``reduction_factor``, ``rung_increment``, ``rung_levels``, ``brackets``,
    ``searcher``, ``search_options``, ``searcher_data``, ``points_to_evaluate``,
    ``random_seed``, ``early_checkpoint_removal_kwargs``.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        *,
        type: str = "stopping",  # noqa: A002 - Syne Tune's argument name
        **kwargs: Any,
    ):
        if type not in ("stopping", "promotion"):
            raise ValueError(
                f"ASHA's type must be 'stopping' or 'promotion', got {type!r} (use PASHA / "
                "'pasha' for type='pasha')"
            )
        super().__init__(
            config_space, metric=metric, resource_attr=resource_attr, type=type, **kwargs
        )


class PASHA(HyperbandScheduler):
    """Progressive ASHA (Bohdal et al. 2023): promotion-type ASHA that opens higher rungs only
    while the ranking of the two currently highest rungs keeps changing.

    ``PASHA(config_space, metric, resource_attr, **kwargs)``, always ``type="pasha"``; ``kwargs``
    are those of ``HyperbandScheduler`` (see ``ASHA``).
    """

    def __init__(
        self, config_space: dict[str, Any], metric: str, resource_attr: str, **kwargs: Any
    ):
        if "type" in kwargs:
            raise TypeError(
                "PASHA got the argument 'type'; PASHA is always type='pasha' (use ASHA for others)"
            )
        super().__init__(
            config_space, metric=metric, resource_attr=resource_attr, type="pasha", **kwargs
        )
