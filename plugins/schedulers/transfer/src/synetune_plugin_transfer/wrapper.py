"""A scheduler that hands every call on to the scheduler it wraps (``self.scheduler``).

``bounding_box`` and ``rush`` wrap a registered scheduler and change only a few of its answers
(the space it searches, a hurdle on its decisions); the rest is delegated here once.
"""

from __future__ import annotations

from typing import Any

from synetune_sdk.scheduler import Scheduler


class WrappingScheduler(Scheduler):
    """Set ``self.scheduler`` in ``__init__``; ``scheduler_name`` is what ``metadata`` says."""

    scheduler_name = "WrappingScheduler"
    scheduler: Any

    def suggest(self, trial_id: int) -> Any:
        return self.scheduler.suggest(trial_id)

    def on_trial_add(self, trial: Any) -> None:
        self.scheduler.on_trial_add(trial)

    def on_trial_result(self, trial: Any, result: dict[str, Any]) -> str:
        return self.scheduler.on_trial_result(trial, result)

    def on_trial_complete(self, trial: Any, result: dict[str, Any]) -> None:
        self.scheduler.on_trial_complete(trial, result)

    def on_trial_error(self, trial: Any) -> None:
        self.scheduler.on_trial_error(trial)

    def on_trial_remove(self, trial: Any) -> None:
        self.scheduler.on_trial_remove(trial)

    def metric_names(self) -> list[str]:
        return self.scheduler.metric_names()

    def metric_mode(self) -> str | list[str]:
        return self.scheduler.metric_mode()

    def default_callbacks(self) -> list[Any]:
        return self.scheduler.default_callbacks()

    def metadata(self) -> dict[str, Any]:
        return {**self.scheduler.metadata(), "scheduler_name": self.scheduler_name}

    def __getattr__(self, name: str) -> Any:
        # pause/resume and rung information of the wrapped scheduler (checkpoint callbacks)
        if name.startswith("__") or "scheduler" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__["scheduler"], name)
