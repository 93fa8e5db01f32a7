"""Fixtures for the Hyperband plugin tests: a searcher that records what the scheduler tells it,
and a small driver that feeds hand-built results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from synetune_sdk.config_space import uniform
from synetune_sdk.searcher import Searcher
from synetune_sdk.trial import Trial


class RecordingSearcher(Searcher):
    """Suggests x = trial_id / 1000 and records every call it gets."""

    def __init__(self, config_space: dict[str, Any], metric: str = "loss", **kwargs: Any):
        super().__init__(config_space, metric, **kwargs)
        self.suggested: list[tuple[int, dict[str, Any]]] = []
        self.results: list[tuple[int, int, bool]] = []  # (trial_id, resource, update)
        self.pending: list[tuple[int, int | None]] = []
        self.removed: list[tuple[int, dict[str, Any]]] = []
        self.failed: list[int] = []
        self.completed: list[int] = []
        self.scheduler: Any = None

    def configure_scheduler(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any]:
        self.suggested.append((trial_id, kwargs))
        return {"x": (trial_id % 1000) / 1000}

    def on_trial_result(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any], update: bool
    ) -> None:
        self.results.append((trial_id, result["epoch"], update))

    def register_pending(
        self, trial_id: int, config: dict[str, Any] | None = None, milestone: int | None = None
    ) -> None:
        self.pending.append((trial_id, milestone))

    def remove_case(self, trial_id: int, **kwargs: Any) -> None:
        self.removed.append((trial_id, kwargs))

    def evaluation_failed(self, trial_id: int) -> None:
        self.failed.append(trial_id)

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        self.completed.append(trial_id)


class Driver:
    """Feeds results to a scheduler for trials it suggested, by trial id."""

    def __init__(self, scheduler: Any):
        self.scheduler = scheduler
        self.trials: dict[int, Trial] = {}
        self.next_id = 0

    def suggest(self) -> Any:
        suggestion = self.scheduler.suggest(self.next_id)
        if suggestion is not None and suggestion.spawn_new_trial_id:
            trial = Trial(self.next_id, dict(suggestion.config), datetime.now())
            self.trials[self.next_id] = trial
            self.scheduler.on_trial_add(trial)
            self.next_id += 1
        return suggestion

    def start(self, n: int) -> list[int]:
        """Start ``n`` new trials (asserting that no paused trial is resumed instead)."""
        ids = []
        for _ in range(n):
            suggestion = self.suggest()
            assert suggestion is not None and suggestion.spawn_new_trial_id, suggestion
            ids.append(self.next_id - 1)
        return ids

    def report(self, trial_id: int, epoch: int, loss: float, **extra: Any) -> str:
        decision = self.scheduler.on_trial_result(
            self.trials[trial_id], {"loss": loss, "epoch": epoch, **extra}
        )
        if decision != "CONTINUE":
            self.scheduler.on_trial_remove(self.trials[trial_id])
        return decision


SPACE = {"x": uniform(0.0, 1.0), "epochs": 27}


@pytest.fixture
def space() -> dict[str, Any]:
    return dict(SPACE)


@pytest.fixture
def make_driver():
    """``make_driver(cls, **kwargs)``: a Driver around ``cls(SPACE, metric="loss", ...)`` with a
    RecordingSearcher (reachable as ``driver.searcher``)."""

    def make(cls: Any, space: dict[str, Any] | None = None, **kwargs: Any) -> Driver:
        space = dict(SPACE if space is None else space)
        searcher = kwargs.pop("searcher", None) or RecordingSearcher(space)
        kwargs.setdefault("max_resource_attr", "epochs")
        kwargs.setdefault("random_seed", 0)
        scheduler = cls(space, metric="loss", searcher=searcher, **kwargs)
        driver = Driver(scheduler)
        driver.searcher = searcher
        return driver

    return make
