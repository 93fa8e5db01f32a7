"""MOASHA: asynchronous successive halving for several objectives (Syne Tune's ``MOASHA``).

Salinas et al., "A multi-objective perspective on jointly tuning hardware and hyperparameters"
(NAS workshop, ICLR 2021). A trial that reaches a rung level is compared with every trial
recorded at that rung before it; the rung is ordered by non-dominated sorting, fronts ordered
inside by an epsilon-net (farthest-point order seeded at the best value of the first
objective), and the trial goes on only if it lands in the top ``1 / reduction_factor``.

The decisions are Syne Tune 0.13.0's, bit for bit (checked by a differential test on a
recorded stream of results). That includes how Syne Tune reads its own sort: its
``NonDominatedPriority`` returns the sorted list of indices where a priority per item is
expected, and the rank of the newcomer is taken from that list's last entry. With one front the
two readings agree; with several, the decision is "STOP iff the index found at the last
position of the sorted list, divided by the rung size, exceeds 1 / reduction_factor". This
module computes exactly that, only faster: the sdk's O(n log n) non-dominated sort for two
objectives, and an epsilon-net over the last front only, stopped as soon as it settles the answer.
"""

from __future__ import annotations

import math
import numbers
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from synetune_plugin_multiobjective.common import (
    ObjectiveReader,
    epsilon_net_order,
    metrics_and_modes,
)
from synetune_sdk.config_space import (
    config_space_to_json,
    make_random_state,
    sample_config,
    validate_config_space,
)
from synetune_sdk.scheduler import PauseResumeScheduler
from synetune_sdk.trial import SchedulerDecision, Trial, TrialSuggestion

PRIORITIES = ("non_dominated",)
TYPES = ("stopping", "promotion")


class _Rung:
    """The objective vectors recorded at one rung level (trial id -> row)."""

    def __init__(self, level: float, n_objectives: int):
        self.level = level
        self.ids: dict[int, int] = {}
        self.Y = np.empty((16, n_objectives))
        self.paused: list[int] = []  # promotion: trials paused here, not promoted yet

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, trial_id: int, y: np.ndarray) -> None:
        n = len(self.ids)
        if n == len(self.Y):
            self.Y = np.concatenate([self.Y, np.empty_like(self.Y)])
        self.Y[n] = y
        self.ids[trial_id] = n


class _Bracket:
    """Rung levels ``grace_period * reduction_factor**(k + s)``, highest first (Syne Tune's)."""

    def __init__(self, grace_period: int, max_t: int, reduction_factor: float, s: int, m: int):
        num = int(np.log(max_t / grace_period) / np.log(reduction_factor) - s + 1)
        self.rungs = [
            _Rung(grace_period * reduction_factor ** (k + s), m) for k in reversed(range(num))
        ]


class MOASHA(PauseResumeScheduler):
    """Multi-objective asynchronous successive halving, stopping variant (Syne Tune's ``MOASHA``).

    ``metrics`` (or ``metric``): at least two reported metrics; ``mode``: "min"/"max" or one per
    metric (default "min"). ``time_attr`` (or ``resource_attr``): the resource each result
    reports, counting up. ``max_t`` (default 100, or ``config_space[max_resource_attr]``):
    a result at ``max_t`` or beyond is answered STOP. ``grace_period``, ``reduction_factor``,
    ``brackets``: as in Syne Tune. ``multiobjective_priority``: ``None`` or
    ``"non_dominated"`` (Syne Tune's default) or any callable mapping an ``(n, m)`` array of
    minimisation values to one priority per row (lower is better), such as Syne Tune's
    ``LinearScalarizationPriority``. ``random_seed`` seeds the new configurations (random
    search) and the bracket draws. A result lacking a metric or holding NaN is skipped
    (CONTINUE, one warning).

    ``type="stopping"`` (default) is Syne Tune's MOASHA. ``type="promotion"`` (not in Syne
    Tune 0.13's MOASHA; ASHA's promotion variant with the same ordering) pauses a trial at every
    rung it reaches; ``suggest`` resumes, from the highest rung down, the best paused trial that
    is in the top ``1 / reduction_factor`` of its rung (ordered by non-domination rank, then
    epsilon-net position in the front), before starting a new configuration. Scripts should
    checkpoint.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metrics: list[str] | None = None,
        mode: str | list[str] | None = None,
        time_attr: str | None = None,
        multiobjective_priority: str | Callable[[np.ndarray], Any] | None = None,
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int = 1,
        random_seed: int | None = None,
        metric: list[str] | None = None,
        resource_attr: str | None = None,
        max_resource_attr: str | None = None,
        type: str = "stopping",
        **kwargs: Any,
    ):
        if kwargs:
            raise TypeError(
                f"MOASHA got unknown argument(s) {sorted(kwargs)}; valid arguments are "
                "config_space, metrics (or metric), mode, time_attr (or resource_attr), "
                "multiobjective_priority, max_t, max_resource_attr, grace_period, "
                "reduction_factor, brackets, random_seed, type"
            )
        validate_config_space(config_space)
        super().__init__(config_space)
        if type not in TYPES:
            raise ValueError(f"MOASHA: type must be one of {list(TYPES)}, got {type!r}")
        self.type = type
        if metrics is not None and metric is not None and list(metrics) != list(metric):
            raise ValueError("give the objectives as metrics= or metric=, not both")
        self._metrics, self._modes = metrics_and_modes(
            metrics if metrics is not None else metric, mode, "MOASHA"
        )
        self._mode_arg = mode if mode is not None else "min"
        if time_attr is not None and resource_attr is not None and time_attr != resource_attr:
            raise ValueError("give the resource as time_attr= or resource_attr=, not both")
        self.time_attr = time_attr or resource_attr or "training_iteration"
        if max_resource_attr is not None:
            if max_resource_attr not in self.config_space:
                raise ValueError(
                    f"max_resource_attr={max_resource_attr!r} is not a constant of the config "
                    f"space (keys: {sorted(self.config_space)})"
                )
            max_t = self.config_space[max_resource_attr]
        self.max_t = 100 if max_t is None else max_t
        self.max_resource_attr = max_resource_attr
        for name, value, low in (("max_t", self.max_t, 0), ("grace_period", grace_period, 0)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= low:
                raise ValueError(f"MOASHA: {name} must be a positive number, got {value!r}")
        if grace_period > self.max_t:
            raise ValueError(f"MOASHA: grace_period={grace_period} must be <= max_t={self.max_t}")
        if not isinstance(reduction_factor, int | float) or not reduction_factor > 1:
            raise ValueError(f"MOASHA: reduction_factor must be > 1, got {reduction_factor!r}")
        if isinstance(brackets, bool) or not isinstance(brackets, int) or brackets < 1:
            raise ValueError(f"MOASHA: brackets must be a positive integer, got {brackets!r}")
        if multiobjective_priority is None or multiobjective_priority in PRIORITIES:
            self._priority = None
        elif callable(multiobjective_priority):
            self._priority = multiobjective_priority
        else:
            raise ValueError(
                f"MOASHA: multiobjective_priority must be None, 'non_dominated' or a callable "
                f"priority(objectives) -> array, got {multiobjective_priority!r}"
            )
        self.grace_period = grace_period
        self.reduction_factor = reduction_factor
        self._threshold = 1 / reduction_factor
        if random_seed is None:
            random_seed = secrets.randbelow(2**31 - 1)
        self.random_seed = int(random_seed)
        # Syne Tune draws brackets from numpy's global RandomState; a seeded RandomState of our
        # own gives the same draws for the same seed, and configurations use another stream
        self._bracket_rng = np.random.RandomState(self.random_seed)
        self._config_rng = make_random_state(self.random_seed + 1)
        m = len(self._metrics)
        self._brackets = [
            _Bracket(grace_period, self.max_t, reduction_factor, s, m) for s in range(brackets)
        ]
        sizes = np.array([len(b.rungs) for b in self._brackets])
        probs = np.e ** (sizes - sizes.max())
        self._bracket_probs = probs / probs.sum()
        self._trial_bracket: dict[int, _Bracket] = {}
        self._configs: dict[int, dict[str, Any]] = {}  # promotion: to resume paused trials
        self._read = ObjectiveReader(self._metrics, self._modes, "MOASHA")

    # -- the scheduler contract ----------------------------------------------------------------
    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        if self.type == "promotion":
            promoted = self._promotable()
            if promoted is not None:
                return TrialSuggestion.resume_suggestion(promoted, self._configs.get(promoted))
        return TrialSuggestion.start_suggestion(sample_config(self.config_space, self._config_rng))

    def on_trial_add(self, trial: Trial) -> None:
        idx = self._bracket_rng.choice(len(self._brackets), p=self._bracket_probs)
        self._trial_bracket[trial.trial_id] = self._brackets[idx]
        if self.type == "promotion":
            self._configs[trial.trial_id] = dict(trial.config or {})

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        level = self._level(trial, result)
        if level is None:
            return SchedulerDecision.CONTINUE
        if level >= self.max_t:
            return SchedulerDecision.STOP
        y = self._read(result, trial.trial_id)
        if y is None:
            return SchedulerDecision.CONTINUE
        return self._on_result(trial.trial_id, level, y)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        level = self._level(trial, result)
        y = self._read(result, trial.trial_id) if level is not None else None
        if y is not None:
            self._on_result(trial.trial_id, level, y)
        self._trial_bracket.pop(trial.trial_id, None)

    def on_trial_remove(self, trial: Trial) -> None:
        if not self._is_paused(trial.trial_id):  # a paused trial may be resumed
            self._forget(trial.trial_id)

    def on_trial_error(self, trial: Trial) -> None:
        self._forget(trial.trial_id)

    def _forget(self, trial_id: int) -> None:
        bracket = self._trial_bracket.pop(trial_id, None)
        self._configs.pop(trial_id, None)
        for rung in bracket.rungs if bracket is not None else ():
            if trial_id in rung.paused:
                rung.paused.remove(trial_id)

    def does_pause_resume(self) -> bool:
        return self.type == "promotion"

    def paused_trials(self, resource: int | None = None) -> list[tuple[int, int, float, int]]:
        """``(trial_id, rank, value, level)`` of the paused trials not resumed yet; ``rank`` and
        ``value`` are both the trial's position in its rung's order (0: the best)."""
        out = []
        for bracket in self._brackets:
            for rung in bracket.rungs:
                if rung.paused and (resource is None or rung.level == resource):
                    position = self._positions(rung)
                    for t in rung.paused:
                        rank = int(position[rung.ids[t]])
                        out.append((t, rank, float(rank), rung.level))
        return out

    def rung_information(self) -> list[tuple[int, int, float]]:
        """``(level, number of entries, promotion quantile)`` per rung, highest first."""
        rungs = [r for b in self._brackets for r in b.rungs]
        return [(r.level, len(r), self._threshold) for r in sorted(rungs, key=lambda r: -r.level)]

    def metric_names(self) -> list[str]:
        return list(self._metrics)

    def metric_mode(self) -> str | list[str]:
        return self._mode_arg if isinstance(self._mode_arg, str) else list(self._modes)

    def is_multiobjective_scheduler(self) -> bool:
        return True

    def metadata(self) -> dict[str, Any]:
        return {
            **super().metadata(),
            "config_space": config_space_to_json(self.config_space),
            "random_seed": self.random_seed,
            "max_t": self.max_t,
            "time_attr": self.time_attr,
            "grace_period": self.grace_period,
            "reduction_factor": self.reduction_factor,
            "brackets": len(self._brackets),
            "type": self.type,
        }

    # -- rungs ---------------------------------------------------------------------------------
    def _level(self, trial: Trial, result: dict[str, Any]) -> Any:
        level = result.get(self.time_attr)
        if level is None or isinstance(level, bool) or not isinstance(level, numbers.Real):
            self._read._warn(
                "time_attr",
                f"MOASHA: trial {trial.trial_id} reported a result without a numeric "
                f"{self.time_attr!r} (keys: {sorted(result)}); such results are skipped. Set "
                "time_attr= to the resource your script reports.",
            )
            return None
        if math.isnan(level):
            return None
        return level

    def _on_result(self, trial_id: int, level: Any, y: np.ndarray) -> str:
        bracket = self._trial_bracket.get(trial_id)
        if bracket is None:  # a trial the scheduler was not told about (resumed tuner): add it
            self.on_trial_add(Trial(trial_id, {}, None))
            bracket = self._trial_bracket[trial_id]
        for rung in bracket.rungs:
            if level < rung.level or trial_id in rung.ids:
                continue
            if self.type == "promotion":
                rung.add(trial_id, y)
                rung.paused.append(trial_id)
                return SchedulerDecision.PAUSE
            action = SchedulerDecision.CONTINUE
            if len(rung):
                Y = np.concatenate([rung.Y[: len(rung)], y[None, :]])
                if self._stops(Y):
                    action = SchedulerDecision.STOP
            rung.add(trial_id, y)
            return action
        return SchedulerDecision.CONTINUE

    def _stops(self, Y: np.ndarray) -> bool:
        """Whether the newcomer (the last row of ``Y``) stops, as Syne Tune decides it."""
        n = len(Y)
        if self._priority is not None:
            priorities = np.asarray(self._priority(Y))
            ranks = np.searchsorted(np.sort(priorities), priorities) / n
            return bool(ranks[-1] > self._threshold)
        from synetune_sdk.multiobjective import nondominated_sort

        ranks = nondominated_sort(Y)
        front = np.flatnonzero(ranks == ranks.max())  # the last front, indices ascending
        # Syne Tune's flattened list ends with front[rank of front[-1] in the epsilon-net]
        last = len(front) - 1
        position = len(epsilon_net_order(Y[front], dim=0, stop_at=last)) - 1
        return bool(front[position] / n > self._threshold)

    # -- promotion -----------------------------------------------------------------------------
    def _is_paused(self, trial_id: int) -> bool:
        bracket = self._trial_bracket.get(trial_id)
        return bracket is not None and any(trial_id in r.paused for r in bracket.rungs)

    def _positions(self, rung: _Rung) -> np.ndarray:
        """Each recorded row's position in the rung: by non-domination rank, then by
        epsilon-net order inside the front (or by ``multiobjective_priority``)."""
        Y = rung.Y[: len(rung)]
        if self._priority is not None:
            order = np.argsort(np.asarray(self._priority(Y)), kind="stable")
        else:
            from synetune_sdk.multiobjective import nondominated_sort

            ranks = nondominated_sort(Y)
            order = []
            for r in range(int(ranks.max()) + 1):
                front = np.flatnonzero(ranks == r)
                order.extend(front[epsilon_net_order(Y[front], dim=0)])
        position = np.empty(len(Y), dtype=int)
        position[np.asarray(order, dtype=int)] = np.arange(len(Y))
        return position

    def _promotable(self) -> int | None:
        """The best paused trial in the top ``1 / reduction_factor`` of its rung, highest rung
        first; None if there is none."""
        rungs = [r for b in self._brackets for r in b.rungs if r.paused]
        for rung in sorted(rungs, key=lambda r: -r.level):
            position = self._positions(rung)
            best = min(rung.paused, key=lambda t: position[rung.ids[t]])
            if position[rung.ids[best]] < len(rung) * self._threshold:
                rung.paused.remove(best)
                return best
        return None
