"""Syne Tune's ``BoTorch`` baseline: FIFO scheduling with the ``botorch`` searcher, built through
the registries (the ``fifo`` scheduler comes from synetune-plugin-fifo)."""

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
