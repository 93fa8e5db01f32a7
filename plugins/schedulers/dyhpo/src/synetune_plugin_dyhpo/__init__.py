"""synetune-plugin-dyhpo: DyHPO (Wistuba et al. 2022), Hyperband ``type="dyhpo"``; torch is
imported when the searcher is created, never when plugins are listed."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "dyhpo",
        "synetune_plugin_dyhpo.searcher:DyHPOSearcher",
        summary="DyHPO: a deep-kernel GP over configuration, budget and learning curve picks "
        "the paused trial to resume or the configuration to start",
        aliases=("DynamicHPOSearcher",),
    )


@hookimpl
def register_schedulers(register):
    register(
        "dyhpo",
        "synetune_plugin_dyhpo.baselines:DyHPO",
        summary="DyHPO: Hyperband type='dyhpo' with the dyhpo searcher",
        aliases=("DyHPO",),
    )
