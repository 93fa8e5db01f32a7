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
    register(
        "nsga2",
        "synetune_plugin_multiobjective.baselines:nsga2",
        summary="FIFO scheduling with asynchronous NSGA-II",
        aliases=("NSGA2",),
    )
    register(
        "morea",
        "synetune_plugin_multiobjective.baselines:morea",
        summary="FIFO scheduling with multi-objective regularized evolution",
        aliases=("MOREA",),
    )
    register(
        "mo_random_scalarization",
        "synetune_plugin_multiobjective.baselines:mo_random_scalarization",
        summary="GP Bayesian optimisation of randomly weighted sums of the objectives",
        aliases=("MORandomScalarizationBayesOpt",),
    )
    register(
        "mo_linear_scalarization",
        "synetune_plugin_multiobjective.scalarization:LinearScalarizedScheduler",
        summary="A single-objective scheduler on a fixed weighted sum of the objectives",
        aliases=("MOLinearScalarizationBayesOpt", "LinearScalarizedScheduler"),
    )


@hookimpl
def register_searchers(register):
    register(
        "nsga2",
        "synetune_plugin_multiobjective.evolution:NSGA2Searcher",
        summary="Asynchronous NSGA-II on the encoded space",
        aliases=("NSGA2Searcher",),
    )
    register(
        "morea",
        "synetune_plugin_multiobjective.evolution:MOREASearcher",
        summary="Multi-objective regularized evolution",
        aliases=("MultiObjectiveRegularizedEvolution",),
    )
    register(
        "mo_random_scalarization",
        "synetune_plugin_multiobjective.scalarization:RandomScalarizationSearcher",
        summary="A GP on a random weighted sum of the normalised objectives per suggestion",
        aliases=("MultiObjectiveMultiSurrogateSearcher",),
    )
