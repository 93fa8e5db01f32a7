"""Real ``sagemaker`` SDK v2 estimators (PyTorch, HuggingFace, TensorFlow, Estimator) handed to
the backend unchanged, against moto on 127.0.0.1 with the fake SageMaker running the jobs.

The SDK (``sagemaker==2.257.*``) comes with the plugin's ``test`` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sagemaker_executor import BUCKET, ROLE

from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.testing import run_to_end, wait_for
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion

PYTORCH_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-{}-py310"

# reads a constant of the estimator (batch_size), the trial's config (x, epochs, sleep), a module
# shipped as a dependency, and resumes from its checkpoint
TRAIN = """
import argparse, json, os, time

from mylib.scale import FACTOR
from synetune_sdk import Reporter

parser = argparse.ArgumentParser()
for name, kind in (("epochs", int), ("x", float), ("batch_size", int), ("sleep", float),
                   ("hold_at", int), ("hold_file", str)):
    parser.add_argument(f"--{name}", type=kind, default=0)
parser.add_argument("--st_checkpoint_dir")
args, _ = parser.parse_known_args()
state = os.path.join(args.st_checkpoint_dir, "state.json")
start = json.load(open(state))["epoch"] if os.path.exists(state) else 0
report = Reporter()
for epoch in range(start + 1, args.epochs + 1):
    while epoch == args.hold_at and not os.path.exists(args.hold_file):
        time.sleep(0.05)  # the test interrupts the job here
    time.sleep(args.sleep)
    os.makedirs(args.st_checkpoint_dir, exist_ok=True)
    with open(state + ".tmp", "w") as f:
        json.dump({"epoch": epoch}, f)
    os.replace(state + ".tmp", state)
    report(epoch=epoch, loss=FACTOR * args.x / epoch, batch_size=args.batch_size, resumed_at=start)
"""


@pytest.fixture(scope="module")
def sdk_session(moto_endpoint: str) -> Any:
    """One SDK session for the module (creating one takes a second): its clients reach moto."""
    from sagemaker_executor import CREDENTIALS

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": moto_endpoint}.items():
            patch.setenv(name, value)
        patch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
        import sagemaker as sdk_module

        assert sdk_module.__version__.startswith("2."), sdk_module.__version__
        return sdk_module.Session(default_bucket=BUCKET)


@pytest.fixture
def sdk(
    moto_endpoint: str, aws_env: None, sdk_session: Any, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The SDK as a user's notebook has it (its default-bucket calls reach moto too)."""
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return sdk_session


@pytest.fixture
def code(tmp_path: Path) -> dict[str, Path]:
    source = tmp_path / "project" / "src"
    source.mkdir(parents=True)
    (source / "train.py").write_text(TRAIN)
    (source / "notes.txt").write_text("packed with the script\n")
    library = tmp_path / "project" / "mylib"
    library.mkdir()
    (library / "__init__.py").write_text("")
    (library / "scale.py").write_text("FACTOR = 2.0\n")
    return {"source_dir": source, "dependency": library}


def _pytorch(sdk: Any, code: dict[str, Path], **kwargs: Any) -> Any:
    from sagemaker.pytorch import PyTorch

    options: dict[str, Any] = {
        "entry_point": "train.py",
        "source_dir": str(code["source_dir"]),
        "dependencies": [str(code["dependency"])],
        "role": ROLE,
        "instance_type": "ml.g5.xlarge",
        "instance_count": 1,
        "framework_version": "2.1.0",
        "py_version": "py310",
        "hyperparameters": {"batch_size": 32},
        "sagemaker_session": sdk,
    }
    options.update(kwargs)
    return PyTorch(**options)


def _backend(endpoint: str, estimator: Any, **kwargs: Any) -> Any:
    from synetune_plugin_sagemaker import SageMakerBackend

    return SageMakerBackend(
        sm_estimator=estimator,  # Syne Tune's argument name
        endpoint_url=endpoint,
        poll_interval=0.05,
        max_attempts=1,
        close_timeout=10.0,
        **kwargs,
    )


SPOT_VPC = {
    "use_spot_instances": True,
    "max_run": 3600,
    "max_wait": 7200,
    "subnets": ["subnet-0a1b2c"],
    "security_group_ids": ["sg-0d4e5f"],
    "volume_size": 50,
    "tags": [{"Key": "team", "Value": "hpo"}],
    "output_path": f"s3://{BUCKET}/model-output",
    "distribution": {"torch_distributed": {"enabled": True}},
    "metric_definitions": [{"Name": "loss", "Regex": "loss: ([0-9.]+)"}],
    "environment": {"FROM_ESTIMATOR": "1"},
}


def test_pytorch_estimator_with_spot_and_vpc_reaches_create_training_job(
    sdk, sagemaker, code, tmp_path
):
    estimator = _pytorch(sdk, code, **SPOT_VPC)
    assert estimator.image_uri is None  # the SDK resolves the image: training_image_uri()
    backend = _backend(sagemaker.endpoint, estimator)
    try:
        backend.set_path(tmp_path / "sdk-tuner")
        trial = backend.start_trial({"epochs": 2, "x": 0.5})
        results = run_to_end(backend, [trial.trial_id])
        assert backend.status[trial.trial_id] == TrialStatus.COMPLETED, backend.stderr(0)
    finally:
        backend.close()
    # the job ran the estimator's script with its constant and the trial's config
    assert [(r["epoch"], r["loss"], r["batch_size"]) for _, r in results] == [
        (1, 1.0, 32),
        (2, 0.5, 32),
    ]
    (request,) = sagemaker.requests
    assert request["AlgorithmSpecification"]["TrainingImage"] == PYTORCH_IMAGE.format("gpu")
    assert {"Name": "loss", "Regex": "loss: ([0-9.]+)"} in request["AlgorithmSpecification"][
        "MetricDefinitions"
    ]
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {
        "MaxRuntimeInSeconds": 3600,
        "MaxWaitTimeInSeconds": 7200,
    }
    assert request["VpcConfig"] == {"Subnets": ["subnet-0a1b2c"], "SecurityGroupIds": ["sg-0d4e5f"]}
    assert request["ResourceConfig"] == {
        "InstanceType": "ml.g5.xlarge",
        "InstanceCount": 1,
        "VolumeSizeInGB": 50,
    }
    assert {"Key": "team", "Value": "hpo"} in request["Tags"]
    assert request["OutputDataConfig"] == {"S3OutputPath": f"s3://{BUCKET}/model-output"}
    # the session's default bucket holds the code and the checkpoints (no s3_path given)
    assert request["CheckpointConfig"]["S3Uri"] == (
        f"s3://{BUCKET}/syne-tune/sdk-tuner/0/checkpoints/"
    )
    hp = request["HyperParameters"]
    assert hp["batch_size"] == "32" and hp["epochs"] == "2" and hp["x"] == "0.5"
    assert hp["sagemaker_torch_distributed_enabled"] == "true"  # the SDK's distribution switch
    assert hp["sagemaker_program"] == "train.py"
    assert request["Environment"]["FROM_ESTIMATOR"] == "1"
    # what moto stored for the job
    described = sagemaker.backend.training_jobs[request["TrainingJobName"]]
    assert described.enable_managed_spot_training is True
    assert described.vpc_config == request["VpcConfig"]
    assert described.stopping_condition["MaxWaitTimeInSeconds"] == 7200
    # source_dir and the dependency were packed
    key = hp["sagemaker_submit_directory"][len(f"s3://{BUCKET}/") :]
    import io
    import tarfile

    body = sagemaker.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    names = tarfile.open(fileobj=io.BytesIO(body)).getnames()
    assert {"train.py", "notes.txt", "mylib/scale.py"} <= set(names)


def test_instance_type_in_the_config_gets_the_sdks_image_for_it(sdk, moto_endpoint, code):
    from synetune_plugin_sagemaker import SageMakerBackend

    # Syne Tune's form: the estimator first
    backend = SageMakerBackend(
        _pytorch(sdk, code), s3_path=f"s3://{BUCKET}/x", endpoint_url=moto_endpoint
    )
    image, constants = backend._image_and_constants("ml.c5.xlarge")
    assert image == PYTORCH_IMAGE.format("cpu")
    assert backend.image_uri == PYTORCH_IMAGE.format("gpu")
    assert constants["batch_size"] == "32"
    # the backend's own instance_type overrides the estimator's, with the SDK's image for it
    backend = _backend(
        moto_endpoint, _pytorch(sdk, code), instance_type="ml.c5.xlarge", s3_path=f"s3://{BUCKET}/x"
    )
    assert backend.image_uri == PYTORCH_IMAGE.format("cpu")


def test_huggingface_tensorflow_and_generic_estimators(sdk, moto_endpoint, code):
    from sagemaker.estimator import Estimator
    from sagemaker.huggingface import HuggingFace
    from sagemaker.tensorflow import TensorFlow

    session = sdk
    common = {
        "entry_point": "train.py",
        "source_dir": str(code["source_dir"]),
        "role": ROLE,
        "instance_count": 1,
        "sagemaker_session": session,
    }
    hf = HuggingFace(
        instance_type="ml.g5.xlarge",
        transformers_version="4.36.0",
        pytorch_version="2.1.0",
        py_version="py310",
        **common,
    )
    backend = _backend(moto_endpoint, hf, s3_path=f"s3://{BUCKET}/x")
    assert backend.image_uri == hf.training_image_uri()
    assert "huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu" in backend.image_uri

    tf = TensorFlow(
        instance_type="ml.m5.large",
        framework_version="2.14",
        py_version="py310",
        hyperparameters={"optimizer": "adam"},
        **common,
    )
    backend = _backend(moto_endpoint, tf, s3_path=f"s3://{BUCKET}/x")
    assert backend.image_uri.endswith("/tensorflow-training:2.14-cpu-py310")
    assert backend.constants["optimizer"] == '"adam"'  # JSON, as the SDK sends it

    generic = Estimator(
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1",
        instance_type="ml.m5.large",
        hyperparameters={"depth": 3},
        keep_alive_period_in_seconds=120,
        **common,
    )
    backend = _backend(moto_endpoint, generic, s3_path=f"s3://{BUCKET}/x")
    assert backend.image_uri == "123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1"
    assert (backend.constants, backend.keep_alive) == ({"depth": "3"}, 120)
    assert backend.program == "train.py"


def test_tuning_with_a_pytorch_estimator_runs_end_to_end(
    sdk, sagemaker, code, tmp_path, monkeypatch
):
    import synetune
    from synetune_sdk.config_space import uniform

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    estimator = _pytorch(sdk, code, use_spot_instances=True, max_run=600, max_wait=1200)
    backend = _backend(sagemaker.endpoint, estimator)
    scheduler = synetune.schedulers.create(
        "random_search",
        config_space={"x": uniform(0.0, 1.0), "epochs": 3},
        metric="loss",
        mode="min",
        random_seed=3,
    )
    Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=3, max_wallclock_time=60),
        n_workers=2,
        sleep_time=0.1,
        tuner_name="sdk-tuning",
        suffix_tuner_name=False,
        verbose="quiet",
    ).run()
    df = load_experiment("sdk-tuning").results
    assert sorted(df["trial_id"].unique()) == [0, 1, 2]
    assert sorted(df["epoch"].tolist()) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert set(df["batch_size"]) == {32}
    assert all(r["EnableManagedSpotTraining"] for r in sagemaker.requests)
    assert len(sagemaker.requests) == 3


def test_spot_interruption_resumes_the_trial_from_its_s3_checkpoint(sdk, sagemaker, code, tmp_path):
    estimator = _pytorch(sdk, code, use_spot_instances=True, max_run=600, max_wait=1200)
    backend = _backend(sagemaker.endpoint, estimator, s3_path=f"s3://{BUCKET}/spot")
    try:
        backend.set_path(tmp_path / "spot-tuner")
        hold = tmp_path / "go-on"
        trial = backend.start_trial(
            {"epochs": 6, "x": 1.0, "sleep": 0.05, "hold_at": 3, "hold_file": str(hold)}
        )
        wait_for(lambda: backend.num_results[trial.trial_id] >= 2, what="two results")
        (name,) = backend.job_names(trial.trial_id)
        sagemaker.interrupt(name)  # while the script waits at epoch 3, checkpoint at 2
        wait_for(lambda: sagemaker.interrupted, what="the interruption")
        hold.touch()
        results = run_to_end(backend, [trial.trial_id])
        assert backend.status[trial.trial_id] == TrialStatus.COMPLETED, backend.stderr(0)
    finally:
        backend.close()
    assert sagemaker.interrupted == [name]
    assert backend.job_names(trial.trial_id) == [name]  # SageMaker restarted the same job
    epochs = [r["epoch"] for _, r in results]
    assert epochs == [1, 2, 3, 4, 5, 6]  # no epoch trained twice, none lost
    # the restarted container began at the checkpoint of epoch 2, which it found in S3
    assert [r["resumed_at"] for _, r in results] == [0, 0, 2, 2, 2, 2]
    assert any("interrupted" in line for line in backend.stderr(trial.trial_id))


# ---------------------------------------------------------------------------------- bad input
def test_estimator_without_a_role(sdk, moto_endpoint, code):
    estimator = _pytorch(sdk, code)
    estimator.role = None  # e.g. a role meant to come from a SageMaker config file that is absent
    with pytest.raises(ValueError, match="PyTorch estimator has no role"):
        _backend(moto_endpoint, estimator)


def test_framework_version_the_sdk_cannot_map(sdk, moto_endpoint, code):
    estimator = _pytorch(sdk, code, framework_version="0.99")
    with pytest.raises(ValueError, match=r"cannot map the PyTorch estimator .*0\.99.*image_uri"):
        _backend(moto_endpoint, estimator)


def test_spot_without_max_wait(sdk, moto_endpoint, code):
    estimator = _pytorch(sdk, code, use_spot_instances=True)
    with pytest.raises(ValueError, match="spot instances .* without max_wait"):
        _backend(moto_endpoint, estimator)
    estimator = _pytorch(sdk, code, use_spot_instances=True, max_run=3600, max_wait=60)
    with pytest.raises(ValueError, match="max_wait=60 is shorter than max_run=3600"):
        _backend(moto_endpoint, estimator)


def test_settings_the_backend_cannot_honour_are_named(sdk, moto_endpoint, code):
    estimator = _pytorch(sdk, code, enable_infra_check=True)
    with pytest.raises(ValueError, match="sets enable_infra_check, which the synetune"):
        _backend(moto_endpoint, estimator)
    estimator = _pytorch(sdk, code, source_dir="s3://b/code.tar.gz")
    with pytest.raises(ValueError, match="source_dir 's3://b/code.tar.gz' is in S3"):
        _backend(moto_endpoint, estimator)


class _Fixed(Scheduler):
    def __init__(self, configs: list[dict[str, Any]]):
        super().__init__()
        self.configs = list(configs)

    def metric_names(self) -> list[str]:
        return ["loss"]

    def metric_mode(self) -> str:
        return "min"

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        return TrialSuggestion.start_suggestion(self.configs.pop(0)) if self.configs else None

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        return SchedulerDecision.CONTINUE


def test_config_key_colliding_with_an_estimator_hyperparameter(
    sdk, sagemaker, code, tmp_path, monkeypatch
):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    backend = _backend(sagemaker.endpoint, _pytorch(sdk, code), s3_path=f"s3://{BUCKET}/clash")
    tuner = Tuner(
        trial_backend=backend,
        scheduler=_Fixed([{"epochs": 1, "batch_size": 64}]),
        stop_criterion=StoppingCriterion(max_wallclock_time=30),
        n_workers=1,
        tuner_name="clash",
        verbose="quiet",
    )
    with pytest.raises(ValueError, match=r"'batch_size' also is a constant hyperparameter"):
        tuner.run()
    assert sagemaker.requests == []  # before any job started
