"""synetune-plugin-rea: regularized evolution (Real et al. 2019), Syne Tune's ``REA``."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "regularized_evolution",
        "synetune_plugin_rea.searcher:RegularizedEvolution",
        summary="Regularized (aging) evolution: mutate the best of a random sample of the population",
        aliases=("RegularizedEvolution",),
    )


@hookimpl
def register_schedulers(register):
    register(
        "rea",
        "synetune_plugin_rea.baselines:REA",
        summary="FIFO scheduling with regularized evolution",
        aliases=("REA",),
    )
