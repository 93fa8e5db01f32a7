"""Stochastic hill climbing: mutate the best configuration seen so far, one value at a time."""

from __future__ import annotations

import random
from typing import Any

from synetune_sdk import Scheduler, SchedulerDecision, Trial, TrialSuggestion


class HillClimbing(Scheduler):
    """Uses only the sdk contracts: domains are anything with a ``sample(random_state)`` method."""

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        random_seed: int | None = None,
        restart_probability: float = 0.1,
    ):
        super().__init__(config_space)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.metric, self.mode = metric, mode
        self.restart_probability = restart_probability
        self.rng = random.Random(random_seed)
        self.best: tuple[float, dict[str, Any]] | None = None

    def _sample(self, value: Any) -> Any:
        if hasattr(value, "sample"):
            return value.sample(self.rng.randrange(2**31))
        return value

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        searched = [k for k, v in self.config_space.items() if hasattr(v, "sample")]
        if self.best is None or not searched or self.rng.random() < self.restart_probability:
            config = {k: self._sample(v) for k, v in self.config_space.items()}
        else:
            config = dict(self.best[1])
            name = self.rng.choice(searched)
            config[name] = self._sample(self.config_space[name])
        return TrialSuggestion.start_suggestion(config)

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        value = float(result[self.metric])
        sign = 1.0 if self.mode == "min" else -1.0
        if self.best is None or sign * value < sign * self.best[0]:
            self.best = (value, dict(trial.config))
        return SchedulerDecision.CONTINUE

    def metric_names(self) -> list[str]:
        return [self.metric]

    def metric_mode(self) -> str:
        return self.mode
