"""PASHA's progressive resource allocation (Bohdal et al. 2023), as Syne Tune's PASHARungSystem.

PASHA is ASHA with promotion, except that trials may only be promoted into rungs up to a current
maximum: at first the second rung level. Whenever the ranking of the trials in the two currently
highest rungs disagrees (soft ranking: values within ``epsilon`` count as equal), the maximum grows
by one rung, and after the last rung to ``max_t``. ``epsilon`` is the 90th percentile of the
distances, at the highest epoch in the window between these two rungs, of the pairs of trials
whose order flipped and flipped back over earlier epochs ("noisy" pairs).

Syne Tune recomputes all noisy pairs and both rankings at every result (quadratic in the number of
trials). Here the pairs are kept up to date incrementally (a result touches the pairs of its trial
with the trials that reported the same epoch) and the ranking is re-checked only when the two top
rungs or ``epsilon`` changed, which gives the same decisions at a fraction of the cost.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field

from synetune_plugin_hyperband.common import sorted_quantile
from synetune_plugin_hyperband.rungs import Rung


@dataclass
class PashaState:
    """The growing resource limit and the data it is decided from."""

    rung_levels: list[int]
    max_t: int
    sign: int
    rung_idx: int = 2  # 1-based index of the current top rung
    current_max_t: int = 0
    epsilon: float = 0.0
    done: bool = False  # the limit reached max_t: nothing is left to decide
    per_epoch: dict[int, dict[int, float]] = field(default_factory=dict)
    epoch_trials: dict[int, set[int]] = field(default_factory=dict)
    window_trials: set[int] = field(default_factory=set)
    noisy: dict[tuple[int, int], float] = field(default_factory=dict)
    distances: list[float] = field(default_factory=list)
    dirty: bool = True

    def __post_init__(self) -> None:
        if len(self.rung_levels) < 2:
            raise ValueError(
                f"type='pasha' needs at least two rung levels below max_t={self.max_t}, got "
                f"{self.rung_levels}; lower grace_period or reduction_factor, or raise max_t"
            )
        self.current_max_t = self.rung_levels[self.rung_idx - 1]

    @property
    def window(self) -> tuple[int, int]:
        """Epochs ``(lo, hi]`` between the previous and the current top rung."""
        return self.rung_levels[self.rung_idx - 2], self.rung_levels[self.rung_idx - 1]

    def on_rung_change(self, rung_index: int) -> None:
        """A rung got an entry or its order changed; the two top rungs matter."""
        if rung_index in (self.rung_idx - 1, self.rung_idx - 2):
            self.dirty = True

    def on_report(self, trial_id: int, epoch: int, value: float, rungs: list[Rung]) -> None:
        """A result below ``max_t`` (Syne Tune's ``PASHARungSystem.on_task_report``)."""
        if self.done:
            return
        per = self.per_epoch.setdefault(trial_id, {})
        overwrite = epoch in per
        per[epoch] = value
        self.epoch_trials.setdefault(epoch, set()).add(trial_id)
        lo, hi = self.window
        if lo < epoch <= hi:
            self.window_trials.add(trial_id)
            self._update_pairs(
                trial_id, self.window_trials if overwrite else self.epoch_trials[epoch]
            )
        elif epoch <= lo and trial_id in self.window_trials:
            # a resumed trial without checkpoint reports again: the history of its pairs changed
            self._update_pairs(trial_id, self.window_trials)
        self._refresh_epsilon()
        if self.dirty:
            self.dirty = False
            if self._ranking_changed(rungs):
                self._increase()

    def _increase(self) -> None:
        if self.rung_idx < len(self.rung_levels):
            self.rung_idx += 1
            self.current_max_t = self.rung_levels[self.rung_idx - 1]
            self._rebuild_window()
            self.dirty = True
        else:
            self.current_max_t = self.max_t
            self.done = True

    # -- epsilon from noisy pairs -------------------------------------------------------------
    def _pair_distance(self, a: int, b: int) -> float | None:
        pa, pb = self.per_epoch[a], self.per_epoch[b]
        lo, hi = self.window
        for epoch in range(hi, lo, -1):
            if epoch in pa and epoch in pb:
                break
        else:
            return None
        p1, p2 = pa[epoch], pb[epoch]
        cond = p1 > p2
        opposite = False
        for prev in range(epoch - 1, 0, -1):
            if prev not in pa or prev not in pb:
                continue  # Syne Tune assumes every epoch is reported (KeyError otherwise)
            p_cond = pa[prev] > pb[prev]
            if p_cond == (not cond):
                opposite = True
            if opposite and p_cond == cond:
                return abs(p1 - p2)
        return None

    def _set_pair(self, a: int, b: int) -> None:
        key = (a, b) if a < b else (b, a)
        new = self._pair_distance(*key)
        old = self.noisy.get(key)
        if old == new:
            return
        if old is not None:
            del self.distances[bisect.bisect_left(self.distances, old)]
            del self.noisy[key]
        if new is not None:
            bisect.insort(self.distances, new)
            self.noisy[key] = new

    def _update_pairs(self, trial_id: int, others: set[int]) -> None:
        for other in others:
            if other != trial_id:
                self._set_pair(trial_id, other)

    def _rebuild_window(self) -> None:
        lo, hi = self.window
        self.window_trials = {
            t for t, per in self.per_epoch.items() if any(lo < e <= hi for e in per)
        }
        self.noisy.clear()
        self.distances.clear()
        for a, b in itertools.combinations(sorted(self.window_trials), 2):
            self._set_pair(a, b)
        self._refresh_epsilon()

    def _refresh_epsilon(self) -> None:
        # Like Syne Tune, epsilon keeps its last value while no noisy pair is known.
        if self.distances:
            epsilon = sorted_quantile(self.distances, 0.9)
            if epsilon != self.epsilon:
                self.epsilon = epsilon
                self.dirty = True

    # -- soft ranking -------------------------------------------------------------------------
    def _ranking_changed(self, rungs: list[Rung]) -> bool:
        """Whether the best-first order of the top rung disagrees with the order the same trials
        had in the rung below, by more than ``epsilon`` (Syne Tune's ``_evaluate_soft_ranking``)."""
        top, below = rungs[self.rung_idx - 1], rungs[self.rung_idx - 2]
        if not top.trials or not below.trials:
            return False
        # Trials that skipped the rung below (brackets > 1) are left out of the comparison.
        top_ids = [key[2] for key in top.order if key[2] in below.trials]
        below_ids = [key[2] for key in below.order if key[2] in top.trials]
        values = [below.trials[t] for t in below_ids]
        position = {t: i for i, t in enumerate(below_ids)}
        eps = 0.0 if len(below_ids) < 2 else self.epsilon
        for i, trial_id in enumerate(top_ids):
            j = position[trial_id]
            if j == i:
                continue
            v_i, v_j = values[i], values[j]
            # best first: ascending values when minimising, descending when maximising
            if (j > i) == (self.sign > 0):
                inside = not v_j > v_i + eps
            else:
                inside = not v_j < v_i - eps
            if not inside:
                return True
        return False
