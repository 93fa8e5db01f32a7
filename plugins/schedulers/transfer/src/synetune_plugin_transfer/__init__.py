"""synetune-plugin-transfer: transfer tuning, warm-started from evaluations of earlier tasks
(``synetune_sdk.transfer.TransferLearningTaskEvaluations``), as Syne Tune's transfer-learning
schedulers and searchers."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "zero_shot",
        "synetune_plugin_transfer.searchers:ZeroShotSearcher",
        summary="Configurations with the best average rank on earlier tasks, greedily (Wistuba 2015)",
    )
    register(
        "quantile_based",
        "synetune_plugin_transfer.searchers:QuantileBasedSurrogateSearcher",
        summary="Copula Thompson sampling on earlier tasks' quantiles (Salinas et al. 2020)",
        aliases=("QuantileBasedSurrogateSearcher",),
    )


@hookimpl
def register_schedulers(register):
    register(
        "zero_shot",
        "synetune_plugin_transfer.schedulers:ZeroShotTransfer",
        summary="FIFO with the zero-shot transfer searcher",
        aliases=("ZeroShotTransfer",),
    )
    register(
        "bounding_box",
        "synetune_plugin_transfer.schedulers:BoundingBox",
        summary="Any scheduler on the box of the best earlier configurations (Perrone 2019)",
        aliases=("BoundingBox",),
    )
    register(
        "quantile_based",
        "synetune_plugin_transfer.schedulers:quantile_based",
        summary="FIFO with the quantile-based Copula Thompson sampling searcher (CTS)",
    )
    register(
        "asha_cts",
        "synetune_plugin_transfer.schedulers:ASHACTS",
        summary="ASHA with the quantile-based Copula Thompson sampling searcher",
        aliases=("ASHACTS",),
    )
    register(
        "rush",
        "synetune_plugin_transfer.schedulers:RUSHScheduler",
        summary="ASHA that runs the best earlier configurations first as rung hurdles (RUSH)",
        aliases=("RUSHScheduler", "RUSH"),
    )
