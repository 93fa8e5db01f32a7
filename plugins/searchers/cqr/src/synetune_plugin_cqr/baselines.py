"""Syne Tune's ``CQR`` and ``ASHACQR`` baselines, composed through the registries.

``cqr`` is the ``fifo`` scheduler (synetune-plugin-fifo) and ``asha_cqr`` the ``hyperband``
scheduler (synetune-plugin-hyperband) with ``searcher="cqr"``. Searcher options go into
``search_options``; everything else is passed to the scheduler (``synetune describe fifo``,
``synetune describe hyperband``).
"""

from __future__ import annotations

from typing import Any


def _create(scheduler: str, **kwargs: Any) -> Any:
    from synetune.plugin_api import create

    if "searcher" in kwargs:
        raise TypeError(
            f"the CQR baselines always use searcher='cqr'; for another searcher create "
            f"{scheduler!r} directly"
        )
    return create("schedulers", scheduler, searcher="cqr", **kwargs)


def cqr(config_space: dict[str, Any], metric: str, mode: str = "min", **kwargs: Any) -> Any:
    """FIFO scheduling with CQR (Syne Tune's ``CQR``); ``kwargs`` are those of ``fifo``:
    ``search_options``, ``points_to_evaluate``, ``random_seed``, ``max_resource_attr``,
    ``max_t``, ``resource_attr``."""
    return _create("fifo", config_space=config_space, metric=metric, mode=mode, **kwargs)


def asha_cqr(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous Hyperband with CQR (Syne Tune's ``ASHACQR``): the surrogate learns from each
    trial's latest rung result; ``kwargs`` are those of ``hyperband`` (``type``, ``max_resource_attr``, ``max_t``, ``grace_period``,
    ``reduction_factor``, ``search_options``, ``random_seed``, ...)."""
    return _create(
        "hyperband",
        config_space=config_space,
        metric=metric,
        mode=mode,
        resource_attr=resource_attr,
        **kwargs,
    )
