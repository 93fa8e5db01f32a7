"""Records exchanged between the tuner, schedulers and backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class TrialStatus:
    """Status strings of a trial, as Syne Tune writes them into ``st_status``."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"
    PAUSED = "Paused"
    STOPPING = "Stopping"

    FINISHED = frozenset({COMPLETED, FAILED, STOPPED})


class SchedulerDecision:
    """What a scheduler answers to a result: keep training, pause (resumable) or stop for good."""

    CONTINUE = "CONTINUE"
    PAUSE = "PAUSE"
    STOP = "STOP"


@dataclass
class Trial:
    """One configuration being evaluated; a paused trial keeps its id when resumed."""

    trial_id: int
    config: dict[str, Any]
    creation_time: datetime = field(default_factory=datetime.now)


@dataclass
class TrialSuggestion:
    """A scheduler's answer to ``suggest``: start a new trial, or resume a paused one.

    ``spawn_new_trial_id=True`` starts a new trial with ``config``; with ``checkpoint_trial_id``
    set, the new trial starts from a copy of that trial's checkpoint (PBT). Otherwise
    ``checkpoint_trial_id`` names the paused trial to resume, optionally with a new ``config``.
    """

    spawn_new_trial_id: bool = True
    checkpoint_trial_id: int | None = None
    config: dict[str, Any] | None = None

    @staticmethod
    def start_suggestion(
        config: dict[str, Any], checkpoint_trial_id: int | None = None
    ) -> TrialSuggestion:
        return TrialSuggestion(True, checkpoint_trial_id, config)

    @staticmethod
    def resume_suggestion(trial_id: int, config: dict[str, Any] | None = None) -> TrialSuggestion:
        return TrialSuggestion(False, trial_id, config)
