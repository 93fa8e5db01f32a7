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

The backend is assembled from one module per concern: ``job_template`` (estimator template and
``CreateTrainingJob`` requests), ``storage`` (S3 code and checkpoints), ``job_logs`` (CloudWatch
logs and metric lines), ``poller`` (the job life cycle) and ``jobs`` (the job records).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from synetune_plugin_sagemaker import aws
from synetune_plugin_sagemaker.estimators import (
    EstimatorSettings,
    read_estimator,
    resolve_entry_point,
)
from synetune_plugin_sagemaker.job_logs import LOG_GROUP, JobLogs
from synetune_plugin_sagemaker.job_template import (
    CHECKPOINT_LOCAL_PATH,
    CONFIG_CHANNEL,
    CONFIG_LOCAL_PATH,
    INSTANCE_COUNT_KEY,
    INSTANCE_TYPE_KEY,
    JOB_NAME_PATTERN,
    ROLE_PATTERN,
    JobTemplate,
    _check_job_settings,
    _job_safe,
)

# TrainingJob and _PendingStart are pickled inside a saved backend under this module's name
from synetune_plugin_sagemaker.jobs import JOB_TERMINAL, TrainingJob, _PendingStart
from synetune_plugin_sagemaker.poller import JobPoller
from synetune_plugin_sagemaker.storage import S3Storage
from synetune_sdk.backend import TrialBackend
from synetune_sdk.jsonutil import json_default_or_str
from synetune_sdk.trial import Trial, TrialStatus

__all__ = [
    "CHECKPOINT_LOCAL_PATH",
    "CONFIG_CHANNEL",
    "CONFIG_LOCAL_PATH",
    "INSTANCE_COUNT_KEY",
    "INSTANCE_TYPE_KEY",
    "JOB_NAME_PATTERN",
    "JOB_TERMINAL",
    "LOG_GROUP",
    "ROLE_PATTERN",
    "SageMakerBackend",
    "TrainingJob",
]

# also the logger of the mixin modules (poller, job_logs)
logger = logging.getLogger(__name__)


class SageMakerBackend(JobPoller, JobLogs, JobTemplate, S3Storage, TrialBackend):
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
        estimator: optional ``sagemaker`` SDK v2 ``Estimator``/``Framework`` or v3
            ``ModelTrainer`` (also as ``sm_estimator=`` or first, as Syne Tune takes it): each job
            takes its image, code, constant hyperparameters, spot, VPC, instance, output,
            checkpoint, tag, distribution and metric settings (``estimators.read_estimator``);
            the arguments here override it.
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
        entry_point: str | None = None,
        role: str | None = None,
        image_uri: str | None = None,
        instance_type: str | None = None,
        instance_count: int | None = None,
        s3_path: str | None = None,
        source_dir: str | None = None,
        dependencies: list[str] | None = None,
        environment: dict[str, str] | None = None,
        max_run: int | None = None,
        volume_size: int | None = None,
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
        sm_estimator: Any = None,
    ):
        super().__init__(delete_checkpoints=delete_checkpoints)
        if entry_point is not None and not isinstance(entry_point, str | Path):
            # Syne Tune's SageMakerBackend(PyTorch(...)): the estimator comes first
            if sm_estimator is not None or estimator is not None:
                raise ValueError("pass one estimator, not one first and another by keyword")
            entry_point, estimator = None, entry_point
        if sm_estimator is not None:  # Syne Tune's name of the argument
            if estimator is not None:
                raise ValueError("pass estimator or sm_estimator (the same thing), not both")
            estimator = sm_estimator
        template = read_estimator(estimator) if estimator is not None else EstimatorSettings("")
        if entry_point is None:
            entry_point, template_source = resolve_entry_point(template)
            source_dir = source_dir or template_source
        if entry_point is None:
            raise ValueError(
                "entry_point is missing: pass entry_point='train.py' (the training script), or an "
                "estimator that names one"
            )
        self.estimator_kind = template.kind or None
        role = role or template.role
        image_uri = image_uri or template.image_uri
        instance_type = instance_type or template.instance_type or "ml.m5.large"
        if instance_count is None:
            instance_count = template.instance_count or 1
        max_run = max_run or template.max_run or 24 * 3600
        volume_size = volume_size or template.volume_size or 30
        if keep_alive_period_in_seconds is None:
            keep_alive_period_in_seconds = template.keep_alive
        environment = {**template.environment, **(environment or {})}
        # the estimator's and these, each once (Syne Tune's compat layer passes both)
        dependencies = list(dict.fromkeys([*template.dependencies, *(dependencies or [])]))
        region_name = region_name or template.region_name
        profile_name = profile_name or template.profile_name
        _check_job_settings(template, int(max_run))

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
        n_metrics = len(metrics_names or []) + len(template.metric_definitions)
        if n_metrics > 40:
            raise ValueError(
                f"{n_metrics} metric definitions (metrics_names and the estimator's "
                "metric_definitions), SageMaker shows at most 40"
            )
        for dependency in dependencies:
            if not Path(dependency).exists():
                raise FileNotFoundError(f"dependency {dependency!r} does not exist")
        if s3_path is not None:
            aws.parse_s3_uri(s3_path)
        self._set_template(template)
        self._explicit_image = bool(image_uri) and image_uri != template.image_uri
        self.entry_point = str(path.resolve())
        self.role = role
        self.image_uri = image_uri
        self.instance_type = instance_type
        self.instance_count = int(instance_count)
        if self._resolver is not None:
            # the SDK's image and constants for the instance type the jobs use (an error here,
            # not at the first job, if it cannot map it)
            self.image_uri, self.constants = self._image_and_constants(self.instance_type)
        self.s3_path = s3_path.rstrip("/") if s3_path else None
        self.dependencies = list(dict.fromkeys(str(Path(d).resolve()) for d in dependencies))
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
        # the estimator's resolver and session stay behind: what they resolved is kept
        transient = ("_resolver", "_default_s3_path")
        for key in ("_jobs_lock", "_kick", "_poller", "_closing", "_clients", "_next_copy"):
            state.pop(key, None)
        for key in transient:
            state[key] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "constants" not in state:  # pickled before estimators were read
            self._explicit_image = True
            self._set_template(EstimatorSettings(""))
        self._init_aws()

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            session = aws.make_session(self.region_name, self.profile_name)
            client = aws.make_client(session, service, self.endpoint_url, self.max_attempts)
            self._clients[service] = client
        return client

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

    # ----------------------------------------------------------------- the tuner's calls
    def start_trial(self, config: dict[str, Any], checkpoint_trial_id: int | None = None) -> Trial:
        self.check_config(config)
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
                json.dumps(config, default=json_default_or_str, indent=2)
            )
        with self._jobs_lock:
            self._pending.append(_PendingStart(trial_id, run, dict(config), self._next_copy))
        self._ensure_poller()

    def resume_trial(self, trial_id: int, new_config: dict[str, Any] | None = None) -> Trial:
        if new_config is not None:
            self.check_config(new_config)
        return super().resume_trial(trial_id, new_config)

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
