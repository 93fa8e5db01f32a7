"""RUSH, stopping type, with the hurdle of the paper: the curve of the best threshold trial.

Syne Tune's ``RUSHStoppingRungSystem`` sets the hurdle at each rung to the best value any
threshold trial reached there. On the earlier tasks' best configurations that mixes curves: a
configuration that learns fast but ends badly sets the hurdle at the first rungs, one that ends
well sets it at the last, and a new configuration must beat both. Slow starters that end best
are stopped at the first rung, and a finite space is used up after a few full evaluations: the
run ends early and its result plateaus (measured in ``benchmarks/transfer_quality.py``).

Here, as the paper words it ("the one among them which performs best on the current task serves
as a hurdle"), the hurdle is the curve of one threshold trial, the incumbent: the one with the
best value at the highest rung level any threshold trial reached. When the searcher has no new
configuration left (a finite space tried in full) the threshold configurations run again, best
first, as threshold trials (another draw of their training noise), instead of the run ending.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from synetune_plugin_transfer.wrapper import WrappingScheduler
from synetune_sdk.config_space import config_key
from synetune_sdk.trial import SchedulerDecision, TrialSuggestion

logger = logging.getLogger(__name__)

__all__ = ["IncumbentRush"]


class IncumbentRush(WrappingScheduler):
    """``hyperband`` (type ``stopping``) whose first trials run ``thresholds`` and set, with the
    curve of the best of them, a hurdle every other trial must meet at each rung level.

    ``kwargs`` go to ``hyperband`` (``resource_attr``, ``max_t`` / ``max_resource_attr``,
    ``mode``, ``grace_period``, ``reduction_factor``, ``searcher``, ``random_seed``, ...).
    ``rerun_thresholds``: run the threshold configurations again once the searcher has nothing
    new (otherwise the run ends there, as in Syne Tune).
    """

    scheduler_name = "RUSHScheduler"

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        thresholds: list[dict[str, Any]],
        points_to_evaluate: list[dict[str, Any]],
        rerun_thresholds: bool = True,
        **kwargs: Any,
    ):
        from synetune.plugin_api import create

        super().__init__(config_space)
        self.scheduler = create(
            "schedulers",
            "hyperband",
            config_space=config_space,
            metric=metric,
            type="stopping",
            points_to_evaluate=list(thresholds) + list(points_to_evaluate),
            **kwargs,
        )
        self.metric = metric
        self.resource_attr = self.scheduler.resource_attr
        self.max_t = self.scheduler.max_t
        self.rerun_thresholds = bool(rerun_thresholds)
        self._levels = set(self.scheduler.rung_levels) | {self.max_t}
        self._sign = 1.0 if kwargs.get("mode", "min") == "min" else -1.0
        self.thresholds = [dict(c) for c in thresholds]
        self.num_threshold_candidates = len(self.thresholds)
        self._threshold_keys = {config_key(c, config_space) for c in thresholds}
        self._threshold_trials: dict[int, tuple] = {}  # trial id -> configuration key
        self._curves: dict[int, dict[int, float]] = {}  # threshold trial -> level -> value
        self._reruns = 0

    # -- the hurdle ---------------------------------------------------------------------------
    def incumbent(self) -> int | None:
        """The threshold trial with the best value at the highest level any of them reached."""
        best, best_rank = None, None
        for trial_id, curve in self._curves.items():
            level = max(curve)
            rank = (-level, self._sign * curve[level])
            if best_rank is None or rank < best_rank:
                best, best_rank = trial_id, rank
        return best

    def hurdle(self, level: int) -> float | None:
        """The incumbent's value at ``level`` (None: no hurdle there yet)."""
        incumbent = self.incumbent()
        return None if incumbent is None else self._curves[incumbent].get(level)

    # -- scheduler ----------------------------------------------------------------------------
    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        suggestion = self.scheduler.suggest(trial_id)
        if suggestion is not None or not self.rerun_thresholds or not self.thresholds:
            return suggestion
        # nothing new to try: the threshold configurations again, best on this task first
        order = self._threshold_order()
        config = order[self._reruns % len(order)]
        self._reruns += 1
        logger.info("rush: the searcher has no new configuration; running %s again", config)
        return TrialSuggestion.start_suggestion(dict(config))

    def _threshold_order(self) -> list[dict[str, Any]]:
        best: dict[tuple, tuple] = {}
        for trial_id, curve in self._curves.items():
            level = max(curve)
            rank = (-level, self._sign * curve[level])
            key = self._threshold_trials[trial_id]
            best[key] = min(best.get(key, rank), rank)
        worst = (math.inf, math.inf)
        return sorted(
            self.thresholds,
            key=lambda c: best.get(config_key(c, self.config_space), worst),
        )

    def on_trial_add(self, trial: Any) -> None:
        key = config_key(trial.config, self.config_space)
        if key in self._threshold_keys:
            self._threshold_trials[trial.trial_id] = key
        self.scheduler.on_trial_add(trial)

    def on_trial_result(self, trial: Any, result: dict[str, Any]) -> str:
        decision = self.scheduler.on_trial_result(trial, result)
        resource, value = result.get(self.resource_attr), result.get(self.metric)
        if resource not in self._levels or value is None:
            return decision
        value = float(value)
        if math.isnan(value):
            value = math.inf * self._sign
        if trial.trial_id in self._threshold_trials:
            self._curves.setdefault(trial.trial_id, {})[resource] = value
            return decision
        if decision != SchedulerDecision.CONTINUE or resource >= self.max_t:
            return decision
        hurdle = self.hurdle(resource)
        if hurdle is not None and self._sign * value > self._sign * hurdle:
            return SchedulerDecision.STOP
        return decision
