"""What the SageMaker backend knows of its training jobs, and the poller's retry signal.

``TrainingJob`` and ``_PendingStart`` are pickled inside a saved ``SageMakerBackend``; they stay
importable from ``synetune_plugin_sagemaker.backend`` too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from synetune_plugin_sagemaker import aws

JOB_TERMINAL = frozenset({"Completed", "Failed", "Stopped"})


class _Transient(Exception):
    """An AWS call was throttled or failed transiently: the poller backs off and retries."""

    def __init__(self, err: BaseException):
        super().__init__(aws.error_message(err))
        self.err = err


@dataclass
class TrainingJob:
    """One SageMaker training job, i.e. one run of a trial, as the backend last saw it."""

    name: str
    trial_id: int
    run: int
    instance_type: str
    instance_count: int
    keep_alive: int | None = None
    created: float = field(default_factory=time.time)
    status: str = "InProgress"
    secondary_status: str = ""
    training_start: float | None = None
    training_end: float | None = None
    billable_seconds: float | None = None
    failure_reason: str | None = None
    warm_pool: dict[str, Any] | None = None
    stop_requested: float | None = None
    stop_sent: bool = False
    log_stream: str | None = None
    log_token: str | None = None
    ended_at: float | None = None  # when the backend saw the job end
    done: bool = False  # ended and its logs are read: no more polling
    abandoned: str | None = None  # why the backend gave up waiting for it to stop
    # managed spot training: an interrupted job restarts on new instances, which log to a new
    # stream; the trial's script resumes from the checkpoints SageMaker synced to S3
    interruptions: int = 0
    streams_followed: int = 0

    @property
    def ended(self) -> bool:
        return self.status in JOB_TERMINAL

    @property
    def live(self) -> bool:
        """Holds (or is about to hold) instances: counts against the quota."""
        return not self.ended and self.abandoned is None


@dataclass
class _PendingStart:
    trial_id: int
    run: int
    config: dict[str, Any]
    copy_from: int | None
    since: float = field(default_factory=time.monotonic)
    not_before: float = 0.0
    backoff: float = 0.0
