"""SageMakerBackend: each trial runs as an Amazon SageMaker training job, driven with boto3 only.

Syne Tune's ``SageMakerBackend`` semantics (one job per trial and per resume, checkpoints under
``<s3_path>/<tuner-name>/<trial-id>/checkpoints`` through ``CheckpointConfig``, metrics from the
job's CloudWatch log stream, pause = stop + a new job on the same checkpoints), without the
``sagemaker`` SDK, and event driven: one background poller thread describes the live jobs, reads
their log streams incrementally (``nextForwardToken``) and hands each ``[tune-metric]:`` line to
the tuner as soon as CloudWatch has it.

What it adds over Syne Tune:

* busy accounting counts jobs still stopping (``busy_trial_ids``), and a resumed trial's new job
  is created only once its previous job has stopped, so ``n_workers`` at or below the account's
  instance quota never hits ``ResourceLimitExceeded`` (Syne Tune issue 250); with
  ``Tuner(start_jobs_without_delay=False)`` the tuner waits for the stopping jobs too;
* throttling and 5xx answers are retried with backoff in the poller (issue 339), never raised in
  the tuning loop;
* a job that does not stop within ``stop_timeout`` after StopTrainingJob fails its trial with the
  reason (the tuner goes on);
* ``st_worker_cost`` on every result: instance price x count x billable seconds so far;
* ``copy_checkpoint`` is a server-side S3 copy, done once the source's job (if it is being
  stopped) has stopped, so PBT gets a complete checkpoint.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synetune_plugin_sagemaker import aws
from synetune_plugin_sagemaker.packaging import pack_code
from synetune_plugin_sagemaker.prices import hourly_price, job_cost
from synetune_sdk.backend import TrialBackend
from synetune_sdk.constants import (
    METRIC_LINE_PREFIX,
    ST_CHECKPOINT_DIR,
    ST_CONFIG_JSON_FNAME_ARG,
    ST_WORKER_COST,
    ST_WORKER_TIMESTAMP,
)
from synetune_sdk.reporter import parse_metric_line
from synetune_sdk.trial import Trial, TrialStatus

logger = logging.getLogger(__name__)

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
# pass_args_as_json: the config goes to the job as this input channel's only file
CONFIG_CHANNEL = "st_config"
CONFIG_LOCAL_PATH = f"/opt/ml/input/data/{CONFIG_CHANNEL}/config.json"
JOB_TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
ROLE_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")
INSTANCE_TYPE_KEY = "st_instance_type"
INSTANCE_COUNT_KEY = "st_instance_count"
_MAX_HYPERPARAMETERS = 100
_MAX_HYPERPARAMETER_LENGTH = 2500
_MAX_LOG_PAGES = 50


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


class SageMakerBackend(TrialBackend):
    """Run each trial of ``entry_point`` as a SageMaker training job.

    Args:
        entry_point: the training script; its folder (``source_dir``) is packed and uploaded.
        role: ARN of the IAM role the jobs run as (``arn:aws:iam::<account>:role/<name>``).
        image_uri: the training image (e.g. an AWS deep learning container for PyTorch) that
            runs ``python <entry_point> --<name> <value> ...`` as the framework containers do.
        instance_type, instance_count: the instances of each job; a config may override them
            per trial with ``st_instance_type`` / ``st_instance_count``.
        s3_path: ``s3://<bucket>/<prefix>`` for code and checkpoints (default
            ``s3://sagemaker-<region>-<account>/syne-tune``); the bucket must exist.
        source_dir: the folder packed with the entry point (default: the entry point's folder).
        dependencies: more folders shipped next to it (each under its own name).
        environment: environment variables of the jobs.
        max_run: ``MaxRuntimeInSeconds`` of each job.
        volume_size: EBS volume per instance, in GB.
        keep_alive_period_in_seconds: keep instances in a managed warm pool this long after a
            job ends, so the next job (same instance type and count) starts on them at once.
        release_warm_pools: at ``close()``, end warm pools left idle (they bill while waiting).
        metrics_names: metrics shown as SageMaker metric curves (regexes on the metric lines).
        max_concurrent_jobs: never have more live jobs (running or stopping) than this; extra
            trials wait in the backend (default: no limit besides the tuner's ``n_workers``).
        delete_checkpoints: delete a trial's S3 checkpoints once it completed, failed or was
            stopped (never when paused).
        pass_args_as_json: hand the config to the script as one JSON file instead of
            ``--<name> <value>`` arguments (for configs beyond SageMaker's 100 hyperparameters
            of at most 2500 characters): it is uploaded next to the trial's checkpoints and
            reaches the job as the input channel ``st_config``; the script gets
            ``--st_config_json_filename /opt/ml/input/data/st_config/config.json`` (read it with
            ``synetune_sdk.checkpoint.load_config_json``).
        instance_prices: USD per hour per instance type, on top of the shipped table.
        estimator: optional ``sagemaker`` SDK ``Estimator`` (v2) or ``ModelTrainer`` (v3) used as
            a template for the arguments left unset (image, role, instances, environment, ...).
        endpoint_url: API endpoint for SageMaker, S3, CloudWatch Logs and STS (default
            ``$AWS_ENDPOINT_URL``, else AWS); region_name, profile_name: the boto3 session.
        poll_interval: seconds between two looks at the live jobs.
        stop_timeout: seconds a job may take to stop after StopTrainingJob before its trial is
            marked failed and the job no longer counts as busy.
        log_timeout: seconds to wait for the log stream of a completed job to appear.
        close_timeout: seconds ``close()`` waits for stopping jobs to end.
        max_attempts: botocore's own attempts per call (the poller retries beyond them).
    """

    def __init__(
        self,
        entry_point: str,
        role: str | None = None,
        image_uri: str | None = None,
        instance_type: str | None = None,
        instance_count: int | None = None,
        s3_path: str | None = None,
        source_dir: str | None = None,
        dependencies: list[str] | None = None,
        environment: dict[str, str] | None = None,
        max_run: int | None = None,
        volume_size: int = 30,
        keep_alive_period_in_seconds: int | None = None,
        release_warm_pools: bool = True,
        metrics_names: list[str] | None = None,
        max_concurrent_jobs: int | None = None,
        delete_checkpoints: bool = False,
        pass_args_as_json: bool = False,
        instance_prices: dict[str, float] | None = None,
        estimator: Any = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        profile_name: str | None = None,
        poll_interval: float = 2.0,
        stop_timeout: float = 600.0,
        log_timeout: float = 120.0,
        close_timeout: float = 60.0,
        max_attempts: int = 3,
    ):
        super().__init__(delete_checkpoints=delete_checkpoints)
        template = _template_arguments(estimator)
        role = role or template.get("role")
        image_uri = image_uri or template.get("image_uri")
        instance_type = instance_type or template.get("instance_type") or "ml.m5.large"
        if instance_count is None:
            instance_count = template.get("instance_count", 1)
        max_run = max_run or template.get("max_run") or 24 * 3600
        if keep_alive_period_in_seconds is None:
            keep_alive_period_in_seconds = template.get("keep_alive_period_in_seconds")
        environment = {**template.get("environment", {}), **(environment or {})}

        path = Path(entry_point)
        if not path.is_file():
            raise FileNotFoundError(
                f"entry_point {str(entry_point)!r} is not a file (looked in {path.resolve()}): "
                "pass the path of the training script"
            )
        self.source_dir = Path(source_dir).resolve() if source_dir else path.resolve().parent
        if not self.source_dir.is_dir():
            raise FileNotFoundError(f"source_dir {str(source_dir)!r} is not a folder")
        try:
            self.program = path.resolve().relative_to(self.source_dir).as_posix()
        except ValueError:
            raise ValueError(
                f"entry_point {str(entry_point)!r} is not inside source_dir {str(source_dir)!r}"
            ) from None
        if not role:
            raise ValueError(
                "role is missing: pass role='arn:aws:iam::<account id>:role/<name>', the IAM role "
                "the training jobs run as (it needs SageMaker, S3 and CloudWatch Logs access)"
            )
        if not ROLE_PATTERN.match(role):
            raise ValueError(
                f"role={role!r} is not an IAM role ARN: write it as "
                "arn:aws:iam::<12-digit account id>:role/<name>"
            )
        if not image_uri:
            raise ValueError(
                "image_uri is missing: pass the training image, e.g. "
                "'763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310'"
            )
        if int(instance_count) < 1:
            raise ValueError(f"instance_count must be at least 1, got {instance_count}")
        if keep_alive_period_in_seconds is not None and not (
            0 <= int(keep_alive_period_in_seconds) <= 3600
        ):
            raise ValueError(
                "keep_alive_period_in_seconds must be between 0 and 3600 (SageMaker's limit), "
                f"got {keep_alive_period_in_seconds}"
            )
        if max_concurrent_jobs is not None and int(max_concurrent_jobs) < 1:
            raise ValueError(f"max_concurrent_jobs must be at least 1, got {max_concurrent_jobs}")
        if metrics_names and len(metrics_names) > 40:
            raise ValueError(
                f"metrics_names has {len(metrics_names)} names, SageMaker shows at most 40"
            )
        for dependency in dependencies or []:
            if not Path(dependency).exists():
                raise FileNotFoundError(f"dependency {dependency!r} does not exist")
        if s3_path is not None:
            aws.parse_s3_uri(s3_path)
        self.entry_point = str(path.resolve())
        self.role = role
        self.image_uri = image_uri
        self.instance_type = instance_type
        self.instance_count = int(instance_count)
        self.s3_path = s3_path.rstrip("/") if s3_path else None
        self.dependencies = [str(Path(d).resolve()) for d in dependencies or []]
        self.environment = {str(k): str(v) for k, v in environment.items()}
        self.max_run = int(max_run)
        self.volume_size = int(volume_size)
        self.keep_alive = (
            None if keep_alive_period_in_seconds is None else int(keep_alive_period_in_seconds)
        )
        self.release_warm_pools = release_warm_pools
        self.metrics_names = list(metrics_names or [])
        self.pass_args_as_json = bool(pass_args_as_json)
        self.max_concurrent_jobs = None if max_concurrent_jobs is None else int(max_concurrent_jobs)
        self.instance_prices = dict(instance_prices or {})
        self.endpoint_url = endpoint_url
        self.region_name = region_name
        self.profile_name = profile_name
        self.poll_interval = float(poll_interval)
        self.stop_timeout = float(stop_timeout)
        self.log_timeout = float(log_timeout)
        self.close_timeout = float(close_timeout)
        self.max_attempts = int(max_attempts)
        self.jobs: dict[str, TrainingJob] = {}
        self.trial_jobs: dict[int, list[str]] = {}
        self.tuner_name: str | None = None
        self.code_uri: str | None = None
        self._billed: dict[int, float] = {}
        self._pending: list[_PendingStart] = []
        self._delete_when_stopped: set[int] = set()
        # fail fast on what can be checked without the network
        aws.make_session(region_name, profile_name)
        self._init_aws()

    # ----------------------------------------------------------------- runtime state
    def _init_aws(self) -> None:
        self._jobs_lock = threading.RLock()
        self._kick = threading.Event()
        self._poller: threading.Thread | None = None
        self._closing = False
        self._clients: dict[str, Any] = {}
        self._next_copy: int | None = None
        self._warned_price = False

    def __getstate__(self) -> dict[str, Any]:
        with self._jobs_lock:
            state = super().__getstate__()
            state["jobs"] = {name: copy.copy(job) for name, job in self.jobs.items()}
            state["trial_jobs"] = {t: list(names) for t, names in self.trial_jobs.items()}
            state["_pending"] = list(self._pending)
        for key in ("_jobs_lock", "_kick", "_poller", "_closing", "_clients", "_next_copy"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._init_aws()

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            session = aws.make_session(self.region_name, self.profile_name)
            client = aws.make_client(session, service, self.endpoint_url, self.max_attempts)
            self._clients[service] = client
        return client

    @property
    def bucket_and_prefix(self) -> tuple[str, str]:
        if self.s3_path is None:
            session = aws.make_session(self.region_name, self.profile_name)
            self.s3_path = f"s3://{aws.default_bucket(session, self.endpoint_url)}/syne-tune"
        return aws.parse_s3_uri(self.s3_path)

    # ----------------------------------------------------------------- wiring
    def entrypoint_path(self) -> Path:
        return Path(self.entry_point)

    def set_path(self, path: str | Path) -> None:
        """Also checks the bucket and uploads the code, so a wrong set-up fails before any trial."""
        super().set_path(path)
        self.tuner_name = _job_safe(Path(path).name) or "synetune"
        bucket, _ = self.bucket_and_prefix
        aws.check_bucket(self._client("s3"), bucket)
        self._upload_code()

    def _upload_code(self) -> None:
        bucket, prefix = self.bucket_and_prefix
        key = "/".join(p for p in (prefix, self.tuner_name, "code", "sourcedir.tar.gz") if p)
        with tempfile.TemporaryDirectory() as tmp:
            tarball = pack_code(Path(tmp) / "sourcedir.tar.gz", self.source_dir, self.dependencies)
            s3 = self._client("s3")
            aws.with_backoff(lambda: s3.upload_file(str(tarball), bucket, key), "upload code")
        self.code_uri = f"s3://{bucket}/{key}"

    def checkpoint_s3_uri(self, trial_id: int) -> str:
        bucket, prefix = self.bucket_and_prefix
        return aws.s3_uri(bucket, prefix, str(self.tuner_name), str(trial_id), "checkpoints") + "/"

    def _checkpoint_key(self, trial_id: int) -> tuple[str, str]:
        return aws.parse_s3_uri(self.checkpoint_s3_uri(trial_id))

    # ----------------------------------------------------------------- the tuner's calls
    def start_trial(self, config: dict[str, Any], checkpoint_trial_id: int | None = None) -> Trial:
        # the S3 copy waits in the poller until the source's job (if stopping) has stopped
        self._next_copy = checkpoint_trial_id
        try:
            return super().start_trial(config)
        finally:
            self._next_copy = None

    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        run = self.current_run(trial_id)
        if self.path is not None:
            self.trial_path(trial_id).mkdir(parents=True, exist_ok=True)
            (self.trial_path(trial_id) / "config.json").write_text(
                json.dumps(config, default=str, indent=2)
            )
        with self._jobs_lock:
            self._pending.append(_PendingStart(trial_id, run, dict(config), self._next_copy))
        self._ensure_poller()

    def _stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        if self.delete_checkpoints:
            self._delete_when_stopped.add(trial_id)
        self._request_stop(trial_id)

    def _pause_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._request_stop(trial_id)

    def _request_stop(self, trial_id: int) -> None:
        with self._jobs_lock:
            self._pending = [p for p in self._pending if p.trial_id != trial_id]
            for name in self.trial_jobs.get(trial_id, []):
                job = self.jobs[name]
                if not job.ended and job.stop_requested is None:
                    job.stop_requested = time.monotonic()
        self._kick.set()

    def busy_trial_ids(self) -> list[tuple[int, str]]:
        """Running trials, and trials whose job is still stopping (they hold instances)."""
        busy = dict(super().busy_trial_ids())
        with self._jobs_lock:
            for job in self.jobs.values():
                if job.live and job.trial_id not in busy:
                    busy[job.trial_id] = TrialStatus.STOPPING
        return sorted(busy.items())

    def copy_checkpoint(self, src_trial_id: int, tgt_trial_id: int) -> None:
        """Server-side S3 copy of the source trial's checkpoints (replacing the target's)."""
        bucket, source = self._checkpoint_key(src_trial_id)
        _, target = self._checkpoint_key(tgt_trial_id)
        aws.copy_prefix(self._client("s3"), bucket, source, target)

    def delete_checkpoint(self, trial_id: int) -> None:
        bucket, prefix = self._checkpoint_key(trial_id)
        aws.delete_prefix(self._client("s3"), bucket, prefix)

    def restore(self, trials: dict[int, Trial], status: dict[int, str]) -> None:
        """A resumed tuner: jobs left running by the previous tuner process are stopped."""
        super().restore(trials, status)
        with self._jobs_lock:
            self._pending.clear()
            for job in self.jobs.values():
                if not job.ended:
                    # monotonic times of the previous process mean nothing here: start afresh
                    job.stop_requested, job.stop_sent = time.monotonic(), False
                if job.ended_at is not None:
                    job.ended_at = time.monotonic()
        self._ensure_poller()

    def job_names(self, trial_id: int) -> list[str]:
        """The training jobs of a trial, oldest first (one per start or resume)."""
        with self._jobs_lock:
            return list(self.trial_jobs.get(trial_id, []))

    def close(self) -> None:
        """Stop every live job, wait up to ``close_timeout`` for them to end, stop the poller."""
        self.stop_all()
        with self._jobs_lock:
            self._pending.clear()
            for job in self.jobs.values():
                if job.live and job.stop_requested is None:
                    job.stop_requested = time.monotonic()
            live = any(job.live for job in self.jobs.values())
        if live:
            self._ensure_poller()
            deadline = time.monotonic() + self.close_timeout
            while time.monotonic() < deadline:
                with self._jobs_lock:
                    if not any(job.live for job in self.jobs.values()):
                        break
                self._kick.set()
                time.sleep(min(0.05, self.poll_interval))
        self._closing = True
        self._kick.set()
        if self._poller is not None:
            self._poller.join(timeout=max(5.0, 3 * self.poll_interval))
            self._poller = None
        self._closing = False
        if self.release_warm_pools and self.keep_alive:
            self._release_warm_pools()

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

    def _job_request(
        self, trial_id: int, config: dict[str, Any]
    ) -> tuple[dict[str, Any], str, int]:
        config = dict(config)
        instance_type = str(config.pop(INSTANCE_TYPE_KEY, self.instance_type))
        instance_count = int(config.pop(INSTANCE_COUNT_KEY, self.instance_count))
        if self.pass_args_as_json:
            hyperparameters = {ST_CONFIG_JSON_FNAME_ARG: CONFIG_LOCAL_PATH}
        else:
            hyperparameters = {str(k): _hyperparameter(v) for k, v in config.items()}
        hyperparameters[ST_CHECKPOINT_DIR] = CHECKPOINT_LOCAL_PATH
        hyperparameters["sagemaker_program"] = self.program
        hyperparameters["sagemaker_submit_directory"] = str(self.code_uri)
        hyperparameters["sagemaker_region"] = str(self._client("sagemaker").meta.region_name)
        if len(hyperparameters) > _MAX_HYPERPARAMETERS:
            raise ValueError(
                f"trial {trial_id}: {len(hyperparameters)} hyperparameters, SageMaker takes at "
                f"most {_MAX_HYPERPARAMETERS}: use fewer configuration entries"
            )
        for key, value in hyperparameters.items():
            if len(value) > _MAX_HYPERPARAMETER_LENGTH:
                raise ValueError(
                    f"trial {trial_id}: the value of {key!r} has {len(value)} characters, "
                    f"SageMaker takes at most {_MAX_HYPERPARAMETER_LENGTH}"
                )
        bucket, prefix = self.bucket_and_prefix
        resources: dict[str, Any] = {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeSizeInGB": self.volume_size,
        }
        if self.keep_alive is not None:
            resources["KeepAlivePeriodInSeconds"] = self.keep_alive
        algorithm: dict[str, Any] = {"TrainingImage": self.image_uri, "TrainingInputMode": "File"}
        if self.metrics_names:
            algorithm["MetricDefinitions"] = [
                {"Name": name, "Regex": _metric_regex(name)} for name in self.metrics_names
            ]
        request = {
            "AlgorithmSpecification": algorithm,
            "RoleArn": self.role,
            "HyperParameters": hyperparameters,
            "OutputDataConfig": {
                "S3OutputPath": aws.s3_uri(
                    bucket, prefix, str(self.tuner_name), str(trial_id), "output"
                )
            },
            "ResourceConfig": resources,
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_run},
            "CheckpointConfig": {
                "S3Uri": self.checkpoint_s3_uri(trial_id),
                "LocalPath": CHECKPOINT_LOCAL_PATH,
            },
            "Environment": {"PYTHONUNBUFFERED": "1", **self.environment},
            "Tags": [
                {"Key": "synetune-tuner", "Value": str(self.tuner_name)},
                {"Key": "synetune-trial", "Value": str(trial_id)},
            ],
        }
        if self.pass_args_as_json:
            request["InputDataConfig"] = [self._config_channel(trial_id, config)]
        return request, instance_type, instance_count

    def _config_channel(self, trial_id: int, config: dict[str, Any]) -> dict[str, Any]:
        """Upload the config as JSON; the input channel that brings it into the job."""
        bucket, prefix = self.bucket_and_prefix
        folder = aws.s3_uri(bucket, prefix, str(self.tuner_name), str(trial_id), CONFIG_CHANNEL)
        key = folder[len(f"s3://{bucket}/") :] + "/config.json"
        body = json.dumps(config, default=str).encode()
        self._aws("s3", "put_object", Bucket=bucket, Key=key, Body=body)
        return {
            "ChannelName": CONFIG_CHANNEL,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": folder + "/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "InputMode": "File",
        }

    def _job_name(self, trial_id: int, attempt: int) -> str:
        suffix = f"-{trial_id}" + (f"-{attempt}" if attempt else "")
        base = str(self.tuner_name)
        if len(base) + len(suffix) > 63:
            digest = hashlib.sha1(base.encode()).hexdigest()[:6]
            base = base[: 63 - len(suffix) - 7].rstrip("-") + "-" + digest
        return base + suffix

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

    def _read_logs(self, job: TrainingJob) -> None:
        """Read the job's new log events (host algo-1) and report its metric lines."""
        logs = "logs"
        if job.log_stream is None:
            try:
                answer = self._aws(
                    logs,
                    "describe_log_streams",
                    logGroupName=LOG_GROUP,
                    logStreamNamePrefix=f"{job.name}/algo-1-",
                )
            except _Transient:
                raise
            except Exception as err:
                if aws.error_code(err) == "ResourceNotFoundException":
                    return  # no job has logged yet
                raise
            streams = sorted(s["logStreamName"] for s in answer.get("logStreams", []))
            if not streams:
                return
            job.log_stream = streams[0]
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

    def _write_trial_log(self, trial_id: int, name: str, text: str) -> None:
        if self.path is None:
            return
        folder = self.trial_path(trial_id)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / name, "a") as f:
            f.write(text)

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


# ---------------------------------------------------------------------------------- helpers
def _hyperparameter(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    for attr in ("item", "tolist"):  # numpy scalars and arrays, without importing numpy
        if callable(getattr(value, attr, None)):
            return str(getattr(value, attr)())
    return str(value)


def _metric_regex(name: str) -> str:
    return rf'.*\[tune-metric\].*"{re.escape(name)}": ([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)'


def _job_safe(name: str) -> str:
    """A tuner name usable in job names: letters, digits and single dashes."""
    return re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9-]", "-", name)).strip("-")


def _template_arguments(estimator: Any) -> dict[str, Any]:
    """Arguments read from a ``sagemaker`` SDK v2 ``Estimator`` or v3 ``ModelTrainer``."""
    if estimator is None:
        return {}
    out: dict[str, Any] = {}
    compute = getattr(estimator, "compute", None)  # v3 ModelTrainer
    stopping = getattr(estimator, "stopping_condition", None)
    candidates = {
        "role": [getattr(estimator, "role", None)],
        "image_uri": [
            getattr(estimator, "image_uri", None),
            getattr(estimator, "training_image", None),
        ],
        "instance_type": [
            getattr(estimator, "instance_type", None),
            getattr(compute, "instance_type", None),
        ],
        "instance_count": [
            getattr(estimator, "instance_count", None),
            getattr(compute, "instance_count", None),
        ],
        "keep_alive_period_in_seconds": [
            getattr(estimator, "keep_alive_period_in_seconds", None),
            getattr(compute, "keep_alive_period_in_seconds", None),
        ],
        "max_run": [
            getattr(estimator, "max_run", None),
            getattr(stopping, "max_runtime_in_seconds", None),
        ],
        "environment": [getattr(estimator, "environment", None)],
    }
    for key, values in candidates.items():
        for value in values:
            if value is not None and not callable(value):
                out[key] = value
                break
    if not isinstance(out.get("environment", {}), dict):
        out.pop("environment")
    return out
