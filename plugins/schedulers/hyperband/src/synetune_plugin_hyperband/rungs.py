"""Rungs of asynchronous Hyperband: the metric values recorded at one resource level.

Per-decision cost must not grow with the number of trials. A rung therefore keeps its values in
two heaps split at the promotion quantile (``RunningQuantile``): the two order statistics numpy
interpolates between are the heads of the heaps, so reading the quantile is O(1) and recording a
value O(log n). The paused trials not promoted from the rung yet sit in a third heap, best first,
so finding the trial to resume does not scan the trials either.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field

from synetune_plugin_hyperband.common import interpolate


@dataclass
class RunningQuantile:
    """Values added one at a time; ``numpy.quantile(values, q)`` (linear) at any moment.

    ``lower`` (a max-heap of negated values) holds the ``floor((n - 1) q) + 1`` smallest values,
    ``upper`` (a min-heap) the others.
    """

    q: float
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lower) + len(self.upper)

    def add(self, value: float) -> None:
        if self.lower and value < -self.lower[0]:
            heapq.heappush(self.lower, -value)
        else:
            heapq.heappush(self.upper, value)
        target = math.floor((len(self) - 1) * self.q) + 1
        while len(self.lower) < target:
            heapq.heappush(self.lower, -heapq.heappop(self.upper))
        while len(self.lower) > target:
            heapq.heappush(self.upper, -heapq.heappop(self.lower))

    def quantile(self) -> float:
        virtual = (len(self) - 1) * self.q
        below = -self.lower[0]
        above = self.upper[0] if self.upper else below
        return interpolate(below, above, virtual - math.floor(virtual))

    def sorted_values(self) -> list[float]:
        return sorted([-v for v in self.lower] + self.upper)


@dataclass
class Rung:
    """One rung level with the values recorded there.

    ``prom_quant`` is Syne Tune's promotion quantile ``level / next level`` (``1 / reduction_factor``
    for geometric rungs). ``sign`` is +1 when minimising and -1 when maximising: keys
    ``(sign * value, seq, trial_id)`` sort the best first, ties in the order they were recorded.
    """

    level: int
    prom_quant: float
    sign: int
    keep_order: bool = False  # PASHA ranks every entry of a rung, others need only the quantile
    values: RunningQuantile = field(init=False)
    trials: dict[int, float] = field(default_factory=dict)
    candidates: list[tuple[float, int, int]] = field(default_factory=list)  # heap, lazy deletion
    candidate_key: dict[int, tuple[float, int, int]] = field(default_factory=dict)
    order: list[tuple[float, int, int]] = field(default_factory=list)
    order_key: dict[int, tuple[float, int, int]] = field(default_factory=dict)
    costs: dict[int, float] = field(default_factory=dict)  # cost_promotion: total cost per trial
    total_cost: float = 0.0

    def __post_init__(self) -> None:
        # numpy's quantile of the values; when maximising, Syne Tune's mirrored 1 - prom_quant
        self.values = RunningQuantile(self.prom_quant if self.sign > 0 else 1.0 - self.prom_quant)

    def __contains__(self, trial_id: int) -> bool:
        return trial_id in self.trials

    def __len__(self) -> int:
        return len(self.values)

    def add(
        self, trial_id: int, value: float, seq: int, paused: bool, cost: float | None = None
    ) -> None:
        """Record ``value`` of ``trial_id``; a ``paused`` trial becomes a candidate for promotion.
        ``cost`` (``cost_promotion``, with ``keep_order``): what reaching the rung cost it."""
        if cost is not None:
            self.costs[trial_id] = cost
            self.total_cost += cost
        self.values.add(value)
        self.trials[trial_id] = value
        key = (self.sign * value, seq, trial_id)
        if paused:
            heapq.heappush(self.candidates, key)
            self.candidate_key[trial_id] = key
        if self.keep_order:
            bisect.insort(self.order, key)
            self.order_key[trial_id] = key

    def cutoff(self) -> float | None:
        """``numpy.quantile(values, q)`` with ``q = prom_quant`` (``1 - prom_quant`` when
        maximising), or None while fewer than two values are recorded (then everyone goes on)."""
        return self.values.quantile() if len(self.values) >= 2 else None

    def passes(self, value: float) -> bool:
        """Whether ``value`` lies within the top ``prom_quant`` of the recorded values."""
        cutoff = self.cutoff()
        if cutoff is None:
            return True
        return value <= cutoff if self.sign > 0 else value >= cutoff

    def best_candidate(self) -> tuple[float, int, int] | None:
        heap = self.candidates
        while heap and self.candidate_key.get(heap[0][2]) != heap[0]:
            heapq.heappop(heap)  # left behind by drop_candidate
        return heap[0] if heap else None

    def promotable(self) -> int | None:
        """The best paused, not yet promoted trial if it is within the top quantile, else None."""
        best = self.best_candidate()
        cutoff = self.cutoff()
        if best is None or cutoff is None:
            return None
        value = self.sign * best[0]
        return best[2] if (value <= cutoff if self.sign > 0 else value >= cutoff) else None

    def cost_promotable(self) -> int | None:
        """Syne Tune's ``CostPromotionRungSystem``: scanning the rung best first, the first paused
        trial reached before the summed cost exceeds ``prom_quant`` times the rung's total cost.
        O(rung size), as in Syne Tune; only ``cost_promotion`` calls it."""
        if len(self) < 2 or self.best_candidate() is None:
            return None
        budget = self.total_cost * self.prom_quant
        spent = 0.0
        for key in self.order:
            spent += self.costs[key[2]]
            if spent > budget:
                return None
            if key[2] in self.candidate_key:
                return key[2]
        return None

    def drop_candidate(self, trial_id: int, seq: int | None = None) -> None:
        """``trial_id`` leaves the candidates (promoted, or failed). On promotion Syne Tune
        re-inserts the entry, which moves it after entries of equal value: ``seq`` does that."""
        self.candidate_key.pop(trial_id, None)
        if seq is not None and self.keep_order and trial_id in self.order_key:
            old = self.order_key[trial_id]
            del self.order[bisect.bisect_left(self.order, old)]
            new = (old[0], seq, trial_id)
            bisect.insort(self.order, new)
            self.order_key[trial_id] = new

    def paused(self) -> list[tuple[int, int, float]]:
        """``(trial_id, rank, value)`` of the candidates, best first; ``rank`` counts the better
        values recorded at the rung (0: the best)."""
        values = self.values.sorted_values()
        out = []
        for key in sorted(self.candidate_key.values()):
            value = self.sign * key[0]
            if self.sign > 0:
                rank = bisect.bisect_left(values, value)
            else:
                rank = len(values) - bisect.bisect_right(values, value)
            out.append((key[2], rank, value))
        return out


def promotion_quantiles(rung_levels: list[int], max_t: int) -> list[float]:
    """Syne Tune's ``q_j = r_j / r_{j+1}`` (with ``r_K = max_t``)."""
    upper = rung_levels[1:] + [max_t]
    return [a / b for a, b in zip(rung_levels, upper)]


def bracket_distribution(rung_levels: list[int], max_t: int, num_brackets: int) -> list[float]:
    """Syne Tune's default: bracket ``s`` proportional to its number of trials in synchronous
    Hyperband, ``(K + 1) / ((K + 1 - s) * r_s)`` with levels ``r = rung_levels + [max_t]``."""
    levels = rung_levels + [max_t]
    size = len(levels)
    weights = [size / ((size - s) * levels[s]) for s in range(num_brackets)]
    total = sum(weights)
    return [w / total for w in weights]
