"""The median stopping rule (Golovin et al., 2017, "Google Vizier"), as a wrapper scheduler.

The wrapped scheduler picks configurations and takes the first decision on every result; the
rule only adds early stopping: a trial whose (running-average) metric at resource level ``r`` is
worse than the ``rank_cutoff`` quantile of what the other trials had at ``r`` is stopped.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from synetune_sdk import Scheduler, SchedulerDecision, Trial, TrialSuggestion


class MedianStoppingRule(Scheduler):
    """Stop trials that do worse than the median (or another quantile) of their peers.

    ``scheduler`` is a scheduler instance, or the registered name of one (then ``config_space``,
    ``metric``, ``mode`` and ``scheduler_kwargs`` build it). On each result the wrapped
    scheduler decides first; if it says CONTINUE, the rule looks at the trial's value at its
    resource level ``r = result[resource_attr]`` (the mean of all its values reported so far if
    ``running_average``, else the last one) and stops the trial when ``r >= grace_time``, at
    least ``grace_population`` other trials reported at ``r``, and the value is strictly worse
    than the ``rank_cutoff`` quantile (0.5: the median, linear interpolation) of theirs.

    Resource levels are matched exactly, so ``resource_attr`` should be a discrete counter such
    as ``"epoch"``. Each level keeps a sorted list of one value per trial, so a decision costs a
    binary search, not a scan over all results seen so far.

    ``random_seed`` seeds the wrapped scheduler when it is built by name (unless
    ``scheduler_kwargs`` sets its own); the rule itself draws nothing, so with a scheduler
    instance it is only recorded. It is accepted so that a loop over methods and seeds can pass
    it to every scheduler.
    """

    def __init__(
        self,
        scheduler: Scheduler | str,
        resource_attr: str,
        running_average: bool = True,
        metric: str | None = None,
        grace_time: float = 1,
        grace_population: int = 5,
        rank_cutoff: float = 0.5,
        config_space: dict[str, Any] | None = None,
        mode: str | None = None,
        scheduler_kwargs: dict[str, Any] | None = None,
        random_seed: int | None = None,
    ):
        if isinstance(scheduler, str):
            if config_space is None or metric is None:
                raise ValueError(
                    f"scheduler={scheduler!r} is a name: pass config_space and metric (and mode, "
                    "scheduler_kwargs) so that the wrapped scheduler can be built, or pass a "
                    "scheduler instance instead"
                )
            from synetune.plugin_api import resolve

            kwargs = {"config_space": config_space, "metric": metric, **(scheduler_kwargs or {})}
            if random_seed is not None:
                kwargs.setdefault("random_seed", random_seed)
            if mode is not None:
                kwargs["mode"] = mode
            scheduler = resolve("schedulers", scheduler, **kwargs)
        elif scheduler_kwargs:
            raise ValueError(
                "scheduler_kwargs is only used when scheduler is a registered name; the scheduler "
                "instance passed is used as it is"
            )
        if not isinstance(resource_attr, str) or not resource_attr:
            raise ValueError(
                f"resource_attr must name the resource in results (e.g. 'epoch'), got {resource_attr!r}"
            )
        if not 0.0 <= rank_cutoff <= 1.0:
            raise ValueError(
                f"rank_cutoff must be in [0, 1] (0.5 is the median), got {rank_cutoff}"
            )
        if grace_population is not None and grace_population < 1:
            raise ValueError(f"grace_population must be at least 1, got {grace_population}")
        super().__init__(getattr(scheduler, "config_space", None) or config_space)
        self.scheduler = scheduler
        self.random_seed = getattr(scheduler, "random_seed", random_seed)
        self.resource_attr = resource_attr
        self.running_average = running_average
        self.metric = metric if metric is not None else scheduler.metric_names()[0]
        wrapped_mode = scheduler.metric_mode()
        if isinstance(wrapped_mode, list):
            names = scheduler.metric_names()
            wrapped_mode = (
                wrapped_mode[names.index(self.metric)] if self.metric in names else wrapped_mode[0]
            )
        self.mode = mode if mode is not None else wrapped_mode
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {self.mode!r}")
        self.grace_time = grace_time
        self.grace_population = grace_population
        self.rank_cutoff = rank_cutoff
        # resource level -> sorted values (lower is better), one per trial that reached it
        self._sorted_values: dict[Any, list[float]] = {}
        # trial id -> {resource level: the value it contributed there}
        self._trial_values: dict[int, dict[Any, float]] = {}
        # trial id -> (sum, count) of its values, for the running average
        self._sums: dict[int, tuple[float, int]] = {}

    # ---------------------------------------------------------------- delegated to the wrapped
    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        return self.scheduler.suggest(trial_id)

    def on_trial_add(self, trial: Trial) -> None:
        self.scheduler.on_trial_add(trial)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self.scheduler.on_trial_complete(trial, result)

    def on_trial_error(self, trial: Trial) -> None:
        self.scheduler.on_trial_error(trial)

    def on_trial_remove(self, trial: Trial) -> None:
        self.scheduler.on_trial_remove(trial)

    def metric_names(self) -> list[str]:
        return self.scheduler.metric_names()

    def metric_mode(self) -> str | list[str]:
        return self.scheduler.metric_mode()

    def metadata(self) -> dict[str, Any]:
        out = self.scheduler.metadata() if hasattr(self.scheduler, "metadata") else {}
        return {
            **out,
            "random_seed": out.get("random_seed", getattr(self, "random_seed", None)),
            "scheduler_name": type(self).__name__,
            "wrapped_scheduler": type(self.scheduler).__name__,
        }

    # ---------------------------------------------------------------- the rule
    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        decision = self.scheduler.on_trial_result(trial, result)
        for key, arg in ((self.metric, "metric"), (self.resource_attr, "resource_attr")):
            if key not in result:
                raise ValueError(
                    f"result of trial {trial.trial_id} has no {key!r} ({arg} of MedianStoppingRule); "
                    f"it reported {sorted(result)}. Report it from the training script or fix {arg}."
                )
        value = float(result[self.metric])
        if self.mode == "max":
            value = -value
        if self.running_average:
            total, count = self._sums.get(trial.trial_id, (0.0, 0))
            total, count = total + value, count + 1
            self._sums[trial.trial_id] = (total, count)
            value = total / count
        if math.isnan(value):  # a diverged trial ranks last instead of breaking the sort order
            value = math.inf
        level = result[self.resource_attr]
        values = self._sorted_values.setdefault(level, [])
        mine = self._trial_values.setdefault(trial.trial_id, {})
        if level in mine:  # reported this level before (e.g. resumed from an older checkpoint)
            del values[bisect.bisect_left(values, mine[level])]
        stop = decision == SchedulerDecision.CONTINUE and self._worse_than_cutoff(
            level, value, values
        )
        bisect.insort(values, value)
        mine[level] = value
        return SchedulerDecision.STOP if stop else decision

    def _worse_than_cutoff(self, level: Any, value: float, others: list[float]) -> bool:
        """``others`` (sorted, lower is better) holds the other trials' values at ``level``."""
        if self.grace_time is not None and level < self.grace_time:
            return False
        n = len(others)
        if n == 0 or (self.grace_population is not None and n < self.grace_population):
            return False
        position = self.rank_cutoff * (n - 1)
        low = int(position)
        fraction = position - low
        cutoff = others[low]
        if fraction > 0:
            cutoff = (1 - fraction) * others[low] + fraction * others[low + 1]
        return value > cutoff
