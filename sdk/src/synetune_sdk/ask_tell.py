"""Use any scheduler without a backend: ``ask`` for a trial, evaluate it yourself, ``tell``."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from synetune_sdk.scheduler import Scheduler
from synetune_sdk.trial import SchedulerDecision, Trial


class AskTellScheduler:
    """Wraps a scheduler for an ask/tell loop (Syne Tune's ``AskTellScheduler``)::

        ask_tell = AskTellScheduler(synetune.schedulers.create("random_search", ...))
        for _ in range(20):
            trial = ask_tell.ask()
            ask_tell.tell(trial, {"loss": f(**trial.config)})
        trial, result = ask_tell.best_trial("loss")

    For multi-fidelity schedulers, ``tell`` each intermediate result and follow the decision it
    returns; ``complete(trial)`` marks a trial as finished.
    """

    def __init__(self, base_scheduler: Scheduler):
        self.scheduler = base_scheduler
        self.trials: dict[int, Trial] = {}
        self.results: dict[int, list[dict[str, Any]]] = {}
        self._next_trial_id = 0

    def ask(self) -> Trial:
        """The next trial to evaluate (a resumed trial keeps its id); raises when exhausted."""
        suggestion = self.scheduler.suggest(self._next_trial_id)
        if suggestion is None:
            raise StopIteration("the scheduler has no more configurations to suggest")
        if not suggestion.spawn_new_trial_id:
            trial = self.trials[suggestion.checkpoint_trial_id]
            if suggestion.config is not None:
                trial.config = dict(suggestion.config)
            return trial
        trial = Trial(self._next_trial_id, dict(suggestion.config or {}), datetime.now())
        self._next_trial_id += 1
        self.trials[trial.trial_id] = trial
        self.results[trial.trial_id] = []
        self.scheduler.on_trial_add(trial)
        return trial

    def tell(self, trial: Trial, experiment_result: dict[str, Any]) -> str:
        """Report a result of ``trial``; returns the scheduler's decision (CONTINUE, PAUSE, STOP)."""
        if trial.trial_id not in self.trials:
            raise ValueError(f"trial {trial.trial_id} was not returned by ask()")
        self.results[trial.trial_id].append(dict(experiment_result))
        decision = self.scheduler.on_trial_result(trial, dict(experiment_result))
        if decision in (SchedulerDecision.STOP, SchedulerDecision.PAUSE):
            self.scheduler.on_trial_remove(trial)
        return decision

    def complete(self, trial: Trial) -> None:
        """``trial`` finished by itself (its last told result is the final one)."""
        last = self.results[trial.trial_id][-1] if self.results[trial.trial_id] else {}
        self.scheduler.on_trial_complete(trial, last)

    def best_trial(self, metric: str | None = None) -> tuple[Trial, dict[str, Any]]:
        """The trial with the best told value of ``metric`` (default: the scheduler's first)."""
        names = self.scheduler.metric_names()
        metric = metric or names[0]
        modes = self.scheduler.metric_mode()
        mode = (
            modes
            if isinstance(modes, str)
            else modes[names.index(metric)]
            if metric in names
            else "min"
        )
        best: tuple[Trial, dict[str, Any]] | None = None
        for trial_id, results in self.results.items():
            for result in results:
                value = result.get(metric)
                if not isinstance(value, int | float) or math.isnan(value):
                    continue
                if best is None or (
                    value < best[1][metric] if mode == "min" else value > best[1][metric]
                ):
                    best = (self.trials[trial_id], result)
        if best is None:
            raise ValueError(f"no result with metric {metric!r} was told yet")
        return best
