"""Regularized evolution (Real et al., AAAI 2019), Syne Tune's ``RegularizedEvolution``.

The population holds the ``population_size`` most recently finished configurations. Until it is
full, configurations are drawn at random; afterwards ``sample_size`` members are drawn (with
replacement), the best of them is the parent, and the child is the parent with one
hyperparameter drawn anew from its domain. The oldest member leaves when a new one arrives, so
a configuration survives by being re-discovered, not by having been lucky once ("aging").

The bookkeeping around it (``points_to_evaluate`` first, no configuration suggested twice,
enumerating small finite spaces) is the sdk's ``ModelBasedSearcher``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import numpy as np

from synetune_sdk.config_space import Domain
from synetune_sdk.model_based import ModelBasedSearcher, check_integers, finite_or_none

logger = logging.getLogger(__name__)

# Options Syne Tune's searchers accept that mean nothing here (no warning for them).
IGNORED_OPTIONS = frozenset(
    {"debug_log", "resource_attr", "max_t", "scheduler", "random_seed_generator"}
)
NUM_SAMPLE_TRY = 1000  # mutations tried before falling back to a random configuration


class RegularizedEvolution(ModelBasedSearcher):
    """Aging evolution with single-hyperparameter mutation.

    Options (Syne Tune's names and defaults): ``population_size=100``, ``sample_size=10``
    (members drawn, with replacement, to pick the parent), ``points_to_evaluate`` (``None``: the
    midpoint configuration), ``random_seed``. A result enters the population when its trial
    completes (or on ``on_trial_result(update=True)``); a NaN or infinite metric value does not
    enter it. Unlike Syne Tune, no configuration is suggested twice (``allow_duplicates=True``
    allows it): a mutation that lands on a configuration seen before is drawn again.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        population_size: int = 100,
        sample_size: int = 10,
        allow_duplicates: bool = False,
        **kwargs: Any,
    ):
        check_integers((("population_size", population_size, 1), ("sample_size", sample_size, 1)))
        super().__init__(
            config_space,
            metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            known_options=IGNORED_OPTIONS,
            **kwargs,
        )
        self.mutable = [
            name
            for name, domain in self.config_space.items()
            if isinstance(domain, Domain) and domain.size() != 1
        ]
        if not self.mutable:
            raise ValueError(
                "regularized evolution needs at least one hyperparameter with more than one value "
                f"to mutate; the config space {self.config_space!r} has none"
            )
        self.population_size = population_size
        self.sample_size = sample_size
        # trial_id -> (config, score), oldest first; score: smaller is better
        self.population: OrderedDict[int, tuple[dict[str, Any], float]] = OrderedDict()

    # -- results -------------------------------------------------------------------------------
    def on_trial_result(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any], update: bool
    ) -> None:
        if update:
            self._add(trial_id, config, result)

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        self._add(trial_id, config, result)

    def _add(self, trial_id: int, config: dict[str, Any], result: dict[str, Any]) -> None:
        self._mark_seen(config)
        value = finite_or_none(result.get(self.metric))
        if value is None:
            return
        entry = ({k: config[k] for k in self.config_space if k in config}, self._sign * value)
        if trial_id in self.population:
            self.population[trial_id] = entry  # a later result of the same trial keeps its age
            return
        self.population[trial_id] = entry
        if len(self.population) > self.population_size:
            self.population.popitem(last=False)

    # -- proposals -----------------------------------------------------------------------------
    def _model_ready(self) -> bool:
        return len(self.population) >= self.population_size

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        members = list(self.population.values())
        picks = self.random_state.integers(len(members), size=self.sample_size)
        parent = min((members[i] for i in picks), key=lambda member: member[1])[0]
        parent_key = self._key(self.encoder.encode(parent))
        exclude = self._exclude()
        for _ in range(NUM_SAMPLE_TRY):
            child = dict(parent)  # one hyperparameter differs from the parent, never more
            name = self.mutable[int(self.random_state.integers(len(self.mutable)))]
            child[name] = self.config_space[name].sample(random_state=self.random_state)
            row = self.encoder.encode(child)
            key = self._key(row)
            if key != parent_key and key not in exclude:
                return row[0]
        logger.info(
            "no new configuration found in %d mutations; drawing one at random", NUM_SAMPLE_TRY
        )
        return None
