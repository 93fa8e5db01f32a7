"""The FIFO schedulers pass the sdk's scheduler conformance kit."""

from __future__ import annotations

from synetune_plugin_fifo.baselines import GridSearch, RandomSearch
from synetune_plugin_fifo.scheduler import FIFOScheduler

from synetune_sdk.testing import SchedulerContract


class TestFIFOContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return FIFOScheduler(config_space, metric=metric, mode=mode, random_seed=random_seed)


class TestRandomSearchContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return RandomSearch(config_space, metric=metric, mode=mode, random_seed=random_seed)


class TestGridSearchContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return GridSearch(config_space, metric=metric, mode=mode, random_seed=random_seed)
