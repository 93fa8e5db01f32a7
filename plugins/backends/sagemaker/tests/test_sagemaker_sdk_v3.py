"""A real ``sagemaker`` SDK v3 ``ModelTrainer`` handed to the backend unchanged.

The v3 SDK (1 GB: mlflow, pyarrow, scikit-learn) pins protobuf, importlib-metadata and rich below
what the development environment holds, so it lives in a virtual environment of its own, made by
uv once and kept under ``build/sagemaker-sdk-v3-venv`` (git-ignored; override the place with
``$SYNETUNE_SAGEMAKER_V3_VENV``): the SDK from the index, and the sdk, the kernel and this plugin
from this checkout (editable). ``sdk_v3_job.py`` runs there against the moto server of this test
process, whose fake SageMaker runs the job; the test asserts on what moto received.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sagemaker_executor import BUCKET, CREDENTIALS, IMAGE, ROLE

HERE = Path(__file__).resolve().parent
PLUGIN = HERE.parent
ROOT = PLUGIN.parents[2]
UV = Path(sys.executable).parent / "uv"
SDK_V3 = "sagemaker==3.27.0"
LOCAL = [ROOT / "sdk", ROOT / "kernel", PLUGIN]

TRAIN = """
import argparse, os
from synetune_sdk import Reporter

parser = argparse.ArgumentParser()
for name, kind in (("epochs", int), ("x", float), ("batch_size", int)):
    parser.add_argument(f"--{name}", type=kind, default=0)
parser.add_argument("--st_checkpoint_dir")
args, _ = parser.parse_known_args()
report = Reporter()
for epoch in range(1, args.epochs + 1):
    report(epoch=epoch, loss=args.x / epoch, batch_size=args.batch_size,
           from_v3=os.environ.get("FROM_V3"))
"""


@pytest.fixture(scope="session")
def v3_python() -> Path:
    """The interpreter of the v3 virtual environment (created on first use, then reused)."""
    if not UV.exists():
        pytest.fail(f"{UV} is missing: pip install -r requirements-dev.txt")
    venv = Path(
        os.environ.get("SYNETUNE_SAGEMAKER_V3_VENV") or ROOT / "build/sagemaker-sdk-v3-venv"
    )
    python = venv / "bin" / "python"
    spec = json.dumps([SDK_V3, *map(str, LOCAL)])
    marker = venv / "synetune-spec.json"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one creator at a time
        if not (python.exists() and marker.exists() and marker.read_text() == spec):
            subprocess.run(
                [UV, "venv", "-q", "--allow-existing", "--python", sys.executable, venv],
                check=True,
            )
            editable = [arg for folder in LOCAL for arg in ("-e", str(folder))]
            subprocess.run(
                [UV, "pip", "install", "-q", "--python", python, SDK_V3, *editable],
                check=True,
                timeout=600,
            )
            marker.write_text(spec)
    return python


def test_model_trainer_v3_runs_a_trial_with_its_settings(v3_python, sagemaker, tmp_path):
    source = tmp_path / "v3-code"
    source.mkdir()
    (source / "train.py").write_text(TRAIN)
    (source / "requirements-train.txt").write_text("tqdm\n")
    settings = {
        "endpoint": sagemaker.endpoint,
        "bucket": BUCKET,
        "role": ROLE,
        "image": IMAGE,
        "source_dir": str(source),
        "tuner_path": str(tmp_path / "v3-tuner"),
    }
    out = tmp_path / "v3.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": sagemaker.endpoint,
        "SAGEMAKER_VALIDATE_ROLE": "false",
    }
    done = subprocess.run(
        [str(v3_python), str(HERE / "sdk_v3_job.py"), json.dumps(settings), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report: dict[str, Any] = json.loads(out.read_text())
    assert report["sdk_version"].startswith("3."), report["sdk_version"]
    assert report["status"] == "Completed", report["stderr"]
    assert [(r["epoch"], r["loss"], r["batch_size"], r["from_v3"]) for r in report["results"]] == [
        (1, 0.5, 64, "1"),
        (2, 0.25, 64, "1"),
    ]
    (request,) = sagemaker.requests
    assert request["TrainingJobName"] == report["job_names"][0]
    assert request["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert {"Name": "loss", "Regex": '"loss": ([0-9.]+)'} in request["AlgorithmSpecification"][
        "MetricDefinitions"
    ]
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {
        "MaxRuntimeInSeconds": 1800,
        "MaxWaitTimeInSeconds": 3600,
    }
    assert request["VpcConfig"] == {"Subnets": ["subnet-0v3"], "SecurityGroupIds": ["sg-0v3"]}
    assert request["ResourceConfig"]["VolumeSizeInGB"] == 40
    assert request["ResourceConfig"]["InstanceType"] == "ml.c5.xlarge"
    assert request["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/v3-output"
    assert request["CheckpointConfig"] == {
        "S3Uri": f"s3://{BUCKET}/v3-checkpoints/v3-tuner/0/checkpoints/",
        "LocalPath": "/opt/ml/checkpoints",
    }
    assert {"Key": "team", "Value": "hpo"} in request["Tags"]
    hp = request["HyperParameters"]
    assert (hp["batch_size"], hp["epochs"], hp["x"]) == ("64", "2", "0.5")
    assert hp["sagemaker_torch_distributed_enabled"] == "true"  # Torchrun()
    # SourceCode(requirements=...) became the requirements.txt the containers install
    import io
    import tarfile

    key = hp["sagemaker_submit_directory"][len(f"s3://{BUCKET}/") :]
    body = sagemaker.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.extractfile("requirements.txt").read() == b"tqdm\n"

    errors = report["errors"]
    assert "'batch_size' also is a constant hyperparameter" in errors["collision"]
    assert len(sagemaker.requests) == 1  # the clashing trial started no job
    assert errors["no_role"].startswith("RoleValidationError"), errors["no_role"]  # the SDK's
    assert "ModelTrainer has no role" in errors["role_unset"], errors["role_unset"]
    assert "without max_wait" in errors["spot_without_max_wait"]
    assert "source_code.command" in errors["command"]
    assert "cannot honour" in errors["command"]
