"""What a callback or stop criterion sees of a run: ``TuningStatus`` and ``TuningContext``.

Callbacks get a ``TuningContext`` in ``on_tuning_start`` instead of the tuner itself: the run's
name, folder, workers, scheduler, backend, stop criterion, trials and live status, read-only.
Names follow Syne Tune's ``Tuner`` attributes (``tuner_path``, ``trial_backend``, ...), so a
callback written against Syne Tune's tuner reads the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synetune_sdk.trial import Trial, TrialStatus

__all__ = ["MetricStatistics", "TuningContext", "TuningStatus"]


@dataclass
class MetricStatistics:
    count: int = 0
    min: float = math.inf
    max: float = -math.inf
    last: float = math.nan

    def add(self, value: float) -> None:
        self.count += 1
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        self.last = value


@dataclass
class TuningStatus:
    """Counters and metric statistics over the whole run, updated by the tuner as it goes.

    Any callable taking a ``TuningStatus`` and returning True to stop works as a stop criterion.
    """

    metric_names: list[str] = field(default_factory=list)
    num_trials_started: int = 0
    num_trials_completed: int = 0
    num_trials_failed: int = 0
    num_trials_stopped: int = 0
    num_results: int = 0
    wallclock_time: float = 0.0
    trial_status: dict[int, str] = field(default_factory=dict)
    last_results: dict[int, dict[str, Any]] = field(default_factory=dict)
    overall_metric_statistics: dict[str, MetricStatistics] = field(default_factory=dict)
    cost: float = 0.0
    _trial_cost: dict[int, float] = field(default_factory=dict)

    @property
    def num_trials_finished(self) -> int:
        return self.num_trials_completed + self.num_trials_failed + self.num_trials_stopped

    @property
    def num_trials_running(self) -> int:
        return sum(1 for s in self.trial_status.values() if s == TrialStatus.IN_PROGRESS)

    @property
    def num_evaluations(self) -> int:
        return self.num_results

    @property
    def trial_rows(self) -> dict[int, dict[str, Any]]:
        """Syne Tune's ``trial_rows``: for each trial that reported, in the order they first
        did, its configuration (once the tuner attached its trials) updated with its latest
        result."""
        trials = self.__dict__.get("_trials") or {}
        return {
            trial_id: {**getattr(trials.get(trial_id), "config", {}), **result}
            for trial_id, result in self.last_results.items()
        }

    def attach_trials(self, trials: Mapping[int, Trial]) -> None:
        """Give ``trial_rows`` the tuner's live table of trials (for their configurations)."""
        self.__dict__["_trials"] = trials

    def on_trial_started(self, trial_id: int) -> None:
        self.num_trials_started += 1
        self.trial_status[trial_id] = TrialStatus.IN_PROGRESS

    def on_result(self, trial_id: int, result: dict[str, Any]) -> None:
        self.num_results += 1
        self.last_results[trial_id] = result
        stats = self.overall_metric_statistics
        for key, value in result.items():
            kind = type(value)
            if kind is float or kind is int:
                entry = stats.get(key)
                if entry is None:
                    entry = stats[key] = MetricStatistics()
                entry.count += 1
                if value < entry.min:
                    entry.min = value
                if value > entry.max:
                    entry.max = value
                entry.last = value
        cost = result.get("st_worker_cost")
        if isinstance(cost, int | float):
            # a trial's cost is cumulative: the run's cost is the sum of each trial's latest
            previous = self._trial_cost.get(trial_id, 0.0)
            if cost > previous:
                self._trial_cost[trial_id] = float(cost)
                self.cost += float(cost) - previous

    def on_trial_status(self, trial_id: int, status: str) -> None:
        previous = self.trial_status.get(trial_id)
        self.trial_status[trial_id] = status
        if previous == status or previous in TrialStatus.FINISHED:
            return
        if status == TrialStatus.COMPLETED:
            self.num_trials_completed += 1
        elif status == TrialStatus.FAILED:
            self.num_trials_failed += 1
        elif status == TrialStatus.STOPPED:
            self.num_trials_stopped += 1


@dataclass(frozen=True)
class TuningContext:
    """The run a callback observes; the fields never change during a run.

    ``trials`` is a live read-only view (new trials appear in it) and ``tuning_status`` is the
    tuner's live status: read them, never modify them. ``scheduler`` and ``trial_backend`` are
    given so that callbacks can query them (for example the pause/resume protocol of
    ``synetune_sdk.scheduler.PauseResumeScheduler``), not to drive them.
    """

    name: str
    tuner_path: Path
    n_workers: int
    scheduler: Any
    trial_backend: Any
    stop_criterion: Any
    tuning_status: TuningStatus
    trials: Mapping[int, Trial]
    verbose: str = "normal"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def metric_names(self) -> list[str]:
        return list(self.tuning_status.metric_names)
