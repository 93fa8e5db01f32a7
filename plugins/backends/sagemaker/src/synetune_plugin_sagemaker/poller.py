"""The SageMaker backend's poller: one background thread that starts, follows and stops jobs.

``JobPoller`` is a mixin of ``SageMakerBackend``. Each round it sends the stops the tuner asked
for, creates the jobs of pending starts that are not blocked (a previous run still stopping, a
checkpoint source still stopping, ``max_concurrent_jobs``), describes the live jobs and reads
their logs, ends trials whose jobs ended, and fails trials whose jobs do not stop within
``stop_timeout``. Throttling and transient AWS errors back the poller off; they never reach the
tuning loop.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from synetune_plugin_sagemaker import aws
from synetune_plugin_sagemaker.jobs import TrainingJob, _PendingStart, _Transient
from synetune_sdk.trial import TrialStatus

# the backend's logger: messages keep the name they always had
logger = logging.getLogger("synetune_plugin_sagemaker.backend")


class JobPoller:
    """The job life cycle of ``SageMakerBackend`` (a mixin of it), run by its poller thread."""

    # ----------------------------------------------------------------- the poller
    def _ensure_poller(self) -> None:
        if self._poller is None or not self._poller.is_alive():
            self._closing = False
            self._poller = threading.Thread(
                target=self._poll_forever, name="sagemaker-backend-poller", daemon=True
            )
            self._poller.start()
        self._kick.set()

    def _poll_forever(self) -> None:
        backoff = 0.0
        while not self._closing:
            self._kick.clear()
            try:
                self._poll_once()
                backoff = 0.0
            except _Transient as err:
                backoff = min(60.0, max(2 * backoff, 2 * self.poll_interval, 0.1))
                logger.info(
                    "AWS throttled or failed transiently (%s): backing off %.1f s", err, backoff
                )
            except Exception:  # the poller must survive anything, or the tuner would hang
                logger.exception("SageMaker backend poller error (retrying)")
                backoff = max(backoff, self.poll_interval)
            self._kick.wait(max(backoff, self.poll_interval))

    def _poll_once(self) -> None:
        self._send_stops()
        self._start_pending()
        with self._jobs_lock:
            jobs = [job for job in self.jobs.values() if not job.done]
        for job in jobs:
            self._poll_job(job)
        self._check_stop_timeouts()

    def _aws(self, service: str, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client(service), operation)(**kwargs)
        except Exception as err:
            if aws.is_transient(err):
                raise _Transient(err) from err
            raise

    # ----------------------------------------------------------------- starting jobs
    def _start_pending(self) -> None:
        with self._jobs_lock:
            pending = list(self._pending)
        now = time.monotonic()
        for start in pending:
            if start.not_before > now:
                continue
            reason = self._blocked(start)
            if reason is True:
                continue
            with self._jobs_lock:
                if start not in self._pending:
                    continue  # stopped meanwhile
                self._pending.remove(start)
            if isinstance(reason, str):
                self._fail(start.trial_id, start.run, reason)
                continue
            try:
                self._create_job(start)
            except _Transient:
                with self._jobs_lock:
                    self._pending.insert(0, start)
                raise

    def _blocked(self, start: _PendingStart) -> bool | str | None:
        """True: wait; a string: cannot start (why); None: go."""
        with self._jobs_lock:
            for name in self.trial_jobs.get(start.trial_id, []):
                job = self.jobs[name]
                if job.abandoned:
                    return (
                        f"trial {start.trial_id} cannot be resumed: its previous training job "
                        f"{job.name} did not stop ({job.abandoned})"
                    )
                if job.live:
                    return True  # the previous run still writes the checkpoints
            if start.copy_from is not None:
                for name in self.trial_jobs.get(start.copy_from, []):
                    job = self.jobs[name]
                    if job.live and job.stop_requested is not None:
                        return True  # copy a complete checkpoint
            if self.max_concurrent_jobs is not None:
                live = sum(1 for job in self.jobs.values() if job.live)
                if live >= self.max_concurrent_jobs:
                    return True
        return None

    def _create_job(self, start: _PendingStart) -> None:
        trial_id = start.trial_id
        if start.copy_from is not None:
            try:
                self.copy_checkpoint(start.copy_from, trial_id)
            except Exception as err:
                if aws.is_transient(err):
                    raise _Transient(err) from err
                self._fail(
                    trial_id,
                    start.run,
                    f"copying the checkpoint of trial {start.copy_from} to trial {trial_id} "
                    f"failed: {aws.error_message(err)}",
                )
                return
            start.copy_from = None
        try:
            request, instance_type, instance_count = self._job_request(trial_id, start.config)
        except ValueError as err:
            self._fail(trial_id, start.run, str(err))
            return
        attempt = len(self.trial_jobs.get(trial_id, []))
        for _ in range(20):
            name = self._job_name(trial_id, attempt)
            request["TrainingJobName"] = name
            try:
                self._aws("sagemaker", "create_training_job", **request)
                break
            except _Transient:
                raise
            except Exception as err:
                code = aws.error_code(err)
                if code == "ResourceInUse":
                    attempt += 1  # a job of that name exists (an earlier tuner of the same name)
                    continue
                if code == "ResourceLimitExceeded":
                    start.backoff = min(60.0, max(2 * start.backoff, self.poll_interval, 1.0))
                    start.not_before = time.monotonic() + start.backoff
                    logger.warning(
                        "trial %d waits: the account's SageMaker quota is used up (%s); lower "
                        "n_workers or use Tuner(start_jobs_without_delay=False)",
                        trial_id,
                        aws.error_message(err),
                    )
                    with self._jobs_lock:
                        self._pending.insert(0, start)
                    return
                self._fail(
                    trial_id,
                    start.run,
                    f"trial {trial_id}: CreateTrainingJob failed: {aws.error_message(err)}",
                )
                return
        else:
            self._fail(trial_id, start.run, f"trial {trial_id}: no free training job name")
            return
        job = TrainingJob(
            name=name,
            trial_id=trial_id,
            run=start.run,
            instance_type=instance_type,
            instance_count=instance_count,
            keep_alive=self.keep_alive,
        )
        with self._jobs_lock:
            self.jobs[name] = job
            self.trial_jobs.setdefault(trial_id, []).append(name)
            if self.current_run(trial_id) != start.run:
                job.stop_requested = time.monotonic()  # stopped while being created
        self._write_trial_log(trial_id, "std.err", f"synetune: training job {name} created\n")
        self._kick.set()

    # ----------------------------------------------------------------- stopping jobs
    def _send_stops(self) -> None:
        with self._jobs_lock:
            jobs = [
                j
                for j in self.jobs.values()
                if j.stop_requested and not j.stop_sent and not j.ended
            ]
        for job in jobs:
            try:
                self._aws("sagemaker", "stop_training_job", TrainingJobName=job.name)
            except _Transient:
                raise
            except Exception as err:
                # ValidationException: it ended by itself meanwhile; describe will tell
                logger.info("StopTrainingJob %s: %s", job.name, aws.error_message(err))
            job.stop_sent = True

    def _check_stop_timeouts(self) -> None:
        now = time.monotonic()
        expired = []
        with self._jobs_lock:
            for job in self.jobs.values():
                if (
                    job.live
                    and job.stop_requested is not None
                    and now - job.stop_requested > self.stop_timeout
                ):
                    job.abandoned = (
                        f"still {job.status} {self.stop_timeout:.0f} s after StopTrainingJob; "
                        "stop it in the SageMaker console, it may still cost money"
                    )
                    expired.append(job)
        for job in expired:
            reason = f"trial {job.trial_id}: training job {job.name} {job.abandoned}"
            logger.error(reason)
            self._write_trial_log(job.trial_id, "std.err", reason + "\n")
            with self._lock:
                if self.status.get(job.trial_id) == TrialStatus.STOPPED:
                    self.status[job.trial_id] = TrialStatus.FAILED
                    self._events.append(
                        (job.trial_id, self.current_run(job.trial_id), "status", TrialStatus.FAILED)
                    )
                self.errors[job.trial_id] = reason
            self._wakeup.set()

    # ----------------------------------------------------------------- following jobs
    def _poll_job(self, job: TrainingJob) -> None:
        if not job.ended:
            self._describe(job)
        self._read_logs(job)
        if not job.ended:
            return
        if job.ended_at is None:
            job.ended_at = time.monotonic()
        if (
            job.status == "Completed"
            and job.log_stream is None
            and time.monotonic() - job.ended_at < self.log_timeout
        ):
            return  # CloudWatch may publish the stream after the job ended
        self._job_ended(job)

    def _describe(self, job: TrainingJob) -> None:
        try:
            description = self._aws("sagemaker", "describe_training_job", TrainingJobName=job.name)
        except _Transient:
            raise
        except Exception as err:
            if aws.error_code(err) != "ValidationException":
                raise
            job.status = "Failed"
            job.failure_reason = f"the training job disappeared: {aws.error_message(err)}"
            return
        job.status = description.get("TrainingJobStatus", job.status)
        job.secondary_status = description.get("SecondaryStatus", "")
        job.failure_reason = description.get("FailureReason") or job.failure_reason
        job.warm_pool = description.get("WarmPoolStatus") or job.warm_pool
        if description.get("TrainingStartTime") is not None:
            job.training_start = description["TrainingStartTime"].timestamp()
        if description.get("TrainingEndTime") is not None and job.ended:
            job.training_end = description["TrainingEndTime"].timestamp()
        if description.get("BillableTimeInSeconds") is not None:
            job.billable_seconds = float(description["BillableTimeInSeconds"])
        interruptions = sum(
            1
            for t in description.get("SecondaryStatusTransitions") or []
            if t.get("Status") == "Interrupted"
        )
        if interruptions > job.interruptions:
            job.interruptions = interruptions
            self._write_trial_log(
                job.trial_id,
                "std.err",
                f"synetune: training job {job.name} was interrupted (spot capacity reclaimed); "
                "SageMaker restarts it from the checkpoints in S3\n",
            )

    def _job_ended(self, job: TrainingJob) -> None:
        job.done = True
        billed = job.billable_seconds
        if billed is None and job.training_start is not None:
            billed = max(0.0, (job.training_end or time.time()) - job.training_start)
        self._billed[job.trial_id] = self._billed.get(job.trial_id, 0.0) + (billed or 0.0)
        summary = f"synetune: training job {job.name} ended: {job.status}"
        if job.failure_reason:
            summary += f" ({job.failure_reason})"
        self._write_trial_log(job.trial_id, "std.err", summary + "\n")
        if job.status == "Completed":
            ending: tuple[str, str | None] = (TrialStatus.COMPLETED, None)
        elif job.status == "Failed":
            ending = (
                TrialStatus.FAILED,
                f"trial {job.trial_id}: SageMaker training job {job.name} failed: "
                f"{job.failure_reason or 'no reason given'}",
            )
        elif job.stop_requested is None:
            ending = (
                TrialStatus.FAILED,
                f"trial {job.trial_id}: SageMaker training job {job.name} was stopped outside "
                f"synetune ({job.secondary_status or 'Stopped'}; MaxRuntimeInSeconds={self.max_run})",
            )
        else:
            ending = (TrialStatus.STOPPED, None)  # we stopped it: the trial's status is set
        current = self.current_run(job.trial_id) == job.run
        latest = self.trial_jobs.get(job.trial_id, [None])[-1] == job.name
        stopped = self.status.get(job.trial_id) == TrialStatus.STOPPED
        if (
            self.delete_checkpoints
            and latest
            and (
                (current and ending[0] != TrialStatus.STOPPED)
                or (stopped and job.trial_id in self._delete_when_stopped)
            )
        ):
            # before the trial's end is reported, so whoever sees it ended sees no checkpoint
            try:
                self.delete_checkpoint(job.trial_id)
            except Exception as err:
                logger.warning("deleting the checkpoints of trial %d failed: %s", job.trial_id, err)
        if ending[0] != TrialStatus.STOPPED:
            self._finish(job.trial_id, job.run, ending[0], ending[1])
        self._wakeup.set()  # a worker is free now

    def _fail(self, trial_id: int, run: int, reason: str) -> None:
        logger.error(reason)
        self._write_trial_log(trial_id, "std.err", reason + "\n")
        self._finish(trial_id, run, TrialStatus.FAILED, reason)

    # ----------------------------------------------------------------- warm pools
    def _release_warm_pools(self) -> None:
        """End warm pools our jobs left idle: they bill until their keep-alive period ends."""
        with self._jobs_lock:
            jobs = [j for j in self.jobs.values() if j.ended and j.keep_alive]
        for job in jobs:
            try:
                description = self._client("sagemaker").describe_training_job(
                    TrainingJobName=job.name
                )
                job.warm_pool = description.get("WarmPoolStatus") or job.warm_pool
                if (job.warm_pool or {}).get("Status") != "Available":
                    continue
                self._client("sagemaker").update_training_job(
                    TrainingJobName=job.name, ResourceConfig={"KeepAlivePeriodInSeconds": 0}
                )
                job.warm_pool = {**job.warm_pool, "Status": "Terminated"}
                logger.info("released the warm pool of training job %s", job.name)
            except Exception as err:
                logger.warning("could not release the warm pool of %s: %s", job.name, err)
