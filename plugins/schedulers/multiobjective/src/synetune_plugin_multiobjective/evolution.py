"""Evolutionary multi-objective searchers: NSGA-II (``nsga2``) and multi-objective regularized
evolution (``morea``), both asynchronous: a free worker gets a child at once, bred from the
results known at that moment, instead of waiting for a whole generation.

Both work on the rows of ``synetune_sdk.encoding.ConfigEncoder`` ([0, 1]^d, categories one-hot)
through ``synetune_sdk.model_based.ModelBasedSearcher``, which supplies ``points_to_evaluate``,
random configurations until the method is ready, and never suggests a configuration twice.
Results lacking a metric or holding a NaN are skipped with one warning (the configuration is
not suggested again); failed trials are forgotten.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from synetune_plugin_multiobjective.common import (
    ObjectiveReader,
    better,
    metrics_and_modes,
    rank_and_crowding,
)
from synetune_sdk.model_based import ModelBasedSearcher

# Syne Tune search_options these searchers accept and do not need
IGNORED_OPTIONS = frozenset({"debug_log", "scheduler", "random_seed_generator"})
MAX_TRIES = 20  # children bred before falling back to a random configuration


class _MultiObjectiveSearcher(ModelBasedSearcher):
    """Observations as encoded rows and minimisation vectors, for the evolutionary searchers."""

    method = "multi-objective searcher"

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        **kwargs: Any,
    ):
        metrics, modes = metrics_and_modes(metric, mode, self.method)
        super().__init__(
            config_space,
            metrics[0],
            mode=modes[0],
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            known_options=IGNORED_OPTIONS,
            **kwargs,
        )
        self.metric, self.mode = metrics, mode if isinstance(mode, str) else modes
        self.metrics, self.modes = metrics, modes
        self._read = ObjectiveReader(metrics, modes, self.method)
        self._rows: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._order: list[int] = []  # trial ids, in the order their results arrived
        self.num_suggested = 0

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any] | None:
        config = super().suggest(trial_id, **kwargs)
        if config is not None:
            self.num_suggested += 1
        return config

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        row = self._mark_seen(config)
        y = self._read(result, trial_id)
        if y is not None:
            self._rows.append(row)
            self._values.append(y)
            self._order.append(trial_id)
            self._observed(len(self._rows) - 1)

    def _observed(self, index: int) -> None:
        """A new observation was stored at ``index`` (subclasses keep their population)."""

    def _mutate_or_random(self, row: np.ndarray) -> np.ndarray | None:
        """``row`` if it is new (snapped to a configuration), else None."""
        row = self.encoder.snap(row[None, :])[0]
        return row if self._key(row[None, :]) not in self._exclude() else None


class NSGA2Searcher(_MultiObjectiveSearcher):
    """Asynchronous NSGA-II (Deb et al. 2002) on the encoded space (``nsga2``).

    The first ``population_size`` suggestions are ``points_to_evaluate`` and random
    configurations. Then each suggestion breeds one child: the population is the
    ``population_size`` best observations by non-domination rank and crowding distance
    (elitist, every observation so far competes), two parents are picked by binary tournaments
    on the same order, simulated binary crossover (probability ``crossover_probability=0.9``,
    ``eta_crossover=15``; categories: each block from either parent) and polynomial mutation
    (each column with probability ``mutation_probability``, default 1/number of
    hyperparameters, ``eta_mutation=20``; a mutated category is redrawn) make the child. These are
    pymoo's defaults for NSGA-II, which Syne Tune's ``NSGA2Searcher`` wraps.
    """

    method = "nsga2"

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        population_size: int = 20,
        crossover_probability: float = 0.9,
        mutation_probability: float | None = None,
        eta_crossover: float = 15.0,
        eta_mutation: float = 20.0,
        **kwargs: Any,
    ):
        super().__init__(config_space, metric, mode, points_to_evaluate, random_seed, **kwargs)
        if isinstance(population_size, bool) or not isinstance(population_size, int):
            raise ValueError(f"nsga2: population_size must be an integer, got {population_size!r}")
        if population_size < 2:
            raise ValueError(f"nsga2: population_size must be >= 2, got {population_size}")
        for name, p in (("crossover_probability", crossover_probability),):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"nsga2: {name} must be in [0, 1], got {p!r}")
        if mutation_probability is not None and not 0.0 <= mutation_probability <= 1.0:
            raise ValueError(
                f"nsga2: mutation_probability must be in [0, 1] or None, got "
                f"{mutation_probability!r}"
            )
        if not eta_crossover > 0 or not eta_mutation > 0:
            raise ValueError("nsga2: eta_crossover and eta_mutation must be > 0")
        self.population_size = population_size
        self.crossover_probability = crossover_probability
        n_hps = max(1, len(self.encoder.columns))
        self.mutation_probability = (
            1.0 / n_hps if mutation_probability is None else mutation_probability
        )
        self.eta_crossover, self.eta_mutation = eta_crossover, eta_mutation

    def _model_ready(self) -> bool:
        return self.num_suggested >= self.population_size and len(self._rows) >= 2

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        Y = np.array(self._values)
        ranks, crowd = rank_and_crowding(Y)
        order = sorted(range(len(Y)), key=lambda i: (ranks[i], -crowd[i]))
        population = order[: self.population_size]
        for _ in range(MAX_TRIES):
            a, b = self._tournament(population, ranks, crowd), None
            while b is None or (b == a and len(population) > 1):
                b = self._tournament(population, ranks, crowd)
            child = self._mutate(self._crossover(self._rows[a], self._rows[b]))
            row = self._mutate_or_random(child)
            if row is not None:
                return row
        return None

    def _tournament(self, population: list[int], ranks: np.ndarray, crowd: np.ndarray) -> int:
        i, j = (population[k] for k in self.random_state.integers(len(population), size=2))
        return i if better(ranks, crowd, i, j) or i == j else j

    def _crossover(self, p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
        rng = self.random_state
        child = p1.copy()
        if rng.random() > self.crossover_probability:
            return child
        for column in self.encoder.columns:
            cols = slice(column.start, column.start + column.width)
            if column.kind == "onehot":
                if rng.random() < 0.5:
                    child[cols] = p2[cols]
                continue
            j = column.start
            if rng.random() < 0.5 and abs(p1[j] - p2[j]) > 1e-12:
                u = rng.random()
                eta = self.eta_crossover
                beta = (
                    (2 * u) ** (1 / (eta + 1)) if u <= 0.5 else (1 / (2 - 2 * u)) ** (1 / (eta + 1))
                )
                c1 = 0.5 * ((1 + beta) * p1[j] + (1 - beta) * p2[j])
                c2 = 0.5 * ((1 - beta) * p1[j] + (1 + beta) * p2[j])
                child[j] = c1 if rng.random() < 0.5 else c2
            elif rng.random() < 0.5:
                child[j] = p2[j]
        return np.clip(child, 0.0, 1.0)

    def _mutate(self, row: np.ndarray) -> np.ndarray:
        rng = self.random_state
        row = row.copy()
        for column in self.encoder.columns:
            if rng.random() >= self.mutation_probability:
                continue
            if column.kind == "onehot":
                row[column.start : column.start + column.width] = 0.0
                row[column.start + int(rng.integers(column.width))] = 1.0
                continue
            j, x, eta = column.start, row[column.start], self.eta_mutation
            u = rng.random()
            if u < 0.5:
                delta = (2 * u + (1 - 2 * u) * (1 - x) ** (eta + 1)) ** (1 / (eta + 1)) - 1
            else:
                delta = 1 - (2 * (1 - u) + 2 * (u - 0.5) * x ** (eta + 1)) ** (1 / (eta + 1))
            row[j] = np.clip(x + delta, 0.0, 1.0)
        return row


class MOREASearcher(_MultiObjectiveSearcher):
    """Multi-objective regularized evolution (Syne Tune's ``MultiObjectiveRegularizedEvolution``,
    ``morea``).

    The population holds the last ``population_size=100`` observations (the oldest leaves). Until
    it is full, suggestions are random; then ``sample_size=10`` members are drawn (with
    replacement, as Syne Tune does), the best of the sample by non-domination rank and then
    crowding distance *within the sample* is the parent, and the child differs from it in one
    hyperparameter redrawn at random (several tries until the configuration is new).
    """

    method = "morea"

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        population_size: int = 100,
        sample_size: int = 10,
        **kwargs: Any,
    ):
        super().__init__(config_space, metric, mode, points_to_evaluate, random_seed, **kwargs)
        for name, value in (("population_size", population_size), ("sample_size", sample_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"morea: {name} must be a positive integer, got {value!r}")
        self.population_size, self.sample_size = population_size, sample_size
        self.population: deque[int] = deque(maxlen=population_size)

    def _observed(self, index: int) -> None:
        self.population.append(index)

    def _model_ready(self) -> bool:
        return len(self.population) >= self.population_size

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        rng = self.random_state
        members = list(self.population)
        sample = [members[k] for k in rng.integers(len(members), size=self.sample_size)]
        ranks, crowd = rank_and_crowding(np.array([self._values[i] for i in sample]))
        best = 0
        for k in range(1, len(sample)):
            if better(ranks, crowd, k, best):
                best = k
        parent = self._rows[sample[best]]
        columns = self.encoder.columns
        for _ in range(MAX_TRIES):
            column = columns[int(rng.integers(len(columns)))]
            child = parent.copy()
            fresh = self.encoder.sample_encoded(1, rng)[0]
            cols = slice(column.start, column.start + column.width)
            child[cols] = fresh[cols]
            row = self._mutate_or_random(child)
            if row is not None:
                return row
        return None
