"""Differential evolution over the encoded unit cube (Syne Tune's ``acq_optimizer="de"``).

Strategy best/1/bin with Syne Tune's settings (population 10, mutation 0.5, crossover 0.5,
``fevals // 10 - 1`` generations). A whole generation is scored in one call, so the classifier
predicts once per generation instead of once per point.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

POPSIZE = 10
MUTATION = 0.5
CROSSOVER = 0.5


def differential_evolution(
    score: Callable[[np.ndarray], np.ndarray],
    snap: Callable[[np.ndarray], np.ndarray],
    dim: int,
    fevals: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``score`` over ``[0, 1]^dim`` (rows passed through ``snap`` first); returns
    every row scored and its score, so that the caller can pick the best one not seen yet."""
    population = snap(rng.uniform(size=(POPSIZE, dim)))
    fitness = score(population)
    rows, scores = [population], [fitness]
    for _ in range(max(0, fevals // POPSIZE - 1)):
        best = population[int(np.argmin(fitness))]
        others = np.array(
            [rng.choice(np.delete(np.arange(POPSIZE), j), 2, replace=False) for j in range(POPSIZE)]
        )
        mutant = np.clip(
            best + MUTATION * (population[others[:, 0]] - population[others[:, 1]]), 0.0, 1.0
        )
        cross = rng.uniform(size=(POPSIZE, dim)) < CROSSOVER
        cross[np.arange(POPSIZE), rng.integers(0, dim, size=POPSIZE)] = True
        trial = snap(np.where(cross, mutant, population))
        trial_fitness = score(trial)
        better = trial_fitness < fitness
        population[better], fitness[better] = trial[better], trial_fitness[better]
        rows.append(trial)
        scores.append(trial_fitness)
    return np.concatenate(rows), np.concatenate(scores)
