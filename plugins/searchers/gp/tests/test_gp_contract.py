"""Every searcher and baseline of the GP plugin passes the sdk's conformance kit."""

from __future__ import annotations

from types import SimpleNamespace

from synetune_plugin_gp.hypertune import HyperTuneSearcher
from synetune_plugin_gp.searcher import ConstrainedGPSearcher, CostAwareGPSearcher, GPSearcher

import synetune
from synetune_sdk.testing import (
    MAX_EPOCHS,
    MAX_RESOURCE_ATTR,
    RESOURCE_ATTR,
    SchedulerContract,
    SearcherContract,
)

# What a Hyperband scheduler exposes to its searcher in configure_scheduler.
HYPERBAND = SimpleNamespace(resource_attr=RESOURCE_ATTR, max_t=MAX_EPOCHS, rung_levels=[1, 3])


class TestBayesOptContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return GPSearcher(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
        )


class TestBayesOptMultiFidelityContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        searcher = GPSearcher(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
        )
        searcher.configure_scheduler(HYPERBAND)
        return searcher


class TestConstrainedBayesOptContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return ConstrainedGPSearcher(
            config_space,
            metric,
            constraint_attr=RESOURCE_ATTR,  # the kit reports epoch = 9: infeasible throughout
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
        )


class TestCostAwareBayesOptContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return CostAwareGPSearcher(
            config_space,
            metric,
            cost_attr=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
        )


class TestHyperTuneContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        searcher = HyperTuneSearcher(
            config_space,
            metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
        )
        searcher.configure_scheduler(HYPERBAND)
        return searcher


def _multi_fidelity(name):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            name,
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            resource_attr=RESOURCE_ATTR,
            max_resource_attr=MAX_RESOURCE_ATTR,
        )

    return make_scheduler


class TestBayesianOptimizationContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "bayesian_optimization",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
        )


class TestConstrainedBayesianOptimizationContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "constrained_bayesian_optimization",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            constraint_attr=metric,
        )


class TestMobsterContract(SchedulerContract):
    make_scheduler = _multi_fidelity("mobster")


class TestHyperTuneSchedulerContract(SchedulerContract):
    make_scheduler = _multi_fidelity("hypertune")


class TestSyncMobsterContract(SchedulerContract):
    make_scheduler = _multi_fidelity("sync_mobster")
