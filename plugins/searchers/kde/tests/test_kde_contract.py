"""The kde searcher (FIFO and multi-fidelity) and the kde, bohb and sync_bohb schedulers pass
the sdk's conformance kits."""

from __future__ import annotations

from types import SimpleNamespace

from synetune_plugin_kde.searcher import KernelDensityEstimator

import synetune
from synetune_sdk.testing import (
    MAX_EPOCHS,
    MAX_RESOURCE_ATTR,
    RESOURCE_ATTR,
    SchedulerContract,
    SearcherContract,
)

HYPERBAND = SimpleNamespace(resource_attr=RESOURCE_ATTR, max_t=MAX_EPOCHS, rung_levels=[1, 3])


class TestKDEContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return synetune.searchers.create(
            "kde",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            top_n_percent=50,  # the KDEs fit from 8 observations on (3 hyperparameters)
        )


class TestKDEMultiFidelityContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        searcher = KernelDensityEstimator(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            top_n_percent=50,
        )
        searcher.configure_scheduler(HYPERBAND)
        return searcher


class TestKDESchedulerContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "kde",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            search_options={"top_n_percent": 50},
        )


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
            search_options={"top_n_percent": 50},
        )

    return make_scheduler


class TestBOHBContract(SchedulerContract):
    make_scheduler = _multi_fidelity("bohb")


class TestSyncBOHBContract(SchedulerContract):
    make_scheduler = _multi_fidelity("sync_bohb")
