"""The bore searcher and the bore / asha_bore schedulers pass the sdk's conformance kits."""

from __future__ import annotations

from types import SimpleNamespace

from synetune_plugin_bore.searcher import Bore

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
# few boosting rounds keep the tests quick (the kernel's meta tests run the defaults)
FAST = {"classifier_kwargs": {"max_iter": 20}}


class TestBoreContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        # init_random=2: the kit's short runs reach the classifier
        return Bore(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            init_random=2,
            **FAST,
        )


class TestBoreMultiFidelityContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        searcher = Bore(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            init_random=2,
            **FAST,
        )
        searcher.configure_scheduler(HYPERBAND)
        return searcher


class TestBoreSchedulerContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "bore",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            search_options={"init_random": 3, **FAST},
        )


class TestAshaBoreContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "asha_bore",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            resource_attr=RESOURCE_ATTR,
            max_resource_attr=MAX_RESOURCE_ATTR,
            search_options={"init_random": 3, **FAST},
        )
