"""synetune-plugin-tpe: Optuna-style Tree-structured Parzen Estimator (``tpe``)."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "tpe",
        "synetune_plugin_tpe.searcher:TPESearcher",
        summary="Tree-structured Parzen Estimator with Optuna's defaults (multivariate)",
        aliases=("TPESearcher",),
    )


@hookimpl
def register_schedulers(register):
    register(
        "tpe",
        "synetune_plugin_tpe.baselines:tpe",
        summary="FIFO scheduling with the Tree-structured Parzen Estimator",
    )
