"""synetune-plugin-hyperband: asynchronous and synchronous Hyperband family schedulers."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_schedulers(register):
    register(
        "hyperband",
        "synetune_plugin_hyperband.scheduler:HyperbandScheduler",
        summary="Asynchronous Hyperband (stopping, promotion or PASHA rungs)",
        aliases=("HyperbandScheduler",),
    )
    register(
        "asha",
        "synetune_plugin_hyperband.baselines:ASHA",
        summary="Asynchronous successive halving (ASHA)",
        aliases=("ASHA",),
    )
    register(
        "pasha",
        "synetune_plugin_hyperband.baselines:PASHA",
        summary="Progressive ASHA (PASHA)",
        aliases=("PASHA",),
    )
    register(
        "sync_hyperband",
        "synetune_plugin_hyperband.synchronous:SynchronousGeometricHyperbandScheduler",
        summary="Synchronous Hyperband (brackets=1: synchronous successive halving)",
        aliases=("SyncHyperband", "SynchronousGeometricHyperbandScheduler"),
    )
    register(
        "dehb",
        "synetune_plugin_hyperband.dehb:GeometricDifferentialEvolutionHyperbandScheduler",
        summary="Differential-evolution Hyperband (DEHB)",
        aliases=("DEHB", "GeometricDifferentialEvolutionHyperbandScheduler"),
    )
