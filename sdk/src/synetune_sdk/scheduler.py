"""The scheduler contract: decides which configuration runs next and whether a trial goes on."""

from __future__ import annotations

from typing import Any

from synetune_sdk.trial import SchedulerDecision, Trial, TrialSuggestion


class Scheduler:
    """Base class of every scheduler.

    The tuner calls, for each trial: ``suggest`` (when a worker is free), ``on_trial_add`` (after
    the backend started it), ``on_trial_result`` for every reported result (the answer is a
    ``SchedulerDecision``), then exactly one of ``on_trial_complete`` (script exited 0),
    ``on_trial_error`` (script failed) or ``on_trial_remove`` (the trial was stopped or paused by
    a decision). A minimal scheduler overrides ``suggest``, ``on_trial_result``,
    ``metric_names`` and ``metric_mode``; every other hook defaults to a no-op.

    Schedulers are pickled into ``tuner.dill`` with the tuner: keep their state picklable.
    """

    def __init__(self, config_space: dict[str, Any] | None = None):
        self.config_space = dict(config_space or {})

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        """Return what the free worker should do, or None when nothing is left to run.

        ``trial_id`` is the id a new trial would get. Returning None for good (search space
        exhausted) lets the tuner finish once the running trials end.
        """
        raise NotImplementedError

    def on_trial_add(self, trial: Trial) -> None:
        """A trial from ``suggest`` was started by the backend."""

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        """A trial reported ``result``; answer CONTINUE, PAUSE or STOP."""
        return SchedulerDecision.CONTINUE

    def may_decide(self, trial_id: int, result: dict[str, Any]) -> bool:
        """Could ``on_trial_result`` answer anything but CONTINUE (or raise) for this result?

        A simulated backend hands over the results between two such points in one batch, so
        the tuner's loop turns once per decision instead of once per result; the scheduler
        still gets every result, in order. True (the default) is always correct; answer
        False only when the decision is certainly CONTINUE.
        """
        return True

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        """The trial's script exited normally; ``result`` is its last reported result."""

    def on_trial_error(self, trial: Trial) -> None:
        """The trial failed (crashed, reported nothing, or was stopped from outside)."""

    def on_trial_remove(self, trial: Trial) -> None:
        """The trial was stopped or paused following this scheduler's decision."""

    def metric_names(self) -> list[str]:
        """Names of the metrics this scheduler optimises (first one is the primary metric)."""
        raise NotImplementedError

    def metric_mode(self) -> str | list[str]:
        """``"min"`` or ``"max"`` (or one per metric)."""
        raise NotImplementedError

    def is_multiobjective_scheduler(self) -> bool:
        return len(self.metric_names()) > 1

    def default_callbacks(self) -> list[Any]:
        """Callbacks this scheduler needs in every run (the tuner adds them at start, unless
        one of the same class was given). Resolve another plugin's callback by name through
        ``synetune.plugin_api.create`` and declare that plugin as a dependency."""
        return []

    def metadata(self) -> dict[str, Any]:
        """What the tuner writes into ``metadata.json`` about this scheduler."""
        return {
            "metric_names": self.metric_names(),
            "metric_mode": self.metric_mode(),
            "scheduler_name": type(self).__name__,
        }


class PauseResumeScheduler(Scheduler):
    """A scheduler that pauses trials at rung levels and resumes the best of them later.

    Callbacks that manage checkpoints (``checkpoint_removal``) rely on these three methods only,
    so any scheduler that implements them (Hyperband promotion, a third-party one) is served.
    """

    def does_pause_resume(self) -> bool:
        """Whether trials are paused at rungs and resumed later (they must checkpoint)."""
        return True

    def paused_trials(self, resource: int | None = None) -> list[tuple[int, int, float, int]]:
        """``(trial_id, rank, value, level)`` of the paused trials not resumed yet (at rung
        level ``resource`` only, if given); ``rank`` 0 is the best value at that rung."""
        raise NotImplementedError

    def rung_information(self) -> list[tuple[int, int, float]]:
        """``(level, number of entries, promotion quantile)`` per rung, highest level first."""
        raise NotImplementedError
