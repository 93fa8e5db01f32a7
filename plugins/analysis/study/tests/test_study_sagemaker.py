"""--executor sagemaker: each combination as a SageMaker training job, results in S3.

Runs against moto's API server on 127.0.0.1 with the sagemaker plugin's test double
(``FakeSageMaker`` runs each created training job as a local subprocess). Its fixtures are
imported from that plugin's ``tests/conftest.py`` by file path, not copied.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("moto")
pytest.importorskip("synetune_plugin_sagemaker")

from synetune_plugin_study import StudyError, load_study, run_study  # noqa: E402
from synetune_plugin_study.on_sagemaker import JOB_SCRIPT  # noqa: E402

from synetune import load_experiment  # noqa: E402
from synetune.plugin_api import cli  # noqa: E402

SAGEMAKER_TESTS = Path(__file__).resolve().parents[3] / "backends" / "sagemaker" / "tests"


def _load_conftest():
    name = "synetune_plugin_sagemaker_test_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAGEMAKER_TESTS / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)  # puts its folder on sys.path for sagemaker_executor
    return sys.modules[name]


_fixtures = _load_conftest()
aws_env = _fixtures.aws_env
sagemaker = _fixtures.sagemaker
from sagemaker_executor import BUCKET, IMAGE, ROLE, moto_server  # noqa: E402


@pytest.fixture(scope="module")
def moto_endpoint():
    """This module's own moto server, gone with the module: the sagemaker plugin's fixture of
    the same name lives as long as the whole session and would stay up beside that plugin's."""
    with moto_server() as endpoint:
        yield endpoint


PREFIX = "studies"
STUDY = f"""
name = "on-sm"
seeds = [0, 1]
benchmarks = ["branin"]

[methods]
RS = "random_search"
REA = "rea"

[stop]
max_num_trials_finished = 5

[sagemaker]
image_uri = "{IMAGE}"
s3_path = "s3://{BUCKET}/{PREFIX}"
poll_interval = 0.1
sync_interval = 0.5
"""


@pytest.fixture
def study_file(tmp_path, sagemaker, monkeypatch) -> Path:
    for name in ("SYNETUNE_S3_PATH", "SYNETUNE_SAGEMAKER_ROLE", "SYNETUNE_SAGEMAKER_IMAGE"):
        monkeypatch.delenv(name, raising=False)
    jobs_tmp = tmp_path / "job-tmp"  # each job's local $SYNETUNE_FOLDER (a mkdtemp) goes here
    jobs_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(jobs_tmp))
    path = tmp_path / "on-sm.toml"
    path.write_text(STUDY)
    return path


def _objects(sagemaker) -> dict[str, str]:
    answer = sagemaker.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/on-sm-")
    return {o["Key"]: o["ETag"] for o in answer.get("Contents", [])}


def test_study_runs_as_sagemaker_jobs_resumes_from_s3_and_reports(
    study_file, sagemaker, tmp_path, monkeypatch, synetune_folder
):
    from synetune_plugin_sagemaker import RemoteLauncher

    study = load_study(study_file)
    options = {"role": ROLE, "endpoint_url": sagemaker.endpoint}
    # a job that fails (its image cannot be pulled) is reported, and nothing lands in S3
    sagemaker.fail_images = {IMAGE}
    failed = run_study(
        study_file, methods=["RS"], seeds=[0], executor="sagemaker", sagemaker=options
    )
    assert failed.finished == 0 and list(failed.failed) == ["on-sm-RS-branin-0"]
    assert "Cannot pull the training image" in failed.failed["on-sm-RS-branin-0"]
    assert _objects(sagemaker) == {}
    sagemaker.fail_images = set()

    # the whole study: the failed run starts again; one instance of quota, two runs at once:
    # the second job is refused (ResourceLimitExceeded) and retried until the first ended
    sagemaker.quota = 1
    monkeypatch.setattr(RemoteLauncher, "quota_first_delay", 0.1)
    result = CliRunner().invoke(
        cli(),
        [
            "study",
            "run",
            str(study_file),
            "--executor",
            "sagemaker",
            "--max-parallel",
            "2",
            "--role",
            ROLE,
            "--endpoint-url",
            sagemaker.endpoint,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 run(s) finished, 0 already done, 0 failed" in result.output
    assert "study on-sm: 4/4 done, 0 running, 0 failed" in result.output
    assert sagemaker.rejected and sagemaker.max_live == 1
    assert len(sagemaker.requests) == 1 + 4
    for request in sagemaker.requests:
        assert request["RoleArn"] == ROLE
        assert request["AlgorithmSpecification"]["TrainingImage"] == IMAGE
        assert request["HyperParameters"]["st_launcher"] == JOB_SCRIPT
        assert request["HyperParameters"]["st_s3_path"] == f"s3://{BUCKET}/{PREFIX}"
    launched = sorted(r["HyperParameters"]["st_launcher_args"] for r in sagemaker.requests[1:])
    assert launched == sorted(
        f"--study-file on-sm.toml --method {c.method} --benchmark branin --seed {c.seed}"
        for c in study.combinations()
    )
    stored = _objects(sagemaker)
    for combo in study.combinations():
        for file in ("metadata.json", "study.json", "results.csv.zip", "tuner.dill"):
            assert f"{PREFIX}/{combo.tuner_name}/{file}" in stored
        # each run is here too, tagged, with its marker
        exp = load_experiment(combo.folder())
        tags = {k: exp.metadata[k] for k in ("study", "method", "benchmark", "seed")}
        assert tags == {
            "study": "on-sm",
            "method": combo.method,
            "benchmark": "branin",
            "seed": combo.seed,
        }
        assert exp.results["trial_id"].nunique() >= 5
        assert json.loads((combo.folder() / "study.json").read_text())["status"] == "finished"

    # from a fresh $SYNETUNE_FOLDER: every run is finished in S3, so nothing starts again and
    # nothing in S3 is rewritten; the finished runs are brought here
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "second-machine"))
    again = run_study(study_file, executor="sagemaker", sagemaker=options)
    assert again.skipped == 4 and again.finished == 0 and not again.failed
    assert len(sagemaker.requests) == 5
    assert _objects(sagemaker) == stored
    assert (tmp_path / "second-machine" / "on-sm-REA-branin-1" / "study.json").is_file()

    # the report on a third machine finds the runs through the experiment stores (S3)
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "third-machine"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", sagemaker.endpoint)  # the s3 store's boto3 client
    out = tmp_path / "report"
    report = CliRunner().invoke(cli(), ["study", "report", str(study_file), "-o", str(out)])
    assert report.exit_code == 0, report.output
    table = pd.read_csv(out / "summary.csv")
    rows = table[table["benchmark"] == "branin"].set_index("method")
    assert sorted(rows.index) == ["REA", "RS"]
    assert (rows["runs"] == 2).all()
    fetched = load_experiment(tmp_path / "third-machine" / "on-sm-RS-branin-0")
    best = fetched.results["y"].min()
    assert best == load_experiment(synetune_folder / "on-sm-RS-branin-0").results["y"].min()
    assert (out / "branin.png").stat().st_size > 0


def test_missing_role_is_an_error_before_any_job(study_file, sagemaker):
    with pytest.raises(StudyError, match="needs the IAM role the jobs run as: pass --role"):
        run_study(study_file, executor="sagemaker")
    result = CliRunner().invoke(cli(), ["study", "run", str(study_file), "--executor", "sagemaker"])
    assert result.exit_code != 0
    assert "needs the IAM role" in result.output
    with pytest.raises(StudyError, match="not an IAM role ARN"):
        run_study(
            study_file,
            executor="sagemaker",
            sagemaker={"role": "my-role", "endpoint_url": sagemaker.endpoint},
        )
    assert sagemaker.requests == [] and _objects(sagemaker) == {}


def test_unknown_sagemaker_setting_in_the_study_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(STUDY.replace("poll_interval", "pol_interval"))
    with pytest.raises(StudyError, match=r"unknown \[sagemaker\] key\(s\) \['pol_interval'\]"):
        load_study(path)


def test_a_job_still_running_from_an_earlier_runner_is_waited_on_not_started_again(
    study_file, sagemaker, tmp_path
):
    from synetune_plugin_study import on_sagemaker

    study = load_study(study_file)
    combo = study.combinations(methods=["RS"], seeds=[0])[0]
    given = {"role": ROLE, "endpoint_url": sagemaker.endpoint}
    options = on_sagemaker.resolve_options(study, given)
    # what an earlier runner, killed since, had started (slow to provision: still running when
    # the next runner looks)
    sagemaker.startup_delay = 1.0
    code = tmp_path / "earlier-runner"
    code.mkdir()
    (code / JOB_SCRIPT).write_text(on_sagemaker._SCRIPT)
    (code / study_file.name).write_text(study_file.read_text())
    earlier = on_sagemaker._launcher(study, combo, code, options, 0).run(wait=False)
    assert earlier.name.startswith(on_sagemaker.job_prefix(combo) + "-")

    run = run_study(study_file, methods=["RS"], seeds=[0], executor="sagemaker", sagemaker=given)
    assert run.finished == 1 and not run.failed, run.failed
    assert [r["TrainingJobName"] for r in sagemaker.requests] == [earlier.name]
    assert json.loads((combo.folder() / "study.json").read_text())["status"] == "finished"


def test_a_run_that_fails_in_its_job_is_reported_with_its_error(tmp_path, sagemaker, study_file):
    path = tmp_path / "broken.py"
    path.write_text(
        "def broken(**kwargs):\n"
        "    raise RuntimeError('this method is broken')\n\n\n"
        "study = {\n"
        "    'name': 'broken', 'seeds': [0], 'benchmarks': ['branin'],\n"
        "    'methods': {'B': {'scheduler': broken, 'multi_objective': False}},\n"
        "    'stop': {'max_num_trials_finished': 3},\n"
        f"    'sagemaker': {{'image_uri': {IMAGE!r}, 's3_path': 's3://{BUCKET}/{PREFIX}',\n"
        "                  'poll_interval': 0.1, 'role': " + repr(ROLE) + "},\n"
        "}\n"
    )
    options = {"endpoint_url": sagemaker.endpoint}
    run = run_study(path, executor="sagemaker", sagemaker=options)
    assert run.finished == 0
    error = run.failed["broken-B-branin-0"]
    assert "ended Failed" in error and "RuntimeError: this method is broken" in error
    # it failed before its tuner existed: no experiment to sync, so a rerun starts it again
    listed = sagemaker.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/broken-B-branin-0/")
    assert listed.get("KeyCount", 0) == 0


class _InterruptWhenRunning:
    """A progress stream that plays Ctrl-C once a job runs."""

    def write(self, text: str) -> None:
        if " 1 running" in text:
            raise KeyboardInterrupt

    def flush(self) -> None:
        pass


def test_an_interrupted_runner_stops_its_jobs(study_file, sagemaker):
    sagemaker.startup_delay = 1.0  # the job is still running when the runner is interrupted
    given = {"role": ROLE, "endpoint_url": sagemaker.endpoint}
    with pytest.raises(KeyboardInterrupt):
        run_study(
            study_file,
            methods=["RS"],
            seeds=[0],
            executor="sagemaker",
            sagemaker=given,
            progress=_InterruptWhenRunning(),
        )
    sagemaker.wait_idle(timeout=30)
    (request,) = sagemaker.requests
    name = request["TrainingJobName"]
    assert name.startswith("on-sm-RS-branin-0-")
    assert set(sagemaker.stop_calls) == {name}
    assert sagemaker.jobs()[name].training_job_status == "Stopped"
