"""The callback contract: observe the tuning loop without changing its decisions."""

from __future__ import annotations

from typing import Any

from synetune_sdk.trial import Trial


class Callback:
    """Every hook is a no-op by default: override the ones you need.

    Order inside one loop iteration: ``on_loop_start``, ``on_fetch_status_results``,
    per result ``on_trial_result`` (after the scheduler decided), ``on_trial_complete`` /
    ``on_trial_error`` for finished trials, ``on_trial_add`` / ``on_start_trial`` /
    ``on_resume_trial`` for trials started, then ``on_loop_end``.
    """

    def on_tuning_start(self, tuner: Any) -> None:
        pass

    def on_tuning_end(self) -> None:
        pass

    def on_loop_start(self) -> None:
        pass

    def on_loop_end(self) -> None:
        pass

    def on_fetch_status_results(
        self, trial_status_dict: dict[int, tuple[Trial, str]], new_results: list[tuple[int, dict]]
    ) -> None:
        pass

    def on_trial_add(self, trial: Trial) -> None:
        pass

    def on_start_trial(self, trial: Trial) -> None:
        pass

    def on_resume_trial(self, trial: Trial) -> None:
        pass

    def on_trial_result(
        self, trial: Trial, status: str, result: dict[str, Any], decision: str
    ) -> None:
        pass

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        pass

    def on_trial_error(self, trial: Trial) -> None:
        pass
