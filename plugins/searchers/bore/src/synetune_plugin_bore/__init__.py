"""synetune-plugin-bore: BORE, Bayesian optimisation by density-ratio estimation (Tiao et al.
2021), as Syne Tune's ``Bore`` / ``MultiFidelityBore`` and the ``BORE`` / ``ASHABORE`` baselines."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "bore",
        "synetune_plugin_bore.searcher:Bore",
        summary="BORE: a classifier of good vs bad configurations (gamma quantile) as acquisition; "
        "under Hyperband fitted on the highest rung with enough data",
        aliases=("Bore", "MultiFidelityBore"),
    )


@hookimpl
def register_schedulers(register):
    register(
        "bore",
        "synetune_plugin_bore.baselines:bore",
        summary="FIFO scheduling with the BORE searcher",
        aliases=("BORE",),
    )
    register(
        "asha_bore",
        "synetune_plugin_bore.baselines:asha_bore",
        summary="Asynchronous Hyperband (ASHA) with the BORE searcher",
        aliases=("ASHABORE",),
    )
