"""synetune-plugin-fifo: FIFO scheduling and the random search and grid search baselines."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_schedulers(register):
    register(
        "fifo",
        "synetune_plugin_fifo.scheduler:FIFOScheduler",
        summary="Run the searcher's configurations to completion, first in first out",
        aliases=("FIFOScheduler",),
    )
    register(
        "random_search",
        "synetune_plugin_fifo.baselines:RandomSearch",
        summary="FIFO scheduling with random search",
        aliases=("RandomSearch",),
    )
    register(
        "grid_search",
        "synetune_plugin_fifo.baselines:GridSearch",
        summary="FIFO scheduling with grid search",
        aliases=("GridSearch",),
    )
