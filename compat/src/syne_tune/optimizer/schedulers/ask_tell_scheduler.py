"""``syne_tune.optimizer.schedulers.ask_tell_scheduler``: Syne Tune's ask/tell loop on
synetune-sdk's ``AskTellScheduler``, with Syne Tune's semantics: ``tell`` reports the
trial's final result (the scheduler's ``on_trial_complete``), ``best_trial`` returns a
``TrialResult``, and the wrapped scheduler is ``base_scheduler`` (also ``bscheduler``, the
examples' name, for intermediate results: ``bscheduler.on_trial_result(trial, result)``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syne_tune._missing import missing
from syne_tune.backend.trial_status import TrialResult
from synetune_sdk.ask_tell import AskTellScheduler as _SdkAskTellScheduler
from synetune_sdk.trial import Trial, TrialStatus


class AskTellScheduler(_SdkAskTellScheduler):
    """``ask()`` a trial, evaluate ``trial.config`` yourself, ``tell(trial, {metric: value})``."""

    @property
    def base_scheduler(self) -> Any:
        return self.scheduler

    bscheduler = base_scheduler

    def tell(self, trial: Trial, experiment_result: dict[str, Any]) -> None:
        """The final result of ``trial``: the scheduler completes it."""
        if trial.trial_id not in self.trials:
            raise ValueError(f"trial {trial.trial_id} was not returned by ask()")
        self.results[trial.trial_id].append(dict(experiment_result))
        self.scheduler.on_trial_complete(trial, dict(experiment_result))

    def best_trial(self, metric: str | None = None) -> TrialResult:
        """The completed trial with the best told value of ``metric``."""
        trial, result = super().best_trial(metric)
        return TrialResult(
            trial_id=trial.trial_id,
            config=trial.config,
            creation_time=trial.creation_time,
            metrics=result,
            status=TrialStatus.COMPLETED,
            training_end_time=datetime.now(),
        )


__all__ = ["AskTellScheduler"]

__getattr__ = missing(__name__, globals(), {})
