"""Pieces the multi-objective methods share: argument checks, reading objective vectors from
results, Syne Tune's epsilon-net ordering and NSGA-II's crowding distance.

Non-dominated sorting, Pareto masks and hypervolumes come from ``synetune_sdk.multiobjective``;
what is here is specific to the methods of this plugin.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


def metrics_and_modes(
    metric: Any, mode: str | list[str] | None, method: str
) -> tuple[list[str], list[str]]:
    """Check a multi-objective method's ``metric`` (at least two names) and ``mode`` (one string
    or one per metric; ``None`` is "min" as in Syne Tune) and return them as two lists."""
    metrics = [metric] if isinstance(metric, str) else list(metric or [])
    if not all(isinstance(m, str) and m for m in metrics):
        raise ValueError(f"{method}: metric must be a list of metric names, got {metric!r}")
    if len(metrics) < 2:
        raise ValueError(
            f"{method} is a multi-objective method and needs at least two metrics, got "
            f"{metric!r}; pass metric=['<objective 1>', '<objective 2>', ...] (for one objective "
            "use a single-objective scheduler such as 'asha' or 'fifo')"
        )
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"{method}: metric names must be distinct, got {metrics}")
    if mode is None:
        mode = "min"
    modes = [mode] * len(metrics) if isinstance(mode, str) else list(mode)
    if len(modes) != len(metrics):
        raise ValueError(
            f"{method}: mode has {len(modes)} entries but metric has {len(metrics)} "
            f"(metric={metrics!r}, mode={mode!r}); give one 'min'/'max' per metric or a single "
            "string for all"
        )
    bad = [m for m in modes if m not in ("min", "max")]
    if bad:
        raise ValueError(f"{method}: mode must be 'min' or 'max', got {bad[0]!r}")
    return metrics, modes


class ObjectiveReader:
    """Turn a result into a minimisation vector, or None (with one warning per kind of problem)
    when a metric is missing or not a finite number: such a result is skipped, never a crash."""

    def __init__(self, metrics: list[str], modes: list[str], method: str):
        self.metrics = list(metrics)
        self.sign = np.array([1.0 if m == "min" else -1.0 for m in modes])
        self.method = method
        self._warned: set[str] = set()

    def __call__(self, result: dict[str, Any], trial_id: Any = None) -> np.ndarray | None:
        missing = [m for m in self.metrics if m not in result]
        if missing:
            self._warn(
                "missing",
                f"{self.method}: trial {trial_id} reported a result without {missing} (keys: "
                f"{sorted(result)}); such results are skipped. Report every metric of "
                f"{self.metrics} in each result.",
            )
            return None
        try:
            values = np.array([float(result[m]) for m in self.metrics])
        except (TypeError, ValueError):
            values = np.array([math.nan])
        if not np.all(np.isfinite(values)):
            self._warn(
                "nan",
                f"{self.method}: trial {trial_id} reported a NaN, infinite or non-numeric value "
                f"in {[result[m] for m in self.metrics]} for {self.metrics}; such results are "
                "skipped.",
            )
            return None
        return values * self.sign

    def _warn(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            logger.warning(message + " (warned once)")


def epsilon_net_order(Y: np.ndarray, dim: int = 0, stop_at: int | None = None) -> list[int]:
    """Syne Tune's epsilon-net order of the rows of ``Y``: first the row with the smallest value
    in column ``dim``, then repeatedly the row farthest (Euclidean) from every row chosen so far;
    ties go to the lowest index. Stops once row ``stop_at`` is chosen, if given.

    The distances are the same numbers Syne Tune computes (``np.linalg.norm`` of row
    differences) and the running minimum is exact, so the order matches Syne Tune's, ties
    included: MOASHA's differential test depends on it.
    """
    n = len(Y)
    first = int(np.argmin(Y[:, dim]))
    order = [first]
    if n == 1 or first == stop_at:
        return order
    remaining = np.array([i for i in range(n) if i != first])
    min_dist = np.linalg.norm(Y[remaining] - Y[first], axis=-1)
    while len(remaining):
        k = int(np.argmax(min_dist))
        choice = int(remaining[k])
        order.append(choice)
        if choice == stop_at:
            break
        remaining = np.delete(remaining, k)
        min_dist = np.delete(min_dist, k)
        if len(remaining):
            min_dist = np.minimum(min_dist, np.linalg.norm(Y[remaining] - Y[choice], axis=-1))
    return order


def crowding_distance(Y: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of the rows of one front (Deb et al. 2002): per objective,
    the gap between a row's neighbours divided by the objective's range; the extremes get
    infinity, so they are kept first."""
    n, m = Y.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(Y[:, j], kind="stable")
        values = Y[order, j]
        span = values[-1] - values[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (values[2:] - values[:-2]) / span
    return distance


def rank_and_crowding(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-domination rank (sdk) and crowding distance within each front, for every row."""
    from synetune_sdk.multiobjective import nondominated_sort

    ranks = nondominated_sort(Y)
    crowd = np.zeros(len(Y))
    for r in np.unique(ranks):
        idx = np.flatnonzero(ranks == r)
        crowd[idx] = crowding_distance(Y[idx])
    return ranks, crowd


def better(ranks: np.ndarray, crowd: np.ndarray, a: int, b: int) -> bool:
    """NSGA-II's crowded comparison: lower rank wins, then larger crowding distance."""
    if ranks[a] != ranks[b]:
        return bool(ranks[a] < ranks[b])
    return bool(crowd[a] > crowd[b])
