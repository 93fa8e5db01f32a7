"""synetune-plugin-cqr: conformalized quantile regression (Salinas et al., ICML 2023), as Syne
Tune's ``ConformalQuantileRegression`` searcher and its ``CQR`` / ``ASHACQR`` baselines."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "cqr",
        "synetune_plugin_cqr.searcher:ConformalQuantileRegression",
        summary="Conformalized quantile regression: gradient-boosted quantile surrogate, "
        "conformal correction, Thompson-style pick among random candidates",
        aliases=("ConformalQuantileRegression", "SurrogateSearcher"),
    )


@hookimpl
def register_schedulers(register):
    register(
        "cqr",
        "synetune_plugin_cqr.baselines:cqr",
        summary="FIFO scheduling with the CQR searcher",
        aliases=("CQR",),
    )
    register(
        "asha_cqr",
        "synetune_plugin_cqr.baselines:asha_cqr",
        summary="Asynchronous Hyperband (ASHA) with the CQR searcher",
        aliases=("ASHACQR",),
    )
