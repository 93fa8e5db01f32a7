"""``syne_tune.callbacks``: ``TensorboardCallback`` (``tensorboard``,
synetune-plugin-tensorboard)."""

from __future__ import annotations

from typing import Any

from syne_tune._facade import Component, create
from syne_tune._missing import missing


class TensorboardCallback(Component):
    """TensorBoard logs of every result under ``<tuner path>/tensorboard_output``."""

    kind = "callbacks"
    registered = "tensorboard"

    def __new__(
        cls,
        ignore_metrics: list[str] | None = None,
        target_metric: str | None = None,
        mode: str | None = None,
        log_hyperparameters: bool = True,
    ) -> Any:
        return create(
            "callbacks",
            "tensorboard",
            ignore_metrics=ignore_metrics,
            target_metric=target_metric,
            mode=mode,
            log_hyperparameters=log_hyperparameters,
        )


__all__ = ["TensorboardCallback"]

MISSING = {
    "StoreResultsCallback": "none needed: synetune's Tuner always records results "
    "(events.jsonl, results.csv.zip); pass extra columns with Tuner(extra_results_composer=...)",
}

__getattr__ = missing(__name__, globals(), MISSING)
