"""synetune-plugin-multiobjective: MOASHA, NSGA-II, MOREA and scalarized Bayesian optimisation."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_schedulers(register):
    register(
        "moasha",
        "synetune_plugin_multiobjective.moasha:MOASHA",
        summary="Multi-objective ASHA: rungs ranked by non-dominated sorting and an epsilon-net",
        aliases=("MOASHA",),
    )
