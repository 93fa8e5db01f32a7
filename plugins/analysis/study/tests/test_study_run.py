"""End to end: the example study in a small form, its report, and a runner killed mid-study."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from synetune_plugin_study import load_study, run_study, study_report

import synetune
from synetune import load_experiment
from synetune.plugin_api import cli

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "study" / "compare_methods.toml"


def small_example(folder: Path) -> Path:
    """The example study with 2 seeds and 5 finished trials per run, as a Python study file."""
    data = tomllib.loads(EXAMPLE.read_text())
    data.update(seeds=[0, 1], stop={"max_num_trials_finished": 5})
    path = folder / "small.py"
    path.write_text(f"study = {data!r}\n")
    return path


def test_example_study_runs_and_reports(tmp_path, synetune_folder):
    path = small_example(tmp_path)
    study = load_study(path)
    runner = CliRunner()
    result = runner.invoke(cli(), ["study", "run", str(path), "--max-parallel", "2"])
    assert result.exit_code == 0, result.output
    assert "20 run(s) finished, 0 already done, 0 failed" in result.output
    for combo in study.combinations():
        exp = load_experiment(combo.folder())
        tags = {k: exp.metadata[k] for k in ("study", "method", "benchmark", "seed")}
        assert tags == {
            "study": "compare-methods",
            "method": combo.method,
            "benchmark": combo.benchmark,
            "seed": combo.seed,
        }
        assert exp.results.groupby("trial_id").ngroups >= 5
        assert json.loads((combo.folder() / "study.json").read_text())["status"] == "finished"
    again = runner.invoke(cli(), ["study", "run", str(path), "--method", "RS,ASHA"])
    assert again.exit_code == 0, again.output
    assert "0 run(s) finished, 8 already done" in again.output

    out = tmp_path / "report"
    report = runner.invoke(cli(), ["study", "report", str(path), "-o", str(out)])
    assert report.exit_code == 0, report.output
    for name in ("branin-lc.png", "digits-mlp.png", "regret.png", "rank.png", "summary.md"):
        assert (out / name).stat().st_size > 0
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == 5 * 2 + 5  # per benchmark and method, then per method over both
    assert set(table["method"]) == set(study.methods)
    assert table["final_regret"].between(0, 1).all()
    assert table["final_rank"].between(1, 5).all()
    # ranks of the 5 methods on one benchmark average to 3
    for _, group in table[table["benchmark"] != "(all)"].groupby("benchmark"):
        assert abs(group["final_rank"].mean() - 3.0) < 1e-9
    assert "| benchmark | method |" in (out / "summary.md").read_text()


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.is_file() and p.name != ".synetune.lock"
    }


def _rows(folder: Path) -> set[tuple]:
    results = load_experiment(folder).results
    return set(zip(results["trial_id"], results["epoch"], results["y"], strict=True))


def test_killed_runner_keeps_finished_runs_and_resumes_the_rest(tmp_path, synetune_folder):
    path = tmp_path / "kill.toml"
    path.write_text(
        'name = "kill"\nseeds = "0-3"\nbenchmarks = ["branin-lc"]\n'
        '[methods]\nRS = "random_search"\n[stop]\nmax_num_trials_finished = 80\n'
    )
    study = load_study(path)
    folders = [c.folder() for c in study.combinations()]
    runner = subprocess.Popen(
        [sys.executable, "-m", "synetune", "study", "run", str(path), "--max-parallel", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    deadline = time.time() + 120
    finished: list[Path] = []
    interrupted: list[Path] = []
    while time.time() < deadline and runner.poll() is None:
        finished = [f for f in folders if (f / "study.json").exists()]
        interrupted = [
            f for f in folders if (f / "tuner.dill").exists() and not (f / "study.json").exists()
        ]
        # two interrupted runs: one may still end between now and the workers' exit (they
        # notice the kill within 0.2 s, later on a loaded machine), the one started last will not
        if finished and len(interrupted) >= 2:
            break
        time.sleep(0.05)
    assert runner.poll() is None, "the study ended before it could be killed: make it longer"
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    time.sleep(1.0)  # the workers notice their runner is gone and exit
    finished = [f for f in folders if (f / "study.json").exists()]
    kept = {f.name: _digest(f) for f in finished}
    assert 0 < len(finished) < len(folders)
    started = [f for f in folders if f not in finished and (f / "tuner.dill").exists()]
    before = {f.name: _rows(f) for f in started}

    result = run_study(path, max_parallel=2)
    assert not result.failed
    assert result.skipped == len(finished)
    assert result.finished == len(folders) - len(finished)
    assert set(result.markers).isdisjoint(kept)  # finished runs were not run again
    for name, digest in kept.items():
        assert _digest(synetune_folder / name) == digest
    assert any(marker["resumed"] for marker in result.markers.values())
    for name, rows in before.items():  # resumed: what was reported before the kill is kept
        assert rows and rows <= _rows(synetune_folder / name)
    for folder in folders:
        results = load_experiment(folder).results
        # a trial running at the kill is started again (no checkpoint), but ends only once
        last_epochs = results[results["epoch"] == 81]["trial_id"]
        assert last_epochs.is_unique and len(last_epochs) >= 80
    again = run_study(path, max_parallel=2)
    assert again.skipped == len(folders) and again.finished == 0


def test_multi_objective_study_reports_hypervolume(tmp_path, synetune_folder):
    path = tmp_path / "mo.toml"
    path.write_text(
        'name = "mo"\nseeds = [0, 1]\nbenchmarks = ["zdt1"]\n'
        '[methods]\nRS = "random_search"\n'
        'GRID = "grid_search"\n'
        "[stop]\nmax_num_trials_finished = 20\n"
    )
    run = run_study(path, max_parallel=2)
    assert run.finished == 4 and not run.failed, run.failed
    report = study_report(path, tmp_path / "out", num_points=20)
    curves = report.curves[0]
    assert curves.label == "hypervolume (max)"
    for values in curves.values.values():  # hypervolume over time never decreases
        assert (np.diff(values[:, np.isfinite(values).all(axis=0)], axis=1) >= -1e-12).all()
    assert (tmp_path / "out" / "zdt1.png").exists()
    svg = study_report(path, tmp_path / "svg", num_points=20, image_format="svg")
    assert {p.name for p in svg.files} >= {"zdt1.svg", "rank.svg"}
    assert (tmp_path / "svg" / "zdt1.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="image_format='gif'"):
        study_report(path, tmp_path / "gif", image_format="gif")


def test_script_benchmark_runs_on_the_local_backend(tmp_path, synetune_folder):
    script = tmp_path / "train.py"
    script.write_text(
        "import argparse\n"
        "from synetune_sdk import Reporter\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument('--x', type=float)\n"
        "args, _ = parser.parse_known_args()\n"
        "Reporter()(loss=(args.x - 0.3) ** 2)\n"
    )
    path = tmp_path / "script_study.py"
    path.write_text(
        "from synetune_sdk.config_space import uniform\n"
        "study = {'name': 'script', 'seeds': [0], 'methods': {'RS': 'random_search'},\n"
        f" 'benchmarks': {{'quad': {{'script': {str(script)!r}, 'metric': 'loss',\n"
        "   'config_space': {'x': uniform(0.0, 1.0)}, 'max_num_trials': 3, 'n_workers': 1}}}\n"
    )
    run = run_study(path, max_parallel=1)
    assert run.finished == 1 and not run.failed, run.failed
    exp = load_experiment(synetune_folder / "script-RS-quad-0")
    assert exp.results["trial_id"].nunique() >= 3
    assert exp.metadata["study_settings"]["benchmark"]["config_space"]["x"]["domain_cls"] == "Float"
    x = exp.results["config_x"]
    assert ((exp.results["loss"] - (x - 0.3) ** 2).abs() < 1e-9).all()


def test_benchmark_of_one_task_runs_on_that_task(tmp_path, synetune_folder):
    path = tmp_path / "tasks.toml"
    path.write_text(
        'name = "tasks"\nseeds = [0]\nbenchmarks = ["mlp-tasks-iris"]\n'
        '[methods]\nASHA = "asha"\n[stop]\nmax_num_trials_finished = 4\n'
    )
    run = run_study(path, max_parallel=1)
    assert run.finished == 1 and not run.failed, run.failed
    results = load_experiment(synetune_folder / "tasks-ASHA-mlp-tasks-iris-0").results
    assert results["trial_id"].nunique() >= 4
    tasks = synetune.blackboxes.load("mlp-tasks")

    def table_values(task: str, row: dict) -> set[float]:  # val_error of the row's config, any seed
        config = {hp: row[f"config_{hp}"] for hp in tasks[task].configuration_space}
        curves = [tasks[task].objective_function(config, row["epoch"], s) for s in range(3)]
        return {round(c["val_error"], 12) for c in curves}

    rows = results.to_dict("records")
    assert all(round(r["val_error"], 12) in table_values("iris", r) for r in rows)
    # the same configurations score otherwise on another task: the task was not ignored
    assert any(round(r["val_error"], 12) not in table_values("wine", r) for r in rows)
