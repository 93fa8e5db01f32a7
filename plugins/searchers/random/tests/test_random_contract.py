"""The random and grid searchers pass the sdk's searcher conformance kit."""

from __future__ import annotations

from synetune_plugin_random.grid_searcher import GridSearcher
from synetune_plugin_random.random_searcher import RandomSearcher

from synetune_sdk.testing import SearcherContract


class TestRandomSearcherContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return RandomSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )


class TestGridSearcherContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return GridSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
