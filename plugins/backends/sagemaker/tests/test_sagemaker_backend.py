"""The SageMaker backend against moto on 127.0.0.1, with a fake SageMaker running the jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sagemaker_executor import BUCKET, IMAGE, ROLE

from synetune_sdk.testing import CONTRACT_SCRIPT, BackendContract, run_to_end, wait_for
from synetune_sdk.trial import TrialStatus


class TestSageMakerBackendContract(BackendContract):
    @pytest.fixture(autouse=True)
    def _maker(self, make_backend: Any) -> None:
        self._make = make_backend

    def make_backend(self, entry_point: str) -> Any:
        return self._make(entry_point)


def test_job_request_carries_config_checkpoints_and_code(make_backend, sagemaker, tmp_path):
    backend = make_backend(CONTRACT_SCRIPT, instance_type="ml.c5.xlarge", environment={"A": "1"})
    backend.set_path(tmp_path / "my-tuner")
    trial = backend.start_trial({"epochs": 2, "x": 0.25})
    results = run_to_end(backend, [trial.trial_id])

    assert backend.status[trial.trial_id] == TrialStatus.COMPLETED
    assert [r["epoch"] for _, r in results] == [1, 2]
    request = sagemaker.requests[0]
    assert request["TrainingJobName"] == "my-tuner-0"
    hp = request["HyperParameters"]
    assert hp["epochs"] == "2" and hp["x"] == "0.25"
    assert hp["st_checkpoint_dir"] == "/opt/ml/checkpoints"
    assert hp["sagemaker_program"] == Path(CONTRACT_SCRIPT).name
    assert (
        hp["sagemaker_submit_directory"]
        == f"s3://{BUCKET}/syne-tune/my-tuner/code/sourcedir.tar.gz"
    )
    assert request["CheckpointConfig"] == {
        "S3Uri": f"s3://{BUCKET}/syne-tune/my-tuner/0/checkpoints/",
        "LocalPath": "/opt/ml/checkpoints",
    }
    assert request["ResourceConfig"]["InstanceType"] == "ml.c5.xlarge"
    assert request["Environment"]["A"] == "1"
    assert request["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    # the log stream became the trial's std.out; the checkpoint went to S3
    assert any("[tune-metric]" in line for line in backend.stdout(trial.trial_id))
    keys = [o["Key"] for o in sagemaker.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert "syne-tune/my-tuner/0/checkpoints/state.json" in keys
    assert json.loads((tmp_path / "my-tuner" / "0" / "config.json").read_text())["x"] == 0.25


JSON_SCRIPT = """
import argparse
from synetune_sdk import Reporter
from synetune_sdk.checkpoint import add_config_json_to_argparse, load_config_json

parser = argparse.ArgumentParser()
add_config_json_to_argparse(parser)
parser.add_argument("--st_checkpoint_dir")
config = load_config_json(vars(parser.parse_known_args()[0]))
report = Reporter()
for epoch in range(1, config["epochs"] + 1):
    report(epoch=epoch, loss=config["x"] * epoch, words=len(config["text"].split()))
"""


def test_pass_args_as_json_brings_the_config_as_an_input_channel(
    make_backend, sagemaker, tmp_path, write_script
):
    backend = make_backend(write_script("json_train.py", JSON_SCRIPT), pass_args_as_json=True)
    backend.set_path(tmp_path / "json-tuner")
    long_text = " ".join(["word"] * 1000)  # over SageMaker's 2500 characters per hyperparameter
    trial = backend.start_trial({"epochs": 2, "x": 0.5, "text": long_text})
    results = run_to_end(backend, [trial.trial_id])

    assert backend.status[trial.trial_id] == TrialStatus.COMPLETED, backend.stderr(trial.trial_id)
    assert [(r["epoch"], r["loss"], r["words"]) for _, r in results] == [
        (1, 0.5, 1000),
        (2, 1.0, 1000),
    ]
    request = sagemaker.requests[0]
    assert request["HyperParameters"]["st_config_json_filename"] == (
        "/opt/ml/input/data/st_config/config.json"
    )
    assert "x" not in request["HyperParameters"]
    (channel,) = request["InputDataConfig"]
    assert channel["ChannelName"] == "st_config"
    uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
    assert uri == f"s3://{BUCKET}/syne-tune/json-tuner/0/st_config/"
    body = sagemaker.s3.get_object(
        Bucket=BUCKET, Key="syne-tune/json-tuner/0/st_config/config.json"
    )
    assert json.loads(body["Body"].read())["text"] == long_text


def test_plugin_registers_lazily_and_builds_by_name(aws_env, sagemaker):
    import subprocess
    import sys

    code = (
        "import sys, synetune_plugin_sagemaker, synetune;"
        "assert 'sagemaker' in synetune.backends.names();"
        "assert 'boto3' not in sys.modules, 'boto3 imported at plugin import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    import synetune_plugin_sagemaker
    from synetune_plugin_sagemaker.backend import SageMakerBackend

    import synetune

    backend = synetune.backends.create(
        "sagemaker",
        entry_point=CONTRACT_SCRIPT,
        role=ROLE,
        image_uri=IMAGE,
        s3_path=f"s3://{BUCKET}/x",
    )
    assert isinstance(backend, SageMakerBackend)
    assert callable(synetune_plugin_sagemaker.download_experiment)
    with pytest.raises(AttributeError):
        synetune_plugin_sagemaker.nothing  # noqa: B018


def test_delete_checkpoints_and_concurrency_limit(make_backend, sagemaker, tmp_path):
    backend = make_backend(CONTRACT_SCRIPT, delete_checkpoints=True, max_concurrent_jobs=1)
    backend.set_path(tmp_path / "t")
    trials = [backend.start_trial({"epochs": 2, "sleep": 0.05}) for _ in range(2)]
    run_to_end(backend, [t.trial_id for t in trials])
    assert [backend.status[t.trial_id] for t in trials] == [TrialStatus.COMPLETED] * 2
    assert sagemaker.max_live == 1  # the second job waited for the first
    keys = [o["Key"] for o in sagemaker.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert not [k for k in keys if "/checkpoints/" in k]


def test_pickled_backend_stops_jobs_of_the_interrupted_tuner(make_backend, sagemaker, tmp_path):
    import dill

    backend = make_backend(CONTRACT_SCRIPT)
    backend.set_path(tmp_path / "t")
    trial = backend.start_trial({"epochs": 1000, "sleep": 0.1})
    wait_for(lambda: backend.num_results[trial.trial_id] > 0, what="a first result")
    restored = dill.loads(dill.dumps(backend))  # what Tuner.load finds in tuner.dill
    assert restored.job_names(trial.trial_id) == backend.job_names(trial.trial_id)
    restored.restore(dict(backend.trials), {trial.trial_id: TrialStatus.PAUSED})
    wait_for(lambda: sagemaker.stop_calls, what="StopTrainingJob")
    assert sagemaker.stop_calls == backend.job_names(trial.trial_id)
    restored.close()
