"""A scheduler that samples every configuration uniformly at random and never stops a trial."""

from __future__ import annotations

from typing import Any

from synetune_sdk import Scheduler, SchedulerDecision, Trial, TrialSuggestion
from synetune_sdk.config_space import make_random_state, sample_config, validate_config_space


class UniformScheduler(Scheduler):
    """Random search: each new trial gets a configuration drawn from ``config_space``.

    Only ``suggest``, ``on_trial_result``, ``metric_names`` and ``metric_mode`` are overridden;
    the other hooks of ``synetune_sdk.Scheduler`` are no-ops. The random state is a numpy
    Generator, which pickles, so the scheduler survives being saved with the tuner.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        random_seed: int | None = None,
    ):
        validate_config_space(config_space)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        super().__init__(config_space)
        self.metric = metric
        self.mode = mode
        self.random_state = make_random_state(random_seed)

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        return TrialSuggestion.start_suggestion(sample_config(self.config_space, self.random_state))

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        return SchedulerDecision.CONTINUE

    def metric_names(self) -> list[str]:
        return [self.metric]

    def metric_mode(self) -> str:
        return self.mode
