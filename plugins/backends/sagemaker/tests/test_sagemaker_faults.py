"""Bad input and faults: clear errors or retries, failed trials with reasons, never a hang."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sagemaker_executor import BUCKET, IMAGE, ROLE
from synetune_plugin_sagemaker.aws import AwsSetupError
from synetune_plugin_sagemaker.backend import SageMakerBackend

from synetune import StoppingCriterion, Tuner
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.testing import CONTRACT_SCRIPT, run_to_end, wait_for
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion

# moto warns that SageMaker's API model lists no ThrottlingException; AWS sends it anyway
pytestmark = pytest.mark.filterwarnings("ignore:.*ThrottlingException does not match")


def _backend_args(**kwargs: Any) -> dict[str, Any]:
    args = {"role": ROLE, "image_uri": IMAGE, "s3_path": f"s3://{BUCKET}/syne-tune"}
    args.update(kwargs)
    return args


def test_missing_credentials_are_named(aws_env, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AwsSetupError, match="AWS_ACCESS_KEY_ID"):
        SageMakerBackend(CONTRACT_SCRIPT, **_backend_args())


def test_missing_region_is_named(aws_env, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsSetupError, match="region_name"):
        SageMakerBackend(CONTRACT_SCRIPT, **_backend_args())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": None}, "role is missing"),
        ({"role": "SageMakerRole"}, "not an IAM role ARN"),
        ({"image_uri": None}, "image_uri is missing"),
        ({"s3_path": "my-bucket/prefix"}, "s3_path='my-bucket/prefix' is not an S3 URI"),
        ({"instance_count": 0}, "instance_count must be at least 1"),
        ({"keep_alive_period_in_seconds": 7200}, "keep_alive_period_in_seconds"),
        ({"max_concurrent_jobs": 0}, "max_concurrent_jobs"),
        ({"dependencies": ["/no/such/folder"]}, "dependency '/no/such/folder' does not exist"),
    ],
)
def test_bad_arguments_are_named(aws_env, kwargs, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        SageMakerBackend(CONTRACT_SCRIPT, **_backend_args(**kwargs))


def test_missing_entry_point(aws_env, tmp_path):
    with pytest.raises(FileNotFoundError, match="entry_point"):
        SageMakerBackend(str(tmp_path / "nope.py"), **_backend_args())


def test_missing_bucket_fails_before_any_trial(make_backend, sagemaker, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    backend = make_backend(CONTRACT_SCRIPT, s3_path="s3://no-such-bucket/syne-tune")
    with pytest.raises(AwsSetupError, match="no-such-bucket.*does not exist"):
        backend.set_path(tmp_path / "t")
    tuner = Tuner(
        trial_backend=backend,
        scheduler=_Fixed([{"epochs": 1}]),
        stop_criterion=StoppingCriterion(max_wallclock_time=30),
        n_workers=1,
        tuner_name="no-bucket",
        verbose="quiet",
    )
    with pytest.raises(AwsSetupError, match="does not exist"):
        tuner.run()
    assert sagemaker.requests == []


def test_job_failing_at_start_fails_its_trial_with_the_reason(make_backend, sagemaker, tmp_path):
    sagemaker.fail_images.add(IMAGE)
    backend = make_backend(CONTRACT_SCRIPT)
    backend.set_path(tmp_path / "t")
    trial = backend.start_trial({"epochs": 2})
    run_to_end(backend, [trial.trial_id])
    assert backend.status[trial.trial_id] == TrialStatus.FAILED
    assert "Cannot pull the training image" in backend.errors[trial.trial_id]
    assert "t-0 failed" in backend.errors[trial.trial_id]


def test_create_rejected_fails_the_trial_with_the_reason(make_backend, sagemaker, tmp_path):
    backend = make_backend(CONTRACT_SCRIPT)
    backend.set_path(tmp_path / "t")
    trial = backend.start_trial({"epochs": 2, "x": "v" * 3000})
    run_to_end(backend, [trial.trial_id])
    assert backend.status[trial.trial_id] == TrialStatus.FAILED
    assert "at most 2500" in backend.errors[trial.trial_id]
    assert sagemaker.requests == []


def test_throttling_is_retried_with_backoff(make_backend, sagemaker, tmp_path):
    """Syne Tune issue 339: throttled API calls must not end the tuning."""
    sagemaker.throttle.update(
        {"CreateTrainingJob": 1, "DescribeTrainingJob": 3, "GetLogEvents": 2, "StopTrainingJob": 1}
    )
    backend = make_backend(CONTRACT_SCRIPT)  # botocore itself does not retry (max_attempts=1)
    backend.set_path(tmp_path / "t")
    first = backend.start_trial({"epochs": 3})
    second = backend.start_trial({"epochs": 1000, "sleep": 0.1})
    results = run_to_end(backend, [first.trial_id])
    assert [r["epoch"] for t, r in results if t == first.trial_id] == [1, 2, 3]
    assert backend.status[first.trial_id] == TrialStatus.COMPLETED
    backend.stop_trial(second.trial_id)
    sagemaker.wait_idle()
    assert sagemaker.throttled == {
        "CreateTrainingJob": 1,
        "DescribeTrainingJob": 3,
        "GetLogEvents": 2,
        "StopTrainingJob": 1,
    }
    assert sagemaker.stop_calls == [backend.job_names(second.trial_id)[0]]


def test_late_log_stream_still_delivers_every_result(make_backend, sagemaker, tmp_path):
    sagemaker.log_delay = 1.0  # the job completes before its log stream exists
    backend = make_backend(CONTRACT_SCRIPT)
    backend.set_path(tmp_path / "t")
    trial = backend.start_trial({"epochs": 3})
    results = run_to_end(backend, [trial.trial_id])
    assert backend.status[trial.trial_id] == TrialStatus.COMPLETED
    assert [r["epoch"] for _, r in results] == [1, 2, 3]


def test_log_stream_that_never_appears_fails_the_trial(make_backend, sagemaker, tmp_path):
    sagemaker.log_delay = 60.0
    backend = make_backend(CONTRACT_SCRIPT, log_timeout=0.5)
    backend.set_path(tmp_path / "t")
    trial = backend.start_trial({"epochs": 1})
    run_to_end(backend, [trial.trial_id])
    assert backend.status[trial.trial_id] == TrialStatus.FAILED
    assert "no metrics got observed" in backend.errors[trial.trial_id]


def test_job_stuck_after_stop_request_fails_the_trial_after_stop_timeout(
    make_backend, sagemaker, tmp_path
):
    sagemaker.ignore_stop = True  # StopTrainingJob is answered, the job goes on
    backend = make_backend(CONTRACT_SCRIPT, stop_timeout=1.0)
    backend.set_path(tmp_path / "t")
    stopped = backend.start_trial({"epochs": 100, "sleep": 0.1})
    paused = backend.start_trial({"epochs": 100, "sleep": 0.1})
    wait_for(lambda: all(backend.num_results[t] > 0 for t in (0, 1)), what="first results")
    backend.stop_trial(stopped.trial_id)
    backend.pause_trial(paused.trial_id)
    backend.resume_trial(paused.trial_id)
    assert dict(backend.busy_trial_ids()) == {0: TrialStatus.STOPPING, 1: TrialStatus.IN_PROGRESS}
    run_to_end(backend, [paused.trial_id], timeout=10)
    assert backend.status[paused.trial_id] == TrialStatus.FAILED
    assert "did not stop" in backend.errors[paused.trial_id]
    wait_for(lambda: backend.status[stopped.trial_id] == TrialStatus.FAILED, timeout=5)
    assert "after StopTrainingJob" in backend.errors[stopped.trial_id]
    assert backend.busy_trial_ids() == []
    assert len(backend.job_names(paused.trial_id)) == 1  # no second job next to the stuck one


class _Fixed(Scheduler):
    """Runs the given configs; stops trial 0 at its first result."""

    def __init__(self, configs: list[dict[str, Any]]):
        super().__init__()
        self.configs = list(configs)

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        return TrialSuggestion.start_suggestion(self.configs.pop(0)) if self.configs else None

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        return SchedulerDecision.STOP if trial.trial_id == 0 else SchedulerDecision.CONTINUE

    def metric_names(self) -> list[str]:
        return ["loss"]

    def metric_mode(self) -> str:
        return "min"


def test_tuner_goes_on_when_a_stopped_job_never_stops(
    make_backend, sagemaker, tmp_path, monkeypatch
):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    sagemaker.ignore_stop = True
    backend = make_backend(CONTRACT_SCRIPT, stop_timeout=1.0, close_timeout=2.0)
    tuner = Tuner(
        trial_backend=backend,
        scheduler=_Fixed([{"epochs": 100, "sleep": 0.1}, {"epochs": 2}]),
        stop_criterion=StoppingCriterion(max_wallclock_time=60),
        n_workers=1,
        start_jobs_without_delay=False,  # the stuck job holds the only worker until it times out
        tuner_name="stuck",
        sleep_time=0.1,
        verbose="quiet",
    )
    start = time.monotonic()
    tuner.run()
    assert time.monotonic() - start < 30
    assert backend.status == {0: TrialStatus.FAILED, 1: TrialStatus.COMPLETED}
    assert "after StopTrainingJob" in backend.errors[0]
