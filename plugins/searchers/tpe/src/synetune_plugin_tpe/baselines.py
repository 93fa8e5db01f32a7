"""The ``tpe`` scheduler: FIFO scheduling (synetune-plugin-fifo) with the ``tpe`` searcher,
composed through the registries."""

from __future__ import annotations

from typing import Any


def tpe(config_space: dict[str, Any], metric: str, mode: str = "min", **kwargs: Any) -> Any:
    """FIFO scheduling with ``tpe``; searcher options (``n_startup_trials``, ``gamma``, ...) go
    into ``search_options``, the rest are ``fifo``'s (``synetune describe fifo``)."""
    from synetune.plugin_api import create

    return create(
        "schedulers",
        "fifo",
        config_space=config_space,
        metric=metric,
        mode=mode,
        searcher="tpe",
        **kwargs,
    )
