"""Experiment names and paths given to ``synetune resume`` / ``synetune experiments show`` and
``load_experiment``: a bare NAME stays under $SYNETUNE_FOLDER, an explicit path must be a
folder that holds an experiment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

from synetune import StoppingCriterion, Tuner
from synetune.cli import cli
from synetune.config_space import uniform
from synetune.experiments import ExperimentPathError, load_experiment, resolve_experiment_path


def run(name: str) -> Tuner:
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler({"x": uniform(0.0, 1.0), "epochs": 2}, seed=0),
        stop_criterion=StoppingCriterion(max_num_trials_started=2),
        n_workers=1,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()
    return tuner


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    """An empty current folder, tmp_path/work/cwd ($SYNETUNE_FOLDER is tmp_path/synetune-results,
    so the same relative path means different folders from either)."""
    folder = tmp_path / "work" / "cwd"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def events_of(path: Path) -> str:
    return (path / "events.jsonl").read_text()


def test_bare_name_resolves_under_synetune_folder(synetune_folder, cwd):
    run("good")
    assert resolve_experiment_path("good") == synetune_folder / "good"
    with pytest.raises(FileNotFoundError, match="no experiment 'missing' in"):
        resolve_experiment_path("missing")


def test_resume_of_a_relative_path_does_not_read_outside_synetune_folder(
    synetune_folder, tmp_path, cwd
):
    # an experiment outside $SYNETUNE_FOLDER that "$SYNETUNE_FOLDER/../elsewhere/victim" reaches
    tuner = run("victim")
    victim = tmp_path / "elsewhere" / "victim"
    victim.parent.mkdir()
    shutil.move(str(tuner.tuner_path), str(victim))
    before = events_of(victim)

    result = CliRunner().invoke(cli, ["resume", "../elsewhere/victim"])

    assert result.exit_code != 0
    assert "'../elsewhere/victim' does not exist" in result.output
    assert events_of(victim) == before  # not resumed


def test_experiments_show_of_a_folder_without_an_experiment_is_rejected(synetune_folder, cwd):
    run("good")
    result = CliRunner().invoke(cli, ["experiments", "show", "../../.."])
    assert result.exit_code != 0
    assert "holds no experiment (no metadata.json or events.jsonl)" in result.output
    with pytest.raises(ExperimentPathError, match="holds no experiment"):
        load_experiment("../../synetune-results/..")


@pytest.mark.parametrize("bad", ["..", "."])
def test_dot_names_are_paths_that_must_hold_an_experiment(synetune_folder, cwd, bad):
    run("good")
    with pytest.raises(ExperimentPathError, match="holds no experiment"):
        resolve_experiment_path(bad)
    result = CliRunner().invoke(cli, ["resume", bad])
    assert result.exit_code != 0 and "holds no experiment" in result.output


def test_names_that_are_not_folder_names_are_rejected(synetune_folder, cwd):
    with pytest.raises(ExperimentPathError, match="not a valid experiment name"):
        resolve_experiment_path("bad\x00name")
    with pytest.raises(ExperimentPathError, match="not a valid experiment name"):
        resolve_experiment_path("")


def test_explicit_path_must_be_an_existing_folder_holding_an_experiment(
    synetune_folder, tmp_path, cwd
):
    tuner = run("good")
    assert resolve_experiment_path(tuner.tuner_path) == tuner.tuner_path
    assert resolve_experiment_path(str(tuner.tuner_path)) == tuner.tuner_path
    relative = "../../synetune-results/good"
    assert resolve_experiment_path(relative) == Path(relative)
    (cwd / "notes.txt").write_text("hello")
    with pytest.raises(ExperimentPathError, match="is not a folder"):
        resolve_experiment_path("./notes.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_experiment_path(tmp_path / "nowhere")
    # a folder with only the event log (a run killed before its metadata) is an experiment
    killed = tmp_path / "killed"
    killed.mkdir()
    shutil.copy(tuner.tuner_path / "events.jsonl", killed / "events.jsonl")
    assert resolve_experiment_path(killed) == killed
    assert len(load_experiment(killed).results) == len(load_experiment("good").results)


def test_experiments_show_still_takes_names_and_paths(synetune_folder, cwd):
    tuner = run("good")
    runner = CliRunner()
    by_name = runner.invoke(cli, ["experiments", "show", "good"])
    assert by_name.exit_code == 0, by_name.output
    by_path = runner.invoke(cli, ["experiments", "show", str(tuner.tuner_path)])
    assert by_path.exit_code == 0, by_path.output
    assert by_name.output == by_path.output
    missing = runner.invoke(cli, ["experiments", "show", "no-such-run"])
    assert missing.exit_code != 0 and "no experiment 'no-such-run'" in missing.output
