"""Syne Tune's ``DyHPO`` baseline: ``HyperbandScheduler(type="dyhpo", searcher="dyhpo")`` with
linearly spaced rung levels (``rung_increment=2`` unless ``reduction_factor`` or
``rung_increment`` is given) and ``probability_sh`` in ``rung_system_kwargs``."""

from __future__ import annotations

from typing import Any

from synetune_plugin_hyperband.scheduler import HyperbandScheduler


class DyHPO(HyperbandScheduler):
    """Dynamic gray-box HPO (Wistuba, Kadra, Grabocka, NeurIPS 2022).

    ``DyHPO(config_space, metric, resource_attr, probability_sh=None, **kwargs)``: ``kwargs``
    are those of ``HyperbandScheduler`` (``mode``, ``max_resource_attr``, ``max_t``,
    ``grace_period``, ``rung_increment``, ``search_options``, ``points_to_evaluate``,
    ``random_seed``, ...); ``search_options`` go to the ``dyhpo`` searcher. ``probability_sh``
    (default 0.25): the chance that a free worker first tries a successive-halving promotion.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        probability_sh: float | None = None,
        **kwargs: Any,
    ):
        if kwargs.setdefault("type", "dyhpo") != "dyhpo":
            raise ValueError(f"DyHPO's type is 'dyhpo', got type={kwargs['type']!r}")
        if kwargs.setdefault("searcher", "dyhpo") != "dyhpo":
            raise ValueError(f"DyHPO's searcher is 'dyhpo', got searcher={kwargs['searcher']!r}")
        if probability_sh is not None:
            options = dict(kwargs.get("rung_system_kwargs") or {})
            options["probability_sh"] = probability_sh
            kwargs["rung_system_kwargs"] = options
        if kwargs.get("reduction_factor") is None and kwargs.get("rung_increment") is None:
            kwargs["rung_increment"] = 2
        super().__init__(config_space, metric=metric, resource_attr=resource_attr, **kwargs)
