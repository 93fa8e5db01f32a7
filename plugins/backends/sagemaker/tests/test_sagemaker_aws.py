"""Opt-in: a short tuning on a real AWS account (costs a few cents; about 10 minutes).

Runs only with ``SYNETUNE_AWS_TESTS=1``, AWS credentials and region, and
``SYNETUNE_SAGEMAKER_ROLE`` (an IAM role SageMaker can assume, with S3 and CloudWatch Logs
access) and ``SYNETUNE_S3_PATH`` (``s3://<existing bucket>/<prefix>``)::

    SYNETUNE_AWS_TESTS=1 SYNETUNE_SAGEMAKER_ROLE=arn:aws:iam::<account>:role/<name> \\
    SYNETUNE_S3_PATH=s3://<bucket>/synetune-tests AWS_DEFAULT_REGION=us-east-1 \\
    pytest plugins/backends/sagemaker/tests/test_sagemaker_aws.py

Two trials of a standard-library script run as PyTorch (SDK v2) spot jobs on ml.m5.large; the
test checks their results and what SageMaker recorded for the jobs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TRAIN = """
import argparse, json, time
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--epochs", type=int)
parser.add_argument("--batch_size", type=int)
args, _ = parser.parse_known_args()
for epoch in range(1, args.epochs + 1):
    time.sleep(1)
    print("[tune-metric]: " + json.dumps(
        {"epoch": epoch, "loss": args.x / epoch, "batch_size": args.batch_size,
         "st_worker_timestamp": time.time()}), flush=True)
"""


def _aws_ready() -> str | None:
    if os.environ.get("SYNETUNE_AWS_TESTS") != "1":
        return "set SYNETUNE_AWS_TESTS=1 to run tests on a real AWS account"
    for name in ("SYNETUNE_SAGEMAKER_ROLE", "SYNETUNE_S3_PATH"):
        if not os.environ.get(name):
            return f"{name} is not set"
    import boto3

    if boto3.session.Session().get_credentials() is None:
        return "no AWS credentials"
    return None


pytestmark = pytest.mark.skipif(_aws_ready() is not None, reason=str(_aws_ready()))


def test_pytorch_spot_estimator_tunes_on_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import sagemaker
    from sagemaker.pytorch import PyTorch

    import synetune
    from synetune import StoppingCriterion, Tuner, load_experiment
    from synetune_sdk.config_space import uniform

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(TRAIN)
    estimator = PyTorch(
        entry_point="train.py",
        source_dir=str(code),
        role=os.environ["SYNETUNE_SAGEMAKER_ROLE"],
        instance_type="ml.m5.large",
        instance_count=1,
        framework_version="2.1.0",
        py_version="py310",
        use_spot_instances=True,
        max_run=1800,
        max_wait=3600,
        hyperparameters={"batch_size": 16},
        tags=[{"Key": "synetune-test", "Value": "aws"}],
        sagemaker_session=sagemaker.Session(),
    )
    backend = synetune.backends.create(
        "sagemaker", sm_estimator=estimator, s3_path=os.environ["SYNETUNE_S3_PATH"]
    )
    scheduler = synetune.schedulers.create(
        "random_search",
        config_space={"x": uniform(0.0, 1.0), "epochs": 2},
        metric="loss",
        mode="min",
        random_seed=0,
    )
    Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=2, max_wallclock_time=1800),
        n_workers=2,
        tuner_name="synetune-aws-test",
        verbose="quiet",
    ).run()
    df = load_experiment(backend.tuner_name).results
    assert sorted(df["epoch"].tolist()) == [1, 1, 2, 2]
    assert set(df["batch_size"]) == {16}
    client = backend._client("sagemaker")
    for trial_id in (0, 1):
        (name,) = backend.job_names(trial_id)
        described = client.describe_training_job(TrainingJobName=name)
        assert described["EnableManagedSpotTraining"] is True
        assert described["TrainingJobStatus"] == "Completed"
