"""The base every scheduler of this plugin shares: one metric, one resource attribute, ``max_t``.

Asynchronous Hyperband, synchronous Hyperband and DEHB differ in how they schedule trials, not in
how they check their common arguments or describe themselves; keeping that here keeps their error
messages and ``metadata.json`` alike.
"""

from __future__ import annotations

from typing import Any

from synetune_plugin_hyperband.common import check_metric_mode, check_unknown
from synetune_sdk.config_space import config_space_to_json, validate_config_space
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.trial import SchedulerDecision

CONTINUE, PAUSE, STOP = SchedulerDecision.CONTINUE, SchedulerDecision.PAUSE, SchedulerDecision.STOP


class MultiFidelityScheduler(Scheduler):
    """A single-objective scheduler whose trials report a resource level (``resource_attr``)
    counting up to ``max_t``; subclasses set ``max_t`` and ``random_seed``."""

    max_t: int
    random_seed: int

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str,
        resource_attr: str,
        max_resource_attr: str | None,
        kwargs: dict[str, Any],
        arguments: str,
    ):
        """Check what every subclass takes; ``kwargs`` are the unknown keyword arguments of the
        subclass and ``arguments`` its valid ones (named in the error)."""
        check_unknown(type(self).__name__, kwargs, arguments)
        validate_config_space(config_space)
        super().__init__(config_space)
        check_metric_mode(metric, mode)
        self.metric = metric
        self.mode = mode
        self.resource_attr = resource_attr
        self.max_resource_attr = max_resource_attr

    @property
    def max_resource_level(self) -> int:
        return self.max_t

    def metric_names(self) -> list[str]:
        return [self.metric]

    def metric_mode(self) -> str:
        return self.mode

    def _check_counting_up(
        self, trial_id: int, resource: int, last_resource: int | None, advice: str = ""
    ) -> None:
        """A trial's resource level must not go backwards within a run: rungs would be reached
        twice. ``advice`` is appended to the message."""
        if last_resource is not None and resource < last_resource:
            raise ValueError(
                f"trial {trial_id} reported {self.resource_attr}={resource} after "
                f"{self.resource_attr}={last_resource}: the resource level must not go "
                f"backwards within a run{advice}"
            )

    def metadata(self) -> dict[str, Any]:
        out = super().metadata()
        out["config_space"] = config_space_to_json(self.config_space)
        if hasattr(self, "searcher_name"):  # DEHB makes its configurations itself
            out["searcher"] = self.searcher_name
        out.update(
            random_seed=self.random_seed,
            resource_attr=self.resource_attr,
            max_resource_attr=self.max_resource_attr,
            max_t=self.max_t,
        )
        return out
