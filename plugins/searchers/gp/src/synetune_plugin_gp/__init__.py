"""synetune-plugin-gp: Gaussian-process Bayesian optimisation (bayesopt, MOBSTER, Hyper-Tune)."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "bayesopt",
        "synetune_plugin_gp.searcher:GPSearcher",
        summary="GP (Matern-5/2 ARD) with expected improvement; MOBSTER's model under Hyperband",
        aliases=("GPFIFOSearcher", "GPMultiFidelitySearcher"),
    )
    register(
        "bayesopt_constrained",
        "synetune_plugin_gp.searcher:ConstrainedGPSearcher",
        summary="GP BO with a GP on constraint_attr (feasible when <= 0), constrained EI",
        aliases=("ConstrainedGPFIFOSearcher",),
    )
    register(
        "bayesopt_cost",
        "synetune_plugin_gp.searcher:CostAwareGPSearcher",
        summary="GP BO with expected improvement per unit of cost (cost_attr)",
        aliases=("CostAwareGPFIFOSearcher", "CostAwareGPMultiFidelitySearcher"),
    )
    register(
        "hypertune",
        "synetune_plugin_gp.hypertune:HyperTuneSearcher",
        summary="Hyper-Tune: independent GPs per resource level with learned ensemble weights",
        aliases=("HyperTuneSearcher",),
    )


@hookimpl
def register_schedulers(register):
    register(
        "bayesian_optimization",
        "synetune_plugin_gp.baselines:bayesian_optimization",
        summary="FIFO scheduling with GP Bayesian optimisation",
        aliases=("BayesianOptimization",),
    )
    register(
        "constrained_bayesian_optimization",
        "synetune_plugin_gp.baselines:ConstrainedBayesianOptimization",
        summary="FIFO scheduling with constrained GP Bayesian optimisation",
        aliases=("ConstrainedBayesianOptimization",),
    )
    register(
        "mobster",
        "synetune_plugin_gp.baselines:mobster",
        summary="Asynchronous Hyperband with a joint config x resource GP (MOBSTER)",
        aliases=("MOBSTER",),
    )
    register(
        "hypertune",
        "synetune_plugin_gp.baselines:hypertune",
        summary="Asynchronous Hyperband with Hyper-Tune's per-level GP ensemble",
        aliases=("HyperTune",),
    )
    register(
        "sync_mobster",
        "synetune_plugin_gp.baselines:sync_mobster",
        summary="Synchronous Hyperband with GP Bayesian optimisation",
        aliases=("SyncMOBSTER",),
    )
