"""Syne Tune's ``BoTorch`` and ``EHVI`` baselines: FIFO scheduling with the ``botorch`` or ``ehvi``
searcher, built through the registries (the ``fifo`` scheduler comes from synetune-plugin-fifo)."""

from __future__ import annotations

from typing import Any


def botorch(config_space: dict[str, Any], metric: str, mode: str = "min", **kwargs: Any) -> Any:
    """FIFO scheduling with ``searcher="botorch"``; searcher options go into ``search_options``."""
    from synetune.plugin_api import create

    return create(
        "schedulers",
        "fifo",
        config_space=config_space,
        metric=metric,
        mode=mode,
        searcher="botorch",
        **kwargs,
    )


def ehvi(
    config_space: dict[str, Any], metric: list[str], mode: str | list[str] = "min", **kwargs: Any
) -> Any:
    """FIFO scheduling with ``searcher="ehvi"`` (``metric`` a list of at least two names, ``mode``
    one string or one per metric); searcher options such as ``reference_point`` go into
    ``search_options``."""
    from synetune.plugin_api import create
    from synetune_plugin_botorch.ehvi import metrics_and_modes

    metrics_and_modes(metric, mode)  # a clear error before the scheduler is built
    return create(
        "schedulers",
        "fifo",
        config_space=config_space,
        metric=list(metric),
        mode=mode if isinstance(mode, str) else list(mode),
        searcher="ehvi",
        **kwargs,
    )
