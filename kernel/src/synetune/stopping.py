"""When to stop tuning: ``StoppingCriterion`` over the ``TuningStatus`` the tuner keeps."""

from __future__ import annotations

import math
from dataclasses import dataclass

from synetune_sdk.context import MetricStatistics, TuningStatus

__all__ = ["MetricStatistics", "StoppingCriterion", "TuningStatus"]


@dataclass
class StoppingCriterion:
    """Stop as soon as any of the given limits is exceeded (Syne Tune's semantics: strict ``>``).

    The tuner never starts a trial that would make the criterion fire, so
    ``max_num_trials_started=20`` runs exactly 20 trials. ``max_wallclock_time`` is in seconds
    of the backend's clock (simulated seconds on the simulator).
    """

    max_wallclock_time: float | None = None
    max_num_evaluations: int | None = None
    max_num_trials_started: int | None = None
    max_num_trials_completed: int | None = None
    max_num_trials_finished: int | None = None
    max_cost: float | None = None
    max_metric_value: dict[str, float] | None = None
    min_metric_value: dict[str, float] | None = None

    def __post_init__(self) -> None:
        limits = {
            "max_wallclock_time": self.max_wallclock_time,
            "max_num_evaluations": self.max_num_evaluations,
            "max_num_trials_started": self.max_num_trials_started,
            "max_num_trials_completed": self.max_num_trials_completed,
            "max_num_trials_finished": self.max_num_trials_finished,
            "max_cost": self.max_cost,
        }
        for name, limit in limits.items():
            if limit is None:
                continue
            if isinstance(limit, bool) or not isinstance(limit, int | float):
                raise TypeError(f"StoppingCriterion({name}=...) must be a number, got {limit!r}")
            if math.isnan(limit) or limit < 0:
                raise ValueError(
                    f"StoppingCriterion({name}={limit!r}) is not a usable limit: give a "
                    "number >= 0 (or None for no limit)"
                )
        for name, bounds in (
            ("max_metric_value", self.max_metric_value),
            ("min_metric_value", self.min_metric_value),
        ):
            for metric, limit in (bounds or {}).items():
                if not isinstance(limit, int | float) or math.isnan(limit):
                    raise ValueError(
                        f"StoppingCriterion({name}={{{metric!r}: {limit!r}}}): give a number"
                    )

    def __call__(self, status: TuningStatus) -> bool:
        checks = [
            (self.max_wallclock_time, status.wallclock_time),
            (self.max_num_evaluations, status.num_results),
            (self.max_num_trials_started, status.num_trials_started),
            (self.max_num_trials_completed, status.num_trials_completed),
            (self.max_num_trials_finished, status.num_trials_finished),
            (self.max_cost, status.cost),
        ]
        if any(limit is not None and value > limit for limit, value in checks):
            return True
        stats = status.overall_metric_statistics
        for metric, limit in (self.max_metric_value or {}).items():
            if metric in stats and stats[metric].max > limit:
                return True
        for metric, limit in (self.min_metric_value or {}).items():
            if metric in stats and stats[metric].min < limit:
                return True
        return False
