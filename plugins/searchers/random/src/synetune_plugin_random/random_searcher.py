"""Random search: the baseline every other searcher has to beat (Syne Tune's ``RandomSearcher``).

Configurations are drawn independently and uniformly from the config space with a seeded numpy
generator, after the ``points_to_evaluate``. Each suggestion costs a hash-set lookup per draw,
whatever the number of past trials. A finite space that runs out ends the search (``None``).
"""

from __future__ import annotations

import itertools
from typing import Any

from synetune_plugin_random._options import warn_unknown_options
from synetune_sdk.config_space import (
    Domain,
    config_key,
    config_space_size,
    impute_points_to_evaluate,
    make_random_state,
    sample_config,
    validate_config_space,
)
from synetune_sdk.searcher import Searcher

# A finite space whose random draws keep hitting known configurations is nearly exhausted; up to
# this size the remaining configurations are enumerated once so that none is missed.
MAX_ENUMERATED_CONFIGS = 100_000


class RandomSearcher(Searcher):
    """Suggest ``points_to_evaluate`` first, then uniformly random configurations.

    ``points_to_evaluate=None`` means one configuration of domain midpoints, ``[]`` none, and
    partial configurations are completed with midpoints. Unless ``allow_duplicates``, no
    configuration is suggested twice; ``suggest`` returns None once a finite space is exhausted
    or no new configuration turned up in ``max_retries`` draws. The same ``random_seed`` gives
    the same sequence of suggestions.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str | list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        max_retries: int = 100,
        **kwargs: Any,
    ):
        validate_config_space(config_space)
        if max_retries < 1:
            raise ValueError(f"max_retries must be at least 1, got {max_retries}")
        warn_unknown_options("RandomSearcher", kwargs)
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=impute_points_to_evaluate(points_to_evaluate, config_space),
            random_seed=random_seed,
        )
        self.allow_duplicates = bool(allow_duplicates)
        self.max_retries = int(max_retries)
        self.random_state = make_random_state(random_seed)
        self._size = config_space_size(self.config_space)
        self._seen: set[tuple] = set()
        self._remaining: list[dict[str, Any]] | None = None  # set once a finite space runs low
        self._exhausted = False

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any] | None:
        while self.points_to_evaluate:
            config = self.next_initial_config()
            if self._is_new(config):
                return config
        if self._exhausted:
            return None
        if self._remaining is None:
            for _ in range(self.max_retries):
                config = sample_config(self.config_space, self.random_state)
                if self._is_new(config):
                    return config
            self._remaining = self._enumerate_remaining()
        while self._remaining:
            config = self._remaining.pop()
            if self._is_new(config):
                return config
        self._exhausted = True
        return None

    def _is_new(self, config: dict[str, Any]) -> bool:
        """Record ``config`` as suggested; False if it was suggested before."""
        if self.allow_duplicates:
            return True
        key = config_key(config, self.config_space)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _enumerate_remaining(self) -> list[dict[str, Any]]:
        """The configurations not suggested yet, in random order (empty for large spaces)."""
        if self.allow_duplicates or self._size is None or self._size > MAX_ENUMERATED_CONFIGS:
            return []
        names = list(self.config_space)
        choices = [
            domain.grid(domain.size()) if isinstance(domain, Domain) else [domain]
            for domain in self.config_space.values()
        ]
        remaining = []
        for values in itertools.product(*choices):
            config = dict(zip(names, values))
            if config_key(config, self.config_space) not in self._seen:
                remaining.append(config)
        order = self.random_state.permutation(len(remaining))
        return [remaining[i] for i in order]
