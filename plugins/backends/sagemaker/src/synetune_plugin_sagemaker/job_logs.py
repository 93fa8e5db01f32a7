"""Following a training job's CloudWatch log stream: metric lines, worker cost, trial logs.

``JobLogs`` is a mixin of ``SageMakerBackend``: it reads the new events of a job's log stream
(host ``algo-1``) with ``nextForwardToken``, copies them to the trial's ``std.out``, and reports
each ``[tune-metric]:`` line, with ``st_worker_cost`` added from the instance price.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from synetune_plugin_sagemaker import aws
from synetune_plugin_sagemaker.jobs import TrainingJob, _Transient
from synetune_plugin_sagemaker.prices import hourly_price, job_cost
from synetune_sdk.constants import METRIC_LINE_PREFIX, ST_WORKER_COST, ST_WORKER_TIMESTAMP
from synetune_sdk.reporter import parse_metric_line

# the backend's logger: messages keep the name they always had
logger = logging.getLogger("synetune_plugin_sagemaker.backend")

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
_MAX_LOG_PAGES = 50


class JobLogs:
    """Log and metric reading of ``SageMakerBackend`` (a mixin of it)."""

    def _streams(self, job: TrainingJob) -> list[str]:
        """The job's log streams of host algo-1, oldest first (one per container start)."""
        try:
            answer = self._aws(
                "logs",
                "describe_log_streams",
                logGroupName=LOG_GROUP,
                logStreamNamePrefix=f"{job.name}/algo-1-",
            )
        except _Transient:
            raise
        except Exception as err:
            if aws.error_code(err) == "ResourceNotFoundException":
                return []  # no job has logged yet
            raise
        return sorted(
            answer.get("logStreams", []),
            key=lambda s: (s.get("creationTime") or 0, s["logStreamName"]),
        )

    def _read_logs(self, job: TrainingJob) -> None:
        """Read the job's new log events (host algo-1) and report its metric lines; after a
        spot interruption, go on with the stream of the restarted container."""
        if job.log_stream is None:
            streams = self._streams(job)
            if not streams:
                return
            job.log_stream = streams[0]["logStreamName"]
        while True:
            self._read_stream(job)
            if job.streams_followed >= job.interruptions:
                return
            names = [s["logStreamName"] for s in self._streams(job)]
            later = names[names.index(job.log_stream) + 1 :] if job.log_stream in names else []
            if not later:
                return  # the restarted container has not logged yet
            job.log_stream, job.log_token = later[0], None
            job.streams_followed += 1

    def _read_stream(self, job: TrainingJob) -> None:
        logs = "logs"
        for _ in range(_MAX_LOG_PAGES):
            kwargs: dict[str, Any] = {
                "logGroupName": LOG_GROUP,
                "logStreamName": job.log_stream,
                "startFromHead": True,
            }
            if job.log_token:
                kwargs["nextToken"] = job.log_token
            answer = self._aws(logs, "get_log_events", **kwargs)
            events = answer.get("events", [])
            if events:
                self._handle_log_lines(job, [e.get("message", "") for e in events])
            token = answer.get("nextForwardToken")
            if token is None or token == job.log_token:
                return  # the end of the stream
            job.log_token = token

    def _handle_log_lines(self, job: TrainingJob, lines: list[str]) -> None:
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        self._write_trial_log(job.trial_id, "std.out", text)
        for line in lines:
            if METRIC_LINE_PREFIX.strip() not in line:
                continue
            try:
                result = parse_metric_line(line)
            except ValueError as err:
                logger.warning("trial %d printed a malformed metric line: %s", job.trial_id, err)
                continue
            if result is None:
                continue
            if ST_WORKER_COST not in result:
                cost = self._worker_cost(job, float(result.get(ST_WORKER_TIMESTAMP, time.time())))
                if cost is not None:
                    result[ST_WORKER_COST] = cost
            self._report(job.trial_id, job.run, result)

    def _worker_cost(self, job: TrainingJob, when: float) -> float | None:
        if hourly_price(job.instance_type, self.instance_prices) is None:
            if not self._warned_price:
                self._warned_price = True
                logger.warning(
                    "no price known for instance type %s: results carry no st_worker_cost "
                    "(pass instance_prices={%r: <USD per hour>})",
                    job.instance_type,
                    job.instance_type,
                )
            return None
        start = job.training_start if job.training_start is not None else job.created
        seconds = self._billed.get(job.trial_id, 0.0) + max(0.0, when - start)
        return job_cost(job.instance_type, job.instance_count, seconds, self.instance_prices)

    def _write_trial_log(self, trial_id: int, name: str, text: str) -> None:
        if self.path is None:
            return
        folder = self.trial_path(trial_id)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / name, "a") as f:
            f.write(text)
