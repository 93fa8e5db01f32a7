"""The cqr searcher and the cqr / asha_cqr schedulers pass the sdk's conformance kits."""

from __future__ import annotations

from types import SimpleNamespace

from synetune_plugin_cqr.searcher import ConformalQuantileRegression

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
# few boosting rounds and candidates keep the tests quick; the algorithm is the same
FAST = {"n_estimators": 10, "num_candidates": 200}


class TestCqrContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        # num_init_random_draws=2: the kit's short runs reach the model
        return ConformalQuantileRegression(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            num_init_random_draws=2,
            **FAST,
        )


class TestCqrMultiFidelityContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        searcher = ConformalQuantileRegression(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            num_init_random_draws=2,
            **FAST,
        )
        searcher.configure_scheduler(HYPERBAND)
        return searcher


class TestCqrSchedulerContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "cqr",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            search_options={"num_init_random_draws": 3, **FAST},
        )


class TestAshaCqrContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "asha_cqr",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            resource_attr=RESOURCE_ATTR,
            max_resource_attr=MAX_RESOURCE_ATTR,
            search_options={"num_init_random_draws": 3, **FAST},
        )
