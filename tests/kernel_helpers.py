"""In-process components for kernel tests: a thread backend and a minimal scheduler."""

from __future__ import annotations

import threading
import time
from typing import Any

from synetune.config_space import sample_config
from synetune_sdk import Scheduler, SchedulerDecision, TrialBackend, TrialStatus, TrialSuggestion


class ThreadBackend(TrialBackend):
    """Runs ``objective(config, report)`` in a thread per trial: fast, no subprocesses.

    ``report`` returns False once the trial was stopped or paused, so objectives end early.
    A paused trial resumes after the epoch of the result it was paused on (``progress``).
    """

    def __init__(self, objective, **kwargs: Any):
        super().__init__(**kwargs)
        self.objective = objective
        self.progress: dict[int, int] = {}
        self._threads: dict[int, threading.Thread] = {}

    def __getstate__(self):
        state = super().__getstate__()
        state["_threads"] = {}
        return state

    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        run = self.current_run(trial_id)

        def report(**result: Any) -> bool:
            return self._report(trial_id, run, dict(result))

        def work() -> None:
            try:
                self.objective(config, report, self.progress.get(trial_id, 0))
            except Exception as err:
                self._finish(trial_id, run, TrialStatus.FAILED, f"{type(err).__name__}: {err}")
            else:
                self._finish(trial_id, run, TrialStatus.COMPLETED)

        thread = threading.Thread(target=work, daemon=True)
        self._threads[trial_id] = thread
        thread.start()

    def _stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        pass  # the next report() returns False and the objective returns

    def _pause_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        # like a checkpoint written at the result the scheduler paused on
        self.progress[trial_id] = (result or {}).get("epoch", 0)

    def close(self) -> None:
        for thread in self._threads.values():
            thread.join(timeout=5)


def quadratic(config: dict[str, Any], report, start_epoch: int = 0) -> None:
    """Loss (x - 0.3)^2 + 1/epoch over config['epochs'] epochs, a little sleep per epoch."""
    for epoch in range(start_epoch + 1, int(config.get("epochs", 3)) + 1):
        time.sleep(config.get("sleep", 0.001))
        if not report(epoch=epoch, loss=(config["x"] - 0.3) ** 2 + 1.0 / epoch):
            return


class RandomScheduler(Scheduler):
    """Minimal third-party-style scheduler: random configs, optional stop rule."""

    def __init__(
        self, config_space, metric="loss", mode="min", seed=0, stop_above=None, pause_at=None
    ):
        super().__init__(config_space)
        self.metric, self.mode, self.seed = metric, mode, seed
        self.stop_above = stop_above
        self.pause_at = pause_at
        self.paused: list[int] = []
        self.resumed: list[int] = []
        self.seen: list[tuple[int, dict]] = []
        self.completed: list[int] = []
        self.errors: list[int] = []
        import numpy as np

        self.rng = np.random.default_rng(seed)

    def suggest(self, trial_id):
        if self.paused:
            trial = self.paused.pop(0)
            self.resumed.append(trial)
            return TrialSuggestion.resume_suggestion(trial)
        return TrialSuggestion.start_suggestion(sample_config(self.config_space, self.rng))

    def on_trial_result(self, trial, result):
        self.seen.append((trial.trial_id, result))
        if (
            self.pause_at is not None
            and result.get("epoch") == self.pause_at
            and trial.trial_id not in self.resumed
        ):
            self.paused.append(trial.trial_id)
            return SchedulerDecision.PAUSE
        if (
            self.stop_above is not None
            and result[self.metric] > self.stop_above
            and result.get("epoch", 0) >= 2
        ):
            return SchedulerDecision.STOP
        return SchedulerDecision.CONTINUE

    def on_trial_complete(self, trial, result):
        self.completed.append(trial.trial_id)

    def on_trial_error(self, trial):
        self.errors.append(trial.trial_id)

    def metric_names(self):
        return [self.metric]

    def metric_mode(self):
        return self.mode
