"""synetune-plugin-kde: BOHB's kernel density estimator (``kde``) and the schedulers built on
it: ``kde`` (FIFO), ``bohb`` (asynchronous Hyperband) and ``sync_bohb`` (synchronous)."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "kde",
        "synetune_plugin_kde.searcher:KernelDensityEstimator",
        summary="BOHB's good/bad kernel density ratio; per resource level under Hyperband",
        aliases=("KernelDensityEstimator", "MultiFidelityKernelDensityEstimator"),
    )


@hookimpl
def register_schedulers(register):
    register(
        "kde",
        "synetune_plugin_kde.baselines:kde",
        summary="FIFO scheduling with the kde searcher",
        aliases=("KDE",),
    )
    register(
        "bohb",
        "synetune_plugin_kde.baselines:bohb",
        summary="Asynchronous BOHB: Hyperband with the kde searcher",
        aliases=("BOHB",),
    )
    register(
        "sync_bohb",
        "synetune_plugin_kde.baselines:sync_bohb",
        summary="Synchronous BOHB: synchronous Hyperband with the kde searcher",
        aliases=("SyncBOHB",),
    )
