"""Remote launching: run a whole tuning inside one SageMaker training job.

``RemoteLauncher(tuner=tuner, role=..., instance_type=..., dependencies=[...]).run()`` (Syne
Tune's form) pickles the ``Tuner`` and ships it with its trial backend's code (the entry point's
folder) and the dependency folders; ``RemoteLauncher(entry_point="launch_asha.py", ...)`` ships
a launcher script's folder instead. Either is uploaded to S3 and started as a training job that
runs ``synetune_remote_main.py`` (shipped with the code): it loads and runs the tuner (with its
paths moved to where the code lies in the job), or runs the launcher script. Inside the job the tuning
runs as it would locally (with the local backend, or with the SageMaker backend starting more
jobs), and every experiment folder it writes is synced regularly to
``<s3_path>/<tuner-name>/``: ``metadata.json``, ``events.jsonl``, ``results.csv.zip`` and
``tuner.dill``, plus the trials' ``std.out``/``std.err``/``config.json`` only with
``store_logs_localbackend=True``; checkpoints stay in the job.

``download_experiment(name, s3_path=...)`` brings such an experiment into ``$SYNETUNE_FOLDER``,
where ``synetune.load_experiment(name)`` reads it.
"""

from __future__ import annotations

import logging
import re
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from synetune_plugin_sagemaker import aws
from synetune_plugin_sagemaker.backend import LOG_GROUP, ROLE_PATTERN
from synetune_plugin_sagemaker.packaging import pack_code

logger = logging.getLogger(__name__)

REMOTE_MAIN = "synetune_remote_main.py"
TUNER_FILE = "synetune_tuner.dill"
# original path -> where it lies in the job's code folder (relative), for the pickled tuner
PATHS_FILE = "synetune_remote_paths.json"
# tuner names start with a letter or digit, so this folder never clashes with an experiment
REMOTE_FOLDER = "_synetune_remote"
_LOG_FILES = frozenset({"std.out", "std.err", "config.json"})


def experiment_file(relative: str, with_logs: bool) -> bool:
    """Whether a file of an experiment folder travels to or from S3 (never checkpoints)."""
    parts = relative.split("/")
    if len(parts) == 1:
        return not relative.endswith(".tmp")
    return with_logs and len(parts) == 2 and parts[0].isdigit() and parts[1] in _LOG_FILES


def sync_experiments(
    s3: Any,
    root: Path,
    s3_path: str,
    known: dict[str, dict[str, tuple[int, int]]],
    with_logs: bool = False,
) -> list[str]:
    """Upload what changed in every experiment folder under ``root`` to ``<s3_path>/<name>/``;
    returns the experiment names."""
    bucket, prefix = aws.parse_s3_uri(s3_path)
    names = []
    for folder in sorted(p for p in Path(root).iterdir() if (p / "metadata.json").is_file()):
        names.append(folder.name)
        aws.upload_folder(
            s3,
            folder,
            bucket,
            "/".join(p for p in (prefix, folder.name) if p),
            known.setdefault(folder.name, {}),
            include=lambda relative: experiment_file(relative, with_logs),
        )
    return names


def download_experiment(
    name: str,
    s3_path: str | None = None,
    bucket: str | None = None,
    root: str | Path | None = None,
    include_logs: bool = True,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    profile_name: str | None = None,
) -> Path:
    """Download experiment ``name`` from ``<s3_path>/<name>/`` (or ``s3://<bucket>/syne-tune``,
    default SageMaker's default bucket) into ``<root or $SYNETUNE_FOLDER>/<name>/``; returns
    the folder, which ``synetune.load_experiment`` then reads."""
    from synetune.plugin_api import experiment_path

    session = aws.make_session(region_name, profile_name)
    s3 = aws.make_client(session, "s3", endpoint_url)
    s3_path = _resolve_s3_path(s3_path, bucket, session, endpoint_url)
    bucket_name, prefix = aws.parse_s3_uri(s3_path)
    aws.check_bucket(s3, bucket_name)
    target = experiment_path(name, root)
    count = aws.download_prefix(
        s3,
        bucket_name,
        "/".join(p for p in (prefix, name) if p),
        target,
        include=lambda relative: experiment_file(relative, include_logs),
    )
    if count == 0 or not (target / "metadata.json").is_file():
        raise FileNotFoundError(
            f"no experiment {name!r} under {s3_path}/: check the tuner name (the remote job's log "
            "prints it) and s3_path"
        )
    return target


def fetch_experiment(name: str, root: str | Path | None = None) -> Path | None:
    """``download_experiment`` for a kernel hook that asks stores for a missing experiment:
    reads ``$SYNETUNE_S3_PATH`` (else SageMaker's default bucket); None if it is not there."""
    import os

    try:
        return download_experiment(name, s3_path=os.environ.get("SYNETUNE_S3_PATH"), root=root)
    except (FileNotFoundError, aws.AwsSetupError) as err:
        logger.info("experiment %r not fetched from S3: %s", name, err)
        return None


def _resolve_s3_path(
    s3_path: str | None, bucket: str | None, session: Any, endpoint_url: str | None
) -> str:
    if s3_path and bucket:
        raise ValueError("pass s3_path or bucket, not both")
    if s3_path:
        aws.parse_s3_uri(s3_path)
        return s3_path.rstrip("/")
    bucket = bucket or aws.default_bucket(session, endpoint_url)
    return f"s3://{bucket}/syne-tune"


@dataclass
class RemoteJob:
    """A remote tuning job as last seen: ``status`` is SageMaker's job status."""

    name: str
    s3_path: str
    status: str = "InProgress"
    failure_reason: str | None = None
    experiments: list[str] = field(default_factory=list)


class RemoteLauncher:
    """Run a tuning in a SageMaker training job: a ``Tuner`` (pickled, as Syne Tune's
    ``RemoteLauncher(tuner=...)`` does) or a launcher script that builds one and runs it.

    Args:
        tuner: the ``Tuner`` to run remotely (not run here). Its trial backend's entry point
            folder is shipped and its paths are moved to the job's copy; the experiment keeps
            the tuner's name.
        role: the IAM role ARN of the job.
        instance_type: the instance of the tuning job (the trials run there with the local
            backend, or elsewhere with the SageMaker backend).
        dependencies: more folders to ship (each under its own name, importable in the job).
        entry_point: instead of ``tuner``, a launcher script; its folder is packed with it.
        image_uri: the training image (it must have synetune and the plugins the tuning uses, or
            install them from ``requirements.txt``); default: the PyTorch training image the
            ``sagemaker`` SDK names for ``instance_type`` (the SDK must be installed for that).
        launcher_args: command-line arguments for the launcher script.
        s3_path: ``s3://<bucket>/<prefix>``; experiments land in ``<s3_path>/<tuner-name>/``.
        store_logs_localbackend: also sync the trials' ``std.out``/``std.err``/``config.json``.
        sync_interval: seconds between two uploads of the experiment folders.
        requirements: lines for the job's ``requirements.txt`` (added to the launcher folder's
            own); default: the synetune distributions installed here, pinned.
        resource_limit_timeout: how long ``run`` retries ``ResourceLimitExceeded`` (the
            account's instance quota is used up) with exponential backoff before giving up.
        environment, max_run, job_name, endpoint_url, region_name, profile_name: as for the
            SageMaker backend.
    """

    # first wait after ResourceLimitExceeded; doubled up to 5 minutes per wait
    quota_first_delay = 1.0

    def __init__(
        self,
        tuner: Any = None,
        role: str | None = None,
        instance_type: str = "ml.c5.4xlarge",
        dependencies: list[str] | None = None,
        entry_point: str | None = None,
        image_uri: str | None = None,
        launcher_args: list[str] | None = None,
        s3_path: str | None = None,
        store_logs_localbackend: bool = False,
        sync_interval: float = 30.0,
        requirements: list[str] | None = None,
        environment: dict[str, str] | None = None,
        max_run: int = 3 * 24 * 3600,
        job_name: str | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        profile_name: str | None = None,
        resource_limit_timeout: float = 3600.0,
    ):
        if (tuner is None) == (entry_point is None):
            raise ValueError(
                "pass tuner=<a Tuner> (it is pickled and run in the job) or entry_point=<a "
                "launcher script>, exactly one of them"
            )
        if tuner is not None and launcher_args:
            raise ValueError("launcher_args go to a launcher script: they need entry_point=")
        self.tuner = tuner
        self._tuner_code: Path | None = None
        if tuner is not None:
            self._tuner_code = _check_tuner(tuner)
            path = None
        else:
            path = Path(entry_point)
            if not path.is_file():
                raise FileNotFoundError(
                    f"entry_point {str(entry_point)!r} is not a file (looked in {path.resolve()}): "
                    "pass the launcher script that builds and runs the Tuner"
                )
        if not role:
            raise ValueError(
                "role is missing: pass role='arn:aws:iam::<account id>:role/<name>' (the IAM role "
                "the tuning job runs as)"
            )
        if not ROLE_PATTERN.match(role):
            raise ValueError(
                f"role={role!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
            )
        for dependency in dependencies or []:
            if not Path(dependency).exists():
                raise FileNotFoundError(f"dependency {dependency!r} does not exist")
        if s3_path is not None:
            aws.parse_s3_uri(s3_path)
        if sync_interval <= 0:
            raise ValueError(f"sync_interval must be positive, got {sync_interval}")
        if job_name is not None and not re.match(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", job_name):
            raise ValueError(
                f"job_name={job_name!r} is invalid: 1 to 63 letters, digits and dashes"
            )
        self._session = aws.make_session(region_name, profile_name)
        self.entry_point = path.resolve() if path is not None else None
        self.role = role
        self.instance_type = instance_type
        self.image_uri = image_uri or _default_image(self._session.region_name, instance_type)
        self.dependencies = [str(Path(d).resolve()) for d in dependencies or []]
        self.launcher_args = [str(a) for a in launcher_args or []]
        self.s3_path = s3_path.rstrip("/") if s3_path else None
        self.store_logs_localbackend = store_logs_localbackend
        self.sync_interval = float(sync_interval)
        self.requirements = requirements
        self.environment = {str(k): str(v) for k, v in (environment or {}).items()}
        self.max_run = int(max_run)
        self.job_name = job_name
        self.endpoint_url = endpoint_url
        self.region_name = region_name
        self.profile_name = profile_name
        self.resource_limit_timeout = float(resource_limit_timeout)

    def _client(self, service: str) -> Any:
        return aws.make_client(self._session, service, self.endpoint_url)

    def run(self, wait: bool = False, logs: bool = True, poll_interval: float = 10.0) -> RemoteJob:
        """Upload the code and start the job; with ``wait``, follow it to its end (printing its
        log with ``logs``)."""
        s3 = self._client("s3")
        s3_path = _resolve_s3_path(self.s3_path, None, self._session, self.endpoint_url)
        bucket, prefix = aws.parse_s3_uri(s3_path)
        aws.check_bucket(s3, bucket)
        stem = self.tuner.name if self.tuner is not None else self.entry_point.stem
        name = self.job_name or _job_name(stem)
        base = "/".join(p for p in (prefix, REMOTE_FOLDER, name) if p)
        with tempfile.TemporaryDirectory() as tmp:
            extra = {REMOTE_MAIN: Path(__file__).with_name("remote_main.py")}
            if self.tuner is not None:
                extra.update(_pack_tuner(self.tuner, self._tuner_code, self.dependencies, tmp))
                code_dir = self._tuner_code or Path(tmp) / "empty"
                code_dir.mkdir(exist_ok=True)
            else:
                code_dir = self.entry_point.parent
            tarball = pack_code(
                Path(tmp) / "sourcedir.tar.gz",
                code_dir,
                self.dependencies,
                extra_files=extra,
                requirements=self._requirements(),
            )
            key = f"{base}/sourcedir.tar.gz"
            aws.with_backoff(lambda: s3.upload_file(str(tarball), bucket, key), "upload code")
        hyperparameters = {
            "st_s3_path": s3_path,
            "st_store_logs": "1" if self.store_logs_localbackend else "0",
            "st_sync_interval": str(self.sync_interval),
            "st_job_name": name,
            "sagemaker_program": REMOTE_MAIN,
            "sagemaker_submit_directory": f"s3://{bucket}/{key}",
            "sagemaker_region": str(self._session.region_name),
        }
        if self.tuner is not None:
            hyperparameters["st_tuner"] = TUNER_FILE
        else:
            hyperparameters["st_launcher"] = self.entry_point.name
        if self.launcher_args:
            hyperparameters["st_launcher_args"] = shlex.join(self.launcher_args)
        sm = self._client("sagemaker")
        request = {
            "TrainingJobName": name,
            "AlgorithmSpecification": {
                "TrainingImage": self.image_uri,
                "TrainingInputMode": "File",
            },
            "RoleArn": self.role,
            "HyperParameters": hyperparameters,
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/{base}/output"},
            "ResourceConfig": {
                "InstanceType": self.instance_type,
                "InstanceCount": 1,
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_run},
            "Environment": {"PYTHONUNBUFFERED": "1", **self.environment},
            "Tags": [{"Key": "synetune-remote-launcher", "Value": stem}],
        }
        self._create_job(sm, request)
        logger.info("started remote tuning job %s", name)
        job = RemoteJob(name=name, s3_path=s3_path)
        if wait:
            self.wait(job, logs=logs, poll_interval=poll_interval)
        return job

    def _create_job(self, sm: Any, request: dict[str, Any]) -> None:
        """CreateTrainingJob; ``ResourceLimitExceeded`` (the instance quota is used up, e.g. by
        the trials of other tunings) is waited out with exponential backoff."""
        deadline = time.monotonic() + self.resource_limit_timeout
        delay = self.quota_first_delay
        while True:
            try:
                aws.with_backoff(lambda: sm.create_training_job(**request), "CreateTrainingJob")
                return
            except Exception as err:
                if aws.error_code(err) != "ResourceLimitExceeded":
                    raise
                if time.monotonic() + delay > deadline:
                    raise RuntimeError(
                        f"the remote tuning job {request['TrainingJobName']} could not start "
                        f"within resource_limit_timeout={self.resource_limit_timeout:.0f} s: "
                        f"{aws.error_message(err)} (raise the account's quota for "
                        f"{self.instance_type} or wait for running jobs to end)"
                    ) from None
                logger.warning("remote tuning job waits %.1f s: %s", delay, aws.error_message(err))
                time.sleep(delay)
                delay = min(300.0, delay * 2)

    def wait(self, job: RemoteJob, logs: bool = True, poll_interval: float = 10.0) -> RemoteJob:
        """Follow ``job`` until it ended; its status, failure reason and experiments are filled."""
        sm, cloudwatch = self._client("sagemaker"), self._client("logs")
        stream, token = None, None
        while True:
            description = aws.with_backoff(
                lambda: sm.describe_training_job(TrainingJobName=job.name), "DescribeTrainingJob"
            )
            job.status = description["TrainingJobStatus"]
            job.failure_reason = description.get("FailureReason")
            if logs:
                stream, token = _print_new_log_lines(cloudwatch, job.name, stream, token)
            if job.status in ("Completed", "Failed", "Stopped"):
                break
            time.sleep(poll_interval)
        job.experiments = self.experiments(job)
        return job

    def experiments(self, job: RemoteJob) -> list[str]:
        """Names of the experiments the job has synced so far."""
        import json

        bucket, prefix = aws.parse_s3_uri(job.s3_path)
        key = "/".join(p for p in (prefix, REMOTE_FOLDER, job.name, "experiments.json") if p)
        try:
            body = self._client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as err:
            if aws.error_code(err) in ("NoSuchKey", "404"):
                return []
            raise
        return list(json.loads(body))

    def _requirements(self) -> list[str]:
        if self.requirements is not None:
            return list(self.requirements)
        from importlib import metadata

        pinned = []
        for dist in metadata.distributions():
            name = dist.metadata.get("Name") or ""
            if name.startswith("synetune"):
                pinned.append(f"{name}=={dist.version}")
        return sorted(set(pinned))


def _check_tuner(tuner: Any) -> Path | None:
    """The folder of the tuner's trial code to ship (None: nothing to ship); errors for a
    tuner that cannot run remotely."""
    backend = getattr(tuner, "trial_backend", None)
    if backend is None or not hasattr(tuner, "run") or not hasattr(tuner, "name"):
        raise TypeError(f"tuner must be a synetune Tuner, got {type(tuner).__name__}")
    try:
        import dill

        dill.dumps(tuner)
    except Exception as err:
        raise ValueError(
            f"the tuner cannot be pickled for the remote job ({type(err).__name__}: {err}): "
            "use a StoppingCriterion and module-level functions instead of closures over "
            "unpicklable objects"
        ) from None
    entry = backend.entrypoint_path() if hasattr(backend, "entrypoint_path") else None
    if entry is not None and Path(entry).is_file():
        return Path(getattr(backend, "source_dir", None) or Path(entry).parent).resolve()
    return None


def _pack_tuner(
    tuner: Any, code: Path | None, dependencies: list[str], tmp: str
) -> dict[str, Path]:
    """The pickled tuner and the map from its paths to the job's copies, as extra files."""
    import json

    import dill

    paths = {str(Path(d).resolve()): Path(d).resolve().name for d in dependencies}
    if code is not None:
        paths[str(code)] = ""
    tuner_file, paths_file = Path(tmp) / TUNER_FILE, Path(tmp) / PATHS_FILE
    tuner_file.write_bytes(dill.dumps(tuner))
    paths_file.write_text(json.dumps(paths))
    return {TUNER_FILE: tuner_file, PATHS_FILE: paths_file}


def _default_image(region: str, instance_type: str) -> str:
    """The PyTorch training image the ``sagemaker`` SDK names (Syne Tune's default estimator)."""
    try:
        try:
            from sagemaker import image_uris  # v2
        except ImportError:
            from sagemaker.core import image_uris  # v3
        return str(
            image_uris.retrieve(
                "pytorch",
                region=region,
                version="2.1",
                py_version="py310",
                instance_type=instance_type,
                image_scope="training",
            )
        )
    except Exception as err:
        raise ValueError(
            "image_uri is missing: pass the training image that runs the tuning (the "
            "sagemaker SDK, which would name the PyTorch training image, is not usable here: "
            f"{type(err).__name__}: {err})"
        ) from None


def _job_name(stem: str) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d-%H-%M-%S-%f")[:-3]
    base = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9-]", "-", stem)).strip("-") or "tuning"
    base = f"st-remote-{base}"[: 62 - len(stamp)].rstrip("-")
    return f"{base}-{stamp}"


def _print_new_log_lines(
    logs: Any, job_name: str, stream: str | None, token: str | None
) -> tuple[str | None, str | None]:
    try:
        if stream is None:
            answer = logs.describe_log_streams(
                logGroupName=LOG_GROUP, logStreamNamePrefix=f"{job_name}/algo-1-"
            )
            streams = sorted(s["logStreamName"] for s in answer.get("logStreams", []))
            if not streams:
                return None, None
            stream = streams[0]
        while True:
            kwargs: dict[str, Any] = {
                "logGroupName": LOG_GROUP,
                "logStreamName": stream,
                "startFromHead": True,
            }
            if token:
                kwargs["nextToken"] = token
            answer = logs.get_log_events(**kwargs)
            for event in answer.get("events", []):
                print(event.get("message", "").rstrip("\n"), file=sys.stdout, flush=True)
            new = answer.get("nextForwardToken")
            if new is None or new == token:
                return stream, token
            token = new
    except Exception as err:  # logs are a courtesy: never fail the launch for them
        logger.info("reading the remote job's log failed: %s", err)
        return stream, token
