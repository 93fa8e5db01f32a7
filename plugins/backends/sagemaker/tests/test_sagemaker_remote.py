"""Remote launching: a tuning runs inside a (fake) SageMaker job, its results land in S3."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sagemaker_executor import BUCKET, IMAGE, ROLE
from synetune_plugin_sagemaker.aws import AwsSetupError
from synetune_plugin_sagemaker.remote import RemoteLauncher, download_experiment

from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.config_space import uniform
from synetune_sdk.testing import CONTRACT_SCRIPT, wait_for

S3_PATH = f"s3://{BUCKET}/syne-tune"

LAUNCHER = """
import sys

import synetune
from synetune import StoppingCriterion, Tuner
from synetune_sdk.config_space import uniform

name = sys.argv[sys.argv.index("--tuner-name") + 1]
space = {"x": uniform(0.0, 1.0), "epochs": 3}
Tuner(
    trial_backend=synetune.backends.create("local", entry_point="train.py"),
    scheduler=synetune.schedulers.create(
        "random_search", config_space=space, metric="loss", mode="min", random_seed=0
    ),
    stop_criterion=StoppingCriterion(max_num_trials_started=3),
    n_workers=2,
    tuner_name=name,
    suffix_tuner_name=False,
    verbose="quiet",
).run()
"""


@pytest.fixture
def launcher(write_script) -> Path:
    path = write_script("launch_tuning.py", LAUNCHER)
    shutil.copy(CONTRACT_SCRIPT, path.parent / "train.py")
    return path


def _keys(sagemaker, prefix: str) -> list[str]:
    answer = sagemaker.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in answer.get("Contents", []))


def test_remote_launch_results_land_in_s3_and_load(launcher, sagemaker, tmp_path, monkeypatch):
    job_folder = tmp_path / "inside-the-job"
    remote = RemoteLauncher(
        entry_point=str(launcher),
        role=ROLE,
        image_uri=IMAGE,
        launcher_args=["--tuner-name", "remote-api"],
        s3_path=S3_PATH,
        sync_interval=0.5,
        environment={"SYNETUNE_REMOTE_FOLDER": str(job_folder)},
        endpoint_url=sagemaker.endpoint,
    )
    job = remote.run(wait=True, logs=False, poll_interval=0.2)

    assert job.status == "Completed", job.failure_reason
    assert job.experiments == ["remote-api"]
    keys = _keys(sagemaker, "syne-tune/remote-api/")
    assert "syne-tune/remote-api/results.csv.zip" in keys
    assert "syne-tune/remote-api/metadata.json" in keys
    # trial logs stay in the job unless store_logs_localbackend=True; checkpoints always do
    assert not any(k.endswith(("std.out", "state.json")) for k in keys)
    assert (job_folder / "remote-api" / "0" / "checkpoints" / "state.json").exists()

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "here"))
    with pytest.raises(FileNotFoundError):
        load_experiment("remote-api")
    path = download_experiment("remote-api", s3_path=S3_PATH, endpoint_url=sagemaker.endpoint)
    assert path == tmp_path / "here" / "remote-api"
    df = load_experiment("remote-api").results
    assert sorted(df["trial_id"].unique()) == [0, 1, 2]
    assert sorted(df["epoch"].tolist()) == [1, 1, 1, 2, 2, 2, 3, 3, 3]

    # load_experiment fetches a missing experiment through the "s3" experiment store
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("SYNETUNE_S3_PATH", S3_PATH)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sagemaker.endpoint)
    fetched = load_experiment("remote-api")
    assert fetched.path == tmp_path / "elsewhere" / "remote-api"
    assert len(fetched.results) == 9


def _cli():
    from synetune.plugin_api import cli

    return cli()


def test_cli_remote_launch_with_logs_then_download(launcher, sagemaker, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "here"))
    endpoint = ["--endpoint-url", sagemaker.endpoint]
    result = CliRunner().invoke(
        _cli(),
        [
            "remote",
            "launch",
            "--role",
            ROLE,
            "--image-uri",
            IMAGE,
            "--s3-path",
            S3_PATH,
            "--store-logs",
            "--sync-interval",
            "0.5",
            "--poll-interval",
            "0.2",
            *endpoint,
            str(launcher),
            "--tuner-name",
            "remote-cli",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "status: Completed" in result.output
    assert "experiment: remote-cli" in result.output
    assert "syne-tune/remote-cli/0/std.out" in _keys(sagemaker, "syne-tune/remote-cli/")

    result = CliRunner().invoke(
        _cli(), ["remote", "download", "remote-cli", "--s3-path", S3_PATH, *endpoint]
    )
    assert result.exit_code == 0, result.output
    folder = Path(result.output.strip())
    assert any(
        "[tune-metric]" in line for line in (folder / "0" / "std.out").read_text().splitlines()
    )
    assert len(load_experiment("remote-cli").results) == 9


def test_failing_launcher_fails_the_job_with_its_error(write_script, sagemaker):
    script = write_script("broken_launcher.py", "raise RuntimeError('no tuner here')\n")
    result = CliRunner().invoke(
        _cli(),
        [
            "remote",
            "launch",
            "--role",
            ROLE,
            "--image-uri",
            IMAGE,
            "--s3-path",
            S3_PATH,
            "--poll-interval",
            "0.2",
            "--endpoint-url",
            sagemaker.endpoint,
            str(script),
        ],
    )
    assert result.exit_code != 0
    assert "ended Failed" in result.output and "no tuner here" in result.output


def _tuner(tmp_path: Path, name: str, **kwargs) -> Tuner:
    import synetune

    code = tmp_path / "trial-code"
    code.mkdir(exist_ok=True)
    shutil.copy(CONTRACT_SCRIPT, code / "train.py")
    return Tuner(
        trial_backend=synetune.backends.create("local", entry_point=str(code / "train.py")),
        scheduler=synetune.schedulers.create(
            "random_search",
            config_space={"x": uniform(0.0, 1.0), "epochs": 2},
            metric="loss",
            mode="min",
            random_seed=0,
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
        **kwargs,
    )


def test_remote_launcher_runs_a_pickled_tuner_as_syne_tune_does(sagemaker, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "here"))
    tuner = _tuner(tmp_path, "remote-tuner")
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "__init__.py").write_text("")
    # the account's quota is used up when the launch starts, and frees up once it was refused
    sagemaker.quota = 0

    def free_the_quota() -> None:
        wait_for(lambda: sagemaker.rejected, timeout=60, what="a refused CreateTrainingJob")
        sagemaker.quota = None

    threading.Thread(target=free_the_quota, daemon=True).start()
    launcher = RemoteLauncher(
        tuner=tuner,
        role=ROLE,
        instance_type="ml.c5.4xlarge",
        dependencies=[str(helpers)],
        image_uri=IMAGE,
        s3_path=S3_PATH,
        sync_interval=0.5,
        environment={"SYNETUNE_REMOTE_FOLDER": str(tmp_path / "in-job")},
        endpoint_url=sagemaker.endpoint,
    )
    launcher.quota_first_delay = 0.2
    job = launcher.run(wait=True, logs=False, poll_interval=0.2)

    assert sagemaker.rejected, "the quota did not refuse the first CreateTrainingJob"
    assert job.status == "Completed", job.failure_reason
    assert job.experiments == ["remote-tuner"]
    (request,) = sagemaker.requests
    assert request["HyperParameters"]["st_tuner"] == "synetune_tuner.dill"
    path = download_experiment("remote-tuner", s3_path=S3_PATH, endpoint_url=sagemaker.endpoint)
    experiment = load_experiment("remote-tuner")
    assert sorted(experiment.results["epoch"].tolist()) == [1, 1, 1, 2, 2, 2]
    # the trials ran the job's copy of the training script, not the launching machine's
    metadata = json.loads((path / "metadata.json").read_text())
    assert metadata["entrypoint"].startswith(str(sagemaker.workdir / job.name / "code"))
    assert (path / "tuner.dill").is_file()  # the remote tuner saved itself


def test_remote_launcher_gives_up_on_the_quota_after_its_timeout(sagemaker, tmp_path):
    sagemaker.quota = 0
    launcher = RemoteLauncher(
        tuner=_tuner(tmp_path, "never-starts"),
        role=ROLE,
        image_uri=IMAGE,
        s3_path=S3_PATH,
        endpoint_url=sagemaker.endpoint,
        resource_limit_timeout=3.0,
    )
    launcher.quota_first_delay = 0.2
    with pytest.raises(RuntimeError, match="could not start within resource_limit_timeout=3"):
        launcher.run()
    assert len(sagemaker.rejected) >= 2  # retried before giving up


def test_remote_launcher_bad_input(sagemaker, launcher, tmp_path, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    with pytest.raises(ValueError, match="role is missing"):
        RemoteLauncher(entry_point=str(launcher), image_uri=IMAGE)
    with pytest.raises(ValueError, match="exactly one of them"):
        RemoteLauncher(role=ROLE, image_uri=IMAGE)
    with pytest.raises(TypeError, match="tuner must be a synetune Tuner"):
        RemoteLauncher(tuner=object(), role=ROLE, image_uri=IMAGE)
    # without image_uri: the PyTorch training image the sagemaker SDK names
    default = RemoteLauncher(entry_point=str(launcher), role=ROLE, instance_type="ml.c5.xlarge")
    assert default.image_uri.endswith("/pytorch-training:2.1-cpu-py310")
    with pytest.raises(FileNotFoundError, match="entry_point"):
        RemoteLauncher(entry_point=str(tmp_path / "missing.py"), role=ROLE, image_uri=IMAGE)
    with pytest.raises(FileNotFoundError, match="no experiment 'nothing-here'"):
        download_experiment("nothing-here", s3_path=S3_PATH, endpoint_url=sagemaker.endpoint)
    with pytest.raises(AwsSetupError, match="no-such-bucket' does not exist"):
        download_experiment("x", s3_path="s3://no-such-bucket/x", endpoint_url=sagemaker.endpoint)
