"""synetune-plugin-botorch: Bayesian optimisation with BoTorch (torch imported on first use)."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "botorch",
        "synetune_plugin_botorch.searcher:BoTorchSearcher",
        summary="BoTorch SingleTaskGP with input warping and log noisy expected improvement",
        aliases=("BoTorchSearcher",),
    )
    register(
        "ehvi",
        "synetune_plugin_botorch.ehvi:EHVISearcher",
        summary="Multi-objective BO: one GP per objective, log noisy expected hypervolume "
        "improvement",
        aliases=("ExpectedHyperVolumeImprovement",),
    )


@hookimpl
def register_schedulers(register):
    register(
        "botorch",
        "synetune_plugin_botorch.baselines:botorch",
        summary="FIFO scheduling with the BoTorch searcher",
        aliases=("BoTorch", "BOTorch"),
    )
    register(
        "ehvi",
        "synetune_plugin_botorch.baselines:ehvi",
        summary="FIFO scheduling with the EHVI searcher (several metrics)",
        aliases=("EHVI",),
    )
