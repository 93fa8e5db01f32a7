"""``syne_tune.backend.trial_status``: ``Trial`` (synetune-sdk's), ``TrialResult`` and the
status names ``Status``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syne_tune._missing import missing
from synetune_sdk.trial import Trial, TrialStatus


class Status:
    """Syne Tune's status names; the values are those written into ``st_status``."""

    completed = TrialStatus.COMPLETED
    in_progress = TrialStatus.IN_PROGRESS
    failed = TrialStatus.FAILED
    paused = TrialStatus.PAUSED
    stopped = TrialStatus.STOPPED
    stopping = TrialStatus.STOPPING


@dataclass
class TrialResult(Trial):
    """A trial with its (final) ``metrics`` and ``status``."""

    metrics: dict[str, Any] | None = None
    status: str | None = None
    training_end_time: datetime | None = None

    @property
    def seconds(self) -> int:
        end = self.training_end_time or datetime.now()
        return int((end - self.creation_time).seconds)


__all__ = ["Status", "Trial", "TrialResult"]

__getattr__ = missing(__name__, globals(), {})
