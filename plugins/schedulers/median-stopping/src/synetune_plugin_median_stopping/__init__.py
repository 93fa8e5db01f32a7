"""synetune-plugin-median-stopping: the median stopping rule, wrapping any scheduler."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_schedulers(register):
    register(
        "median_stopping_rule",
        "synetune_plugin_median_stopping.scheduler:MedianStoppingRule",
        summary="Median stopping rule: stop a trial worse than the median of others at the same resource",
        aliases=("MedianStoppingRule",),
    )
