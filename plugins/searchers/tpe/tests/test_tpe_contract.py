"""The tpe searcher (FIFO and under Hyperband) and the tpe scheduler pass the sdk's kits."""

from __future__ import annotations

from types import SimpleNamespace

from synetune_plugin_tpe.searcher import TPESearcher

import synetune
from synetune_sdk.testing import (
    MAX_EPOCHS,
    MAX_RESOURCE_ATTR,
    RESOURCE_ATTR,
    SchedulerContract,
    SearcherContract,
)

HYPERBAND = SimpleNamespace(resource_attr=RESOURCE_ATTR, max_t=MAX_EPOCHS, rung_levels=[1, 3])


class TestTPEContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        # few startup trials, so that the kit's short runs reach the model
        return synetune.searchers.create(
            "tpe",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            n_startup_trials=2,
        )


class TestTPEMultiFidelityContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        searcher = TPESearcher(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            n_startup_trials=2,
        )
        searcher.configure_scheduler(HYPERBAND)
        return searcher


class TestTPESchedulerContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "tpe",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            search_options={"n_startup_trials": 3},
        )


class TestHyperbandTPEContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "hyperband",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            resource_attr=RESOURCE_ATTR,
            max_resource_attr=MAX_RESOURCE_ATTR,
            searcher="tpe",
            search_options={"n_startup_trials": 3},
        )
