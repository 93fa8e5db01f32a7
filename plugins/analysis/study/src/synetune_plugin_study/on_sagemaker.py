"""``--executor sagemaker``: each combination as one SageMaker training job.

A job is started through the sagemaker plugin's ``RemoteLauncher`` with a small launcher
script (``JOB_SCRIPT``) and a copy of the study file: in the job, ``synetune_remote_main.py``
points ``$SYNETUNE_FOLDER`` at a local folder, the script runs the same ``run_task`` the local
workers run, and the launcher's sync uploads the experiment folder (with its ``study.json``
marker) to ``<s3_path>/<tuner-name>/``. The runner waits on each job in a thread of its own
(``RemoteLauncher.run(wait=True)``, which also waits out ``ResourceLimitExceeded``), then
downloads the finished experiment into ``$SYNETUNE_FOLDER``, so everything local (the report,
``load_experiment``) sees it.

Resuming: a combination whose finished experiment is in ``$SYNETUNE_FOLDER`` or in S3 is
skipped; one with a job still running (a runner killed earlier) is waited on, not started
twice; any other starts over in a new job (an interrupted S3 copy is not resumed: the job's
machine is gone).
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from synetune_plugin_study.study import Combination, Study, StudyError

# keys of a study file's [sagemaker] table, and of run_study(sagemaker=...)
KEYS = {
    "role",
    "instance_type",
    "image_uri",
    "s3_path",
    "region_name",
    "profile_name",
    "endpoint_url",
    "environment",
    "max_run",
    "sync_interval",
    "poll_interval",
}
ENV = {
    "role": "SYNETUNE_SAGEMAKER_ROLE",
    "image_uri": "SYNETUNE_SAGEMAKER_IMAGE",
    "s3_path": "SYNETUNE_S3_PATH",
}
DEFAULTS = {"instance_type": "ml.m5.large", "poll_interval": 30.0, "sync_interval": 60.0}
DEFAULT_PARALLEL = 8
JOB_SCRIPT = "synetune_study_job.py"
# the launcher script of a job: one combination, through the local workers' run_task; a failed
# run fails the job (its error ends up in the job's FailureReason)
_SCRIPT = """\
import json
import sys
from pathlib import Path

from synetune_plugin_study.worker import run_task

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
task = {
    "method": args["--method"],
    "benchmark": args["--benchmark"],
    "seed": int(args["--seed"]),
    "state": "missing",
}
answer = run_task(str(Path(__file__).resolve().parent / args["--study-file"]), task)
print("synetune study:", json.dumps(answer, default=str), flush=True)
if answer.get("status") != "finished":
    print(f"synetune study: {answer['name']} failed: {answer.get('error')}", file=sys.stderr)
    raise SystemExit(1)
"""


def plugin() -> Any:
    try:
        import synetune_plugin_sagemaker
    except ImportError:
        raise StudyError(
            "--executor sagemaker needs the sagemaker plugin: "
            "pip install 'synetune-plugin-study[sagemaker]'"
        ) from None
    return synetune_plugin_sagemaker


def resolve_options(study: Study, given: dict[str, Any] | None) -> dict[str, Any]:
    """The job settings: ``given`` (the command line) over the study file's ``[sagemaker]``
    table over ``$SYNETUNE_SAGEMAKER_ROLE``/``_IMAGE`` and ``$SYNETUNE_S3_PATH``; errors before
    anything runs when the role is missing or a setting is unknown."""
    given = {k: v for k, v in (given or {}).items() if v is not None}
    unknown = sorted(set(given) - KEYS)
    if unknown:
        raise StudyError(f"unknown SageMaker option(s) {unknown}; known: {sorted(KEYS)}")
    options: dict[str, Any] = dict(DEFAULTS)
    options.update({k: os.environ[v] for k, v in ENV.items() if os.environ.get(v)})
    options.update(study.sagemaker)
    options.update(given)
    if not options.get("role"):
        raise StudyError(
            "--executor sagemaker needs the IAM role the jobs run as: pass --role "
            "arn:aws:iam::<account>:role/<name>, set role in the study file's [sagemaker] "
            "table, or set $SYNETUNE_SAGEMAKER_ROLE"
        )
    scripts = sorted(n for n, b in study.benchmarks.items() if b.script is not None)
    if scripts:
        raise StudyError(
            f"--executor sagemaker runs blackbox benchmarks only; {scripts} run a training "
            "script of this machine: use --executor local or ray for them (--benchmark ...)"
        )
    return options


def _aws(options: dict[str, Any]) -> dict[str, Any]:
    return {k: options.get(k) for k in ("endpoint_url", "region_name", "profile_name")}


def job_prefix(combo: Combination) -> str:
    """The start of the names of a combination's jobs (a timestamp follows)."""
    name = combo.tuner_name
    return f"{name[:40].rstrip('-')}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"


def _job_name(combo: Combination, count: int) -> str:
    stamp = int(time.time() * 1000) * 100 + count % 100
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while stamp:
        stamp, rest = divmod(stamp, 36)
        text = digits[rest] + text
    return f"{job_prefix(combo)}-{text}"


def fetch_from_s3(combo: Combination, options: dict[str, Any], scratch: Path) -> str:
    """The state of the combination's copy in S3 (``missing`` when there is none); a finished
    one is moved into ``$SYNETUNE_FOLDER`` (whose copy is not finished: callers check first).
    Raises ``StudyError`` when the S3 copy ran with other settings."""
    try:
        plugin().download_experiment(
            combo.tuner_name, s3_path=options.get("s3_path"), root=scratch, **_aws(options)
        )
    except FileNotFoundError:
        return "missing"
    state = combo.state(scratch)
    if state == "finished":
        target = combo.folder()
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(combo.folder(scratch)), str(target))
    return state


def _client(options: dict[str, Any]) -> Any:
    import boto3  # a dependency of the sagemaker plugin

    session = boto3.session.Session(
        region_name=options.get("region_name"), profile_name=options.get("profile_name")
    )
    return session.client("sagemaker", endpoint_url=options.get("endpoint_url"))


def live_jobs(options: dict[str, Any], combos: list[Combination]) -> dict[str, str]:
    """tuner name -> a job of that combination still running (started by an earlier runner).
    One listing per status for all combinations: their job names share a prefix."""
    sm = _client(options)
    prefixes = {job_prefix(c) + "-": c.tuner_name for c in combos}
    common = os.path.commonprefix(list(prefixes))
    found: dict[str, str] = {}
    for status in ("InProgress", "Stopping"):
        kwargs: dict[str, Any] = {"NameContains": common, "StatusEquals": status}
        while True:
            answer = sm.list_training_jobs(**kwargs)
            for job in answer.get("TrainingJobSummaries", []):
                name = job["TrainingJobName"]
                for prefix, tuner_name in prefixes.items():
                    if name.startswith(prefix):
                        found.setdefault(tuner_name, name)
            if not answer.get("NextToken"):
                break
            kwargs["NextToken"] = answer["NextToken"]
    return found


def _wait_live(options: dict[str, Any], name: str, poll: float) -> Any:
    """Follow a job an earlier runner started until it ended."""
    sm = _client(options)
    while True:
        answer = sm.describe_training_job(TrainingJobName=name)
        if answer["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return SimpleNamespace(
                name=name,
                status=answer["TrainingJobStatus"],
                failure_reason=answer.get("FailureReason"),
            )
        time.sleep(poll)


def _stop(options: dict[str, Any], names: list[str]) -> None:
    """Best effort: the runner is interrupted, its jobs would go on billing otherwise."""
    sm = _client(options)
    for name in names:
        try:
            sm.stop_training_job(TrainingJobName=name)
        except Exception:  # noqa: S112 - already ended, or no permission: nothing more to do
            continue


def plan(
    states: list[tuple[Combination, str]], options: dict[str, Any]
) -> tuple[list[Combination], dict[str, str]]:
    """Before any job starts: (combinations to run, jobs still running from an earlier runner).
    Reads S3 for every combination that is not finished here."""
    todo = []
    with tempfile.TemporaryDirectory(prefix="synetune-study-s3-") as scratch:
        for combo, state in states:
            try:
                remote = (
                    "missing"
                    if state == "finished"
                    else fetch_from_s3(combo, options, Path(scratch))
                )
            except StudyError:
                raise
            except ValueError as err:  # no credentials or region, no such bucket
                raise StudyError(f"--executor sagemaker: {err}") from None
            if "finished" not in (state, remote):
                todo.append(combo)
    return todo, live_jobs(options, todo) if todo else {}


def _launcher(study: Study, combo: Combination, code: Path, options: dict[str, Any], n: int):
    return plugin().RemoteLauncher(
        entry_point=str(code / JOB_SCRIPT),
        launcher_args=[
            "--study-file",
            study.path.name,
            "--method",
            combo.method,
            "--benchmark",
            combo.benchmark,
            "--seed",
            str(combo.seed),
        ],
        role=options["role"],
        instance_type=options["instance_type"],
        image_uri=options.get("image_uri"),
        s3_path=options.get("s3_path"),
        sync_interval=float(options["sync_interval"]),
        environment=options.get("environment"),
        max_run=int(options.get("max_run") or 3 * 24 * 3600),
        job_name=_job_name(combo, n),
        **_aws(options),
    )


def run_on_sagemaker(
    study: Study,
    todo: list[Combination],
    live: dict[str, str],
    options: dict[str, Any],
    max_parallel: int | None,
    tracker: Any,
) -> None:
    """Start a job per combination (at most ``max_parallel`` at once), wait for them, and bring
    each finished experiment into ``$SYNETUNE_FOLDER``."""
    assert study.path is not None
    parallel = max(1, min(max_parallel or DEFAULT_PARALLEL, len(todo)))
    tracker.parallel = parallel
    events: queue.Queue = queue.Queue()
    waiting = deque(todo)
    running: dict[str, str] = {}  # tuner name -> job name
    poll = float(options["poll_interval"])
    with tempfile.TemporaryDirectory(prefix="synetune-study-job-") as tmp:
        code = Path(tmp)
        (code / JOB_SCRIPT).write_text(_SCRIPT)
        shutil.copy(study.path, code / study.path.name)
        try:  # every job's settings are checked before the first one starts
            launchers = [_launcher(study, c, code, options, i) for i, c in enumerate(todo)]
        except (ValueError, OSError) as err:
            raise StudyError(f"--executor sagemaker: {err}") from None
        by_name = {c.tuner_name: launcher for c, launcher in zip(todo, launchers, strict=True)}

        cancelled = threading.Event()
        launching: dict[str, threading.Thread] = {}  # tuner name -> thread creating its job

        def follow(combo: Combination) -> None:
            launcher = by_name[combo.tuner_name]
            try:
                if combo.tuner_name in live:  # started by an earlier runner: wait, do not rerun
                    job = _wait_live(options, live[combo.tuner_name], poll)
                else:
                    job = launcher.run(wait=False)  # waits out ResourceLimitExceeded
                    launching.pop(combo.tuner_name, None)
                    if cancelled.is_set():  # the runner was interrupted while this started
                        _stop(options, [job.name])
                        return
                    launcher.wait(job, logs=False, poll_interval=poll)
                events.put((combo, _collect(combo, job, options)))
            except Exception as err:
                events.put((combo, {"error": f"{type(err).__name__}: {err}"}))
            finally:
                launching.pop(combo.tuner_name, None)

        try:
            while waiting or running:
                while waiting and len(running) < parallel:
                    combo = waiting.popleft()
                    tracker.start(combo)
                    running[combo.tuner_name] = live.get(
                        combo.tuner_name, by_name[combo.tuner_name].job_name
                    )
                    thread = threading.Thread(target=follow, args=(combo,), daemon=True)
                    launching[combo.tuner_name] = thread
                    thread.start()
                tracker.line(len(running), len(waiting))
                try:
                    combo, answer = events.get(timeout=1.0)
                except queue.Empty:
                    continue
                running.pop(combo.tuner_name, None)
                tracker.answer(combo.tuner_name, answer)
        except BaseException:
            # interrupted: no job of this runner may go on (they bill, and a rerun would wait
            # for them); one being created is stopped by its thread once CreateTrainingJob
            # returned (waited for here, up to a minute)
            cancelled.set()
            deadline = time.monotonic() + 60.0
            for thread in list(launching.values()):
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            _stop(options, list(running.values()))
            raise


def _collect(combo: Combination, job: Any, options: dict[str, Any]) -> dict[str, Any]:
    """What a job that ended left: its experiment, downloaded here, and its marker."""
    import json

    with tempfile.TemporaryDirectory(prefix="synetune-study-s3-") as scratch:
        try:
            state = fetch_from_s3(combo, options, Path(scratch))
        except StudyError as err:
            return {"error": str(err)}
        if state == "finished":
            return json.loads((combo.folder() / "study.json").read_text())
        marker = combo.folder(Path(scratch)) / "study.json"
        error = json.loads(marker.read_text()).get("error") if marker.exists() else None
    reason = error or job.failure_reason or "its experiment did not finish"
    return {"error": f"SageMaker job {job.name} ended {job.status}: {reason}"}
