"""synetune-plugin-pbt: Population Based Training."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_schedulers(register):
    register(
        "pbt",
        "synetune_plugin_pbt.scheduler:PopulationBasedTraining",
        summary="Population Based Training: bottom trials restart from mutated copies of top trials",
        aliases=("PopulationBasedTraining",),
    )
