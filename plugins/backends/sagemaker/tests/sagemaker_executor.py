"""A test double that plays SageMaker's part behind moto's API server (tests only).

moto stores training jobs but runs nothing: a created job is born ``Completed``, StopTrainingJob
is not implemented and the job's environment is dropped. ``FakeSageMaker`` fills the gap in
process: moto's response handlers are wrapped (``install_shims``) so that creating a job starts
it here, and for each job a runner thread does what SageMaker does:

* fetch ``sourcedir.tar.gz`` from (moto) S3 and the job's checkpoints from its
  ``CheckpointConfig.S3Uri``;
* run ``python <sagemaker_program> --<name> <value> ...`` as a subprocess (the checkpoint
  ``LocalPath`` mapped to a local folder), with the job's environment plus credentials and
  ``AWS_ENDPOINT_URL`` pointing at moto, as a real job gets from its role;
* publish stdout and stderr lines to (moto) CloudWatch Logs, stream ``<job>/algo-1-<time>``;
* upload the checkpoint folder to S3 periodically and at the end;
* move the job through InProgress, Stopping, Stopped, Completed and Failed (with a
  ``FailureReason`` holding the tail of stderr), fill billable seconds and warm-pool status.

Knobs for fault tests: ``quota`` (``ResourceLimitExceeded`` beyond that many live jobs),
``throttle`` (operation -> how many calls answer ``ThrottlingException``), ``ignore_stop`` (a
stop request leaves the job InProgress), ``log_delay`` (the log stream appears late),
``fail_images`` (the image cannot be pulled: the job fails at start), ``stop_delay`` (a stopping
job holds its instance that long). ``interrupt(name)`` plays a spot interruption: the container
is killed, the job goes through ``Interrupted`` (a secondary status transition, as SageMaker
reports it) and starts again on a fresh container that downloads the checkpoints from S3 and
logs to a new stream.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.logs.responses import LogsResponse
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

REGION = "us-east-1"
BUCKET = "synetune-tests"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/synetune-test:latest"
LOG_GROUP = "/aws/sagemaker/TrainingJobs"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class SageMakerError(ServiceException):
    """An error answer of the SageMaker API (serialised by moto with the SageMaker model)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class LogsError(ServiceException):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# the executor the shims talk to (one per test)
_current: FakeSageMaker | None = None


def install_shims() -> dict[tuple[type, str], Any]:
    """Wrap moto's handlers; returns the originals for ``remove_shims``. Installed already
    (another test module's server): nothing to do, since shims on shims would run every job
    twice."""
    if getattr(SageMakerResponse.create_training_job, "is_shim", False):
        return {}
    originals = {
        (SageMakerResponse, "create_training_job"): SageMakerResponse.create_training_job,
        (SageMakerResponse, "describe_training_job"): SageMakerResponse.describe_training_job,
        (SageMakerResponse, "stop_training_job"): getattr(
            SageMakerResponse, "stop_training_job", None
        ),
        (SageMakerResponse, "update_training_job"): getattr(
            SageMakerResponse, "update_training_job", None
        ),
        (LogsResponse, "get_log_events"): LogsResponse.get_log_events,
    }
    original_create = originals[(SageMakerResponse, "create_training_job")]
    original_describe = originals[(SageMakerResponse, "describe_training_job")]
    original_get_log_events = originals[(LogsResponse, "get_log_events")]

    def create_training_job(self: SageMakerResponse) -> Any:
        executor = _active()
        executor.maybe_throttle("CreateTrainingJob")
        name = self._get_param("TrainingJobName")
        with executor.lock:
            jobs = executor.jobs()
            if name in jobs:
                raise SageMakerError("ResourceInUse", f"Training job names must be unique: {name}")
            live = sum(
                1 for j in jobs.values() if j.training_job_status in ("InProgress", "Stopping")
            )
            if executor.quota is not None and live >= executor.quota:
                executor.rejected.append(name)
                raise SageMakerError(
                    "ResourceLimitExceeded",
                    f"The account-level service limit is {executor.quota} instances",
                )
            received = json.loads(self.body or "{}")
            result = original_create(self)
            job = jobs[name]
            job.training_job_status, job.secondary_status = "InProgress", "Starting"
            job.training_end_time = None
            job.environment = self._get_param("Environment") or {}
            job.st_input_channels = self._get_param("InputDataConfig") or []
            # everything moto received (before moto rewrote MetricDefinitions in place)
            executor.requests.append({"InputDataConfig": [], "Environment": {}, **received})
            executor.max_live = max(executor.max_live, live + 1)
        executor.launch(name)
        return result

    def describe_training_job(self: SageMakerResponse) -> Any:
        _active().maybe_throttle("DescribeTrainingJob")
        return original_describe(self)

    def stop_training_job(self: SageMakerResponse) -> Any:
        executor = _active()
        executor.maybe_throttle("StopTrainingJob")
        name = self._get_param("TrainingJobName")
        job = executor.jobs().get(name)
        if job is None:
            raise SageMakerError("ValidationException", f"Requested resource not found: {name}")
        if job.training_job_status not in ("InProgress", "Stopping"):
            raise SageMakerError(
                "ValidationException",
                f"The request was rejected because the training job is in status {job.training_job_status}.",
            )
        executor.stop_calls.append(name)
        if not executor.ignore_stop:
            job.training_job_status, job.secondary_status = "Stopping", "Stopping"
        return "{}"

    def update_training_job(self: SageMakerResponse) -> Any:
        executor = _active()
        name = self._get_param("TrainingJobName")
        job = executor.jobs()[name]
        keep_alive = (self._get_param("ResourceConfig") or {}).get("KeepAlivePeriodInSeconds")
        if keep_alive == 0 and getattr(job, "warm_pool_status", {}).get("Status") == "Available":
            job.warm_pool_status = {
                "Status": "Terminated",
                "ResourceRetainedBillableTimeInSeconds": 1,
            }
            executor.released.append(name)
            executor.drop_pool(name)
        return ActionResult({"TrainingJobArn": job.arn})

    def get_log_events(self: LogsResponse) -> Any:
        _active().maybe_throttle("GetLogEvents", LogsError)
        return original_get_log_events(self)

    create_training_job.is_shim = True  # type: ignore[attr-defined]
    SageMakerResponse.create_training_job = create_training_job
    SageMakerResponse.describe_training_job = describe_training_job
    SageMakerResponse.stop_training_job = stop_training_job
    SageMakerResponse.update_training_job = update_training_job
    LogsResponse.get_log_events = get_log_events
    return originals


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 with the shims installed; yields its endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    originals = install_shims()
    try:
        yield f"http://{host}:{port}"
    finally:
        remove_shims(originals)
        server.stop()


def remove_shims(originals: dict[tuple[type, str], Any]) -> None:
    for (cls, name), value in originals.items():
        if value is None:
            delattr(cls, name)
        else:
            setattr(cls, name, value)


def _active() -> FakeSageMaker:
    if _current is None:
        raise SageMakerError("InternalFailure", "no FakeSageMaker is running")
    return _current


class _JobLog:
    """Lines of one job waiting to be published to its CloudWatch stream."""

    def __init__(self, stream: str, due: float):
        self.stream = stream
        self.due = due  # when the stream may appear (log_delay)
        self.lines: list[tuple[int, str]] = []
        self.published = 0
        self.created = False
        self.lock = threading.Lock()


class FakeSageMaker:
    """Runs the training jobs created in moto (see the module docstring)."""

    def __init__(self, endpoint: str, workdir: Path, python: str = sys.executable):
        self.endpoint = endpoint
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.python = python
        self.backend = sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION]
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.s3 = session.client("s3", endpoint_url=endpoint)
        self.logs = session.client("logs", endpoint_url=endpoint)
        self.lock = threading.RLock()
        # knobs
        self.quota: int | None = None
        self.throttle: Counter[str] = Counter()
        self.ignore_stop = False
        self.log_delay = 0.0
        self.fail_images: set[str] = set()
        self.startup_delay = 0.05  # provisioning a fresh instance (a warm pool skips it)
        self.stop_delay = 0.0  # how long a job stays Stopping before its process is ended
        self.checkpoint_sync_interval = 0.0  # upload changed checkpoint files at every look
        # records
        self.requests: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self.throttled: Counter[str] = Counter()
        self.stop_calls: list[str] = []
        self.released: list[str] = []
        self.warm_reuses: list[tuple[str, str]] = []
        self.max_live = 0
        self._pools: dict[str, tuple[tuple, float]] = {}  # job -> (resource key, expiry)
        self._logs: dict[str, _JobLog] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._interrupts: set[str] = set()
        self.interrupted: list[str] = []
        self.logs.create_log_group(logGroupName=LOG_GROUP)
        self._publisher = threading.Thread(target=self._publish_forever, daemon=True)
        self._publisher.start()

    # ----------------------------------------------------------------- plumbing
    def jobs(self) -> dict[str, Any]:
        return self.backend.training_jobs

    def maybe_throttle(self, operation: str, error: type = SageMakerError) -> None:
        with self.lock:
            if self.throttle[operation] > 0:
                self.throttle[operation] -= 1
                self.throttled[operation] += 1
                raise error("ThrottlingException", "Rate exceeded")

    def launch(self, name: str) -> None:
        thread = threading.Thread(
            target=self._run_job, args=(name,), name=f"fake-{name}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def shutdown(self) -> None:
        self._closed.set()
        for proc in list(self._procs.values()):
            _kill_group(proc, signal.SIGKILL)
        for thread in self._threads:
            thread.join(timeout=10)
        self._publisher.join(timeout=5)

    def interrupt(self, name: str) -> None:
        """Reclaim the spot capacity of job ``name``: it restarts from its S3 checkpoints."""
        with self.lock:
            self._interrupts.add(name)

    def live_jobs(self) -> list[str]:
        return [
            n
            for n, j in list(self.jobs().items())
            if j.training_job_status in ("InProgress", "Stopping")
        ]

    def wait_idle(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.live_jobs():
            assert time.monotonic() < deadline, f"jobs still live: {self.live_jobs()}"
            time.sleep(0.05)

    def log_lines(self, name: str) -> list[str]:
        log = self._logs.get(name)
        return [line for _, line in log.lines] if log else []

    # ----------------------------------------------------------------- warm pools
    @staticmethod
    def _resource_key(job: Any) -> tuple:
        rc = job.resource_config
        return (rc["InstanceType"], rc["InstanceCount"], rc.get("VolumeSizeInGB"), job.role_arn)

    def _take_pool(self, job: Any) -> bool:
        if not job.resource_config.get("KeepAlivePeriodInSeconds"):
            return False
        key = self._resource_key(job)
        with self.lock:
            for old, (pool_key, expiry) in list(self._pools.items()):
                if pool_key == key and expiry > time.monotonic():
                    del self._pools[old]
                    self.jobs()[old].warm_pool_status = {
                        "Status": "Reused",
                        "ResourceRetainedBillableTimeInSeconds": 1,
                        "ReusedByJob": job.training_job_name,
                    }
                    self.warm_reuses.append((old, job.training_job_name))
                    return True
        return False

    def drop_pool(self, name: str) -> None:
        with self.lock:
            self._pools.pop(name, None)

    # ----------------------------------------------------------------- logs
    def _log(self, name: str, line: str) -> None:
        log = self._logs[name]
        with log.lock:
            log.lines.append((int(time.time() * 1000), line.rstrip("\n")))

    def _publish(self, log: _JobLog) -> None:
        with log.lock:
            if time.monotonic() < log.due or log.published >= len(log.lines):
                return
            if not log.created:
                self.logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=log.stream)
                log.created = True
            batch = log.lines[log.published :]
            self.logs.put_log_events(
                logGroupName=LOG_GROUP,
                logStreamName=log.stream,
                logEvents=[{"timestamp": t, "message": m} for t, m in batch],
            )
            log.published += len(batch)

    def _publish_forever(self) -> None:
        while not self._closed.wait(0.03):
            for log in list(self._logs.values()):
                try:
                    self._publish(log)
                except Exception as err:  # keep publishing the others
                    print(f"fake sagemaker: publishing logs failed: {err}", file=sys.stderr)

    # ----------------------------------------------------------------- S3
    def _download(self, uri: str, folder: Path) -> None:
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        prefix = prefix.rstrip("/") + "/"
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                target = folder / obj["Key"][len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                self.s3.download_file(bucket, obj["Key"], str(target))

    def _upload(self, folder: Path, uri: str, seen: dict[str, tuple]) -> None:
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            if seen.get(relative) != signature:
                try:
                    self.s3.upload_file(str(path), bucket, prefix.rstrip("/") + "/" + relative)
                except FileNotFoundError:
                    continue
                seen[relative] = signature

    # ----------------------------------------------------------------- one job
    def _end(
        self, job: Any, status: str, reason: str | None = None, secondary: str | None = None
    ) -> None:
        now = time.time()
        from datetime import datetime

        job.training_end_time = datetime.now(UTC)
        start = getattr(job, "_started_at", now)
        job.billable_time_in_seconds = max(1, math.ceil(now - start))
        if reason:
            job.failure_reason = reason
        keep_alive = job.resource_config.get("KeepAlivePeriodInSeconds")
        if keep_alive:
            job.warm_pool_status = {
                "Status": "Available",
                "ResourceRetainedBillableTimeInSeconds": 0,
            }
            with self.lock:
                self._pools[job.training_job_name] = (
                    self._resource_key(job),
                    time.monotonic() + keep_alive,
                )
        job.secondary_status = secondary or status
        job.training_job_status = status

    def _run_job(self, name: str) -> None:
        job = self.jobs()[name]
        for restart in range(10):
            if not self._run_container(name, job, restart):
                return

    def _run_container(self, name: str, job: Any, restart: int) -> bool:
        """One container of job ``name``; True if spot interrupted it (it starts again)."""
        from datetime import datetime

        folder = self.workdir / name
        code, checkpoints = folder / "code", folder / "checkpoints"
        shutil.rmtree(folder, ignore_errors=True)  # every job starts on a fresh container
        checkpoints.mkdir(parents=True, exist_ok=True)
        code.mkdir(parents=True, exist_ok=True)
        stream = f"{name}/algo-1-{int(time.time()) + restart}"
        if restart:
            self._publish(self._logs[name])  # the old container's last lines
        self._logs[name] = _JobLog(stream, time.monotonic() + self.log_delay)
        try:
            if restart or not self._take_pool(job):
                time.sleep(self.startup_delay)
            image = job.algorithm_specification["TrainingImage"]
            if image in self.fail_images:
                self._end(
                    job, "Failed", f"ClientError: Cannot pull the training image {image}: not found"
                )
                return False
            job.secondary_status = "Downloading"
            hyperparameters = dict(job.hyper_parameters or {})
            submit = hyperparameters.get("sagemaker_submit_directory", "")
            bucket, _, key = submit[len("s3://") :].partition("/")
            data = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                tar.extractall(code, filter="data")
            checkpoint_config = job.checkpoint_config or {}
            checkpoint_uri = checkpoint_config.get("S3Uri")
            local_path = checkpoint_config.get("LocalPath", "/opt/ml/checkpoints")
            if checkpoint_uri:
                self._download(checkpoint_uri, checkpoints)
            inputs = folder / "input" / "data"  # stands for /opt/ml/input/data
            for channel in getattr(job, "st_input_channels", None) or []:
                uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
                self._download(uri, inputs / channel["ChannelName"])
            program = hyperparameters.get("sagemaker_program", "")
            if not (code / program).is_file():
                self._end(
                    job,
                    "Failed",
                    f"AlgorithmError: can't open file {program!r}: No such file or directory",
                )
                return False
            args: list[str] = []
            for key_, value in hyperparameters.items():
                if key_.startswith("sagemaker_"):
                    continue
                if value == local_path:
                    value = str(checkpoints)
                elif value.startswith("/opt/ml/input/data/"):
                    value = str(inputs / value[len("/opt/ml/input/data/") :])
                args += [f"--{key_}", _toolkit_value(value)]
            env = {
                **os.environ,
                **(getattr(job, "environment", None) or {}),
                **CREDENTIALS,
                "AWS_ENDPOINT_URL": self.endpoint,
                "PYTHONUNBUFFERED": "1",
                "SM_TRAINING_JOB_NAME": name,
            }
            job.secondary_status = "Training"
            job.training_start_time = datetime.now(UTC)
            job._started_at = time.time()
            proc = subprocess.Popen(
                [self.python, program, *args],
                cwd=code,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
            self._procs[name] = proc
            # the training toolkit logs the command first, so a job always has a log stream
            self._log(
                name,
                f"Invoking script with the following command: python {program} {' '.join(args)}",
            )
            tail: deque[str] = deque(maxlen=10)
            readers = [
                threading.Thread(target=self._pump, args=(name, proc.stdout, None), daemon=True),
                threading.Thread(target=self._pump, args=(name, proc.stderr, tail), daemon=True),
            ]
            for reader in readers:
                reader.start()
            seen: dict[str, tuple] = {}
            last_sync = time.monotonic()
            max_run = (job.stopping_condition or {}).get("MaxRuntimeInSeconds", 86400)
            stopped = None
            while proc.poll() is None:
                if job.training_job_status == "Stopping":
                    stopped = "Stopped"
                    time.sleep(self.stop_delay)
                elif time.time() - job._started_at > max_run:
                    stopped = "MaxRuntimeExceeded"
                elif self._closed.is_set():
                    stopped = "Stopped"
                elif name in self._interrupts:
                    stopped = "Interrupted"
                if stopped:
                    _kill_group(proc, signal.SIGTERM)
                    try:
                        proc.wait(timeout=2.0)
                    except subprocess.TimeoutExpired:
                        _kill_group(proc, signal.SIGKILL)
                        proc.wait()
                    break
                if checkpoint_uri and time.monotonic() - last_sync >= self.checkpoint_sync_interval:
                    self._upload(checkpoints, checkpoint_uri, seen)
                    last_sync = time.monotonic()
                time.sleep(0.02)
            for reader in readers:
                reader.join(timeout=5)
            job.secondary_status = "Uploading"
            if checkpoint_uri:
                self._upload(checkpoints, checkpoint_uri, seen)
            if self.log_delay <= 0:
                self._publish(self._logs[name])  # logs reach CloudWatch before the status changes
            if stopped == "Interrupted":
                with self.lock:
                    self._interrupts.discard(name)
                    self.interrupted.append(name)
                now = datetime.now(UTC)
                job.secondary_status = "Interrupted"
                job.secondary_status_transitions = [
                    *job.secondary_status_transitions,
                    {"Status": "Interrupted", "StartTime": now, "StatusMessage": "spot"},
                ]
                return True
            if stopped:
                self._end(job, "Stopped", secondary=stopped)
            elif proc.returncode == 0:
                self._end(job, "Completed")
            else:
                message = "\n".join(tail)
                self._end(
                    job,
                    "Failed",
                    f'AlgorithmError: ExecuteUserScriptError:\nExitCode {proc.returncode}\nErrorMessage "{message}"',
                )
        except Exception as err:  # a bug here must show up as a failed job, not a hang
            self._end(job, "Failed", f"InternalServerError: the fake executor failed: {err!r}")
        finally:
            self._procs.pop(name, None)
        return False

    def _pump(self, name: str, pipe: Any, tail: deque[str] | None) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode(errors="replace")
            self._log(name, line)
            if tail is not None:
                tail.append(line.rstrip("\n"))
        pipe.close()


def _toolkit_value(value: str) -> str:
    """What the framework containers' training toolkit passes on: a hyperparameter that is JSON
    (as the SDK encodes a Framework's hyperparameters) is decoded, anything else stays as is."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else str(decoded)


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reset_moto(endpoint: str) -> None:
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    ).read()


def set_current(executor: FakeSageMaker | None) -> None:
    global _current
    _current = executor
