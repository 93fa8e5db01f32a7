"""Named baselines on top of FIFO scheduling (Syne Tune's ``RandomSearch`` and ``GridSearch``)."""

from __future__ import annotations

from typing import Any

from synetune_plugin_fifo.scheduler import FIFOScheduler


class RandomSearch(FIFOScheduler):
    """FIFO scheduling with the ``random`` searcher (searcher options go into ``search_options``)."""

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str | list[str],
        mode: str | list[str] = "min",
        **kwargs: Any,
    ):
        super().__init__(config_space, metric=metric, mode=mode, searcher="random", **kwargs)


class GridSearch(FIFOScheduler):
    """FIFO scheduling with the ``grid`` searcher; e.g. ``search_options={"num_samples": 10}``.

    The tuning ends once every grid point has run.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str | list[str],
        mode: str | list[str] = "min",
        **kwargs: Any,
    ):
        super().__init__(config_space, metric=metric, mode=mode, searcher="grid", **kwargs)
