"""Experiment analysis: loading, best trial and checkpoint, plots and the CLI (comparing several
experiments is synetune-plugin-compare's, tested there)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

from synetune import StoppingCriterion, Tuner
from synetune.cli import cli
from synetune.config_space import uniform
from synetune.experiments import ExperimentResult, list_experiments, load_experiment

SPACE = {"x": uniform(0.0, 1.0), "epochs": 4, "sleep": 0.002}


def run(name: str, seed: int = 0, method: str | None = None, trials: int = 6, **kwargs) -> Tuner:
    metadata = {"seed": seed, **({"method": method} if method else {})}
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(SPACE, seed=seed, **kwargs),
        stop_criterion=StoppingCriterion(max_num_trials_started=trials),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
        metadata=metadata,
    )
    tuner.run()
    return tuner


def assert_nontrivial_png(path: Path, width: int = 800, height: int = 500) -> np.ndarray:
    """The file is a PNG of the expected size holding a real drawing, not a blank canvas."""
    import matplotlib.image

    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    gray = pixels[..., :3].mean(axis=2)
    assert gray.std() > 0.05  # variance: lines, text, markers on the background
    assert (gray < 0.9).mean() > 0.01  # at least 1 % of the pixels are drawn on
    return pixels


# ------------------------------------------------------------------------------ one experiment
def test_best_so_far_and_trials_table():
    run("exp-one", seed=3, stop_above=0.6)
    exp = load_experiment("exp-one")
    assert isinstance(exp, ExperimentResult)
    assert exp.method() == "RandomScheduler" and exp.seed() == 3
    assert exp.creation_date() is not None
    df = exp.results.sort_values("st_tuner_time", kind="stable")
    best = exp.best_so_far()
    assert best["loss"].tolist() == pytest.approx(np.minimum.accumulate(df["loss"]).tolist())
    assert best["st_tuner_time"].is_monotonic_increasing
    assert best["trial_id"].iloc[-1] == exp.best_trial()["trial_id"]

    trials = exp.trials()
    assert sorted(trials["trial_id"]) == list(range(6))
    assert trials["best_loss"].is_monotonic_increasing  # best first
    assert set(trials["status"]) <= {"Completed", "Stopped"} and "Stopped" in set(trials["status"])
    per_trial = df.groupby("trial_id")["loss"].min()
    for row in trials.itertuples():
        assert row.best_loss == pytest.approx(per_trial[row.trial_id])
        assert row.num_results == (df["trial_id"] == row.trial_id).sum()
    assert "config_x" in trials.columns and exp.resource_attr() == "epoch"


def test_best_checkpoint_is_the_best_trials_folder():
    tuner = run("exp-ckpt", seed=1)
    exp = load_experiment("exp-ckpt")
    best_id = exp.best_config()["trial_id"]
    with pytest.raises(FileNotFoundError, match="keep_best=True"):
        exp.best_checkpoint()
    folder = tuner.tuner_path / str(best_id) / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "model.pt").write_bytes(b"weights")
    assert exp.best_checkpoint() == folder
    # with the saved tuner, the backend says where checkpoints are
    loaded = load_experiment("exp-ckpt", load_tuner=True)
    assert loaded.best_checkpoint() == folder


def test_plots_are_real_pngs(tmp_path):
    run("exp-plot", seed=2, stop_above=0.6)
    exp = load_experiment("exp-plot")
    fig = exp.plot(figure_path=tmp_path / "best.png")
    assert fig.axes[0].get_ylabel() == "loss"
    assert_nontrivial_png(tmp_path / "best.png")
    fig = exp.plot_trials(figure_path=tmp_path / "trials.png")
    assert len(fig.axes[0].lines) == 6  # one learning curve per trial
    assert fig.axes[0].get_xlabel() == "epoch"
    assert_nontrivial_png(tmp_path / "trials.png")
    fig = exp.plot_trials_over_time(figure_path=tmp_path / "over_time.png", figsize=(6, 4))
    assert fig.axes[0].get_xlabel() == "wallclock time (s)"
    assert_nontrivial_png(tmp_path / "over_time.png", width=600, height=400)
    with pytest.raises(ValueError, match="x='nope'"):
        exp.plot_trials(x="nope")


def test_analysis_without_plotting_does_not_import_matplotlib():
    run("exp-light")
    code = (
        "import sys, synetune; exp = synetune.load_experiment('exp-light'); exp.best_config(); "
        "exp.trials(); exp.best_so_far(); print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------ CLI
@pytest.fixture
def six_runs() -> list[str]:
    names = []
    for method, kwargs in (("random", {}), ("stopping", {"stop_above": 0.6})):
        for seed in range(3):
            name = f"cmp-{method}-{seed}"
            run(name, seed=seed, method=method, trials=4, **kwargs)
            names.append(name)
    return names


def test_cli_list_show_and_plot(six_runs, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["experiments", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "CREATED", "METHOD", "METRIC"]
    assert "cmp-random-0" in result.output and "loss (min)" in result.output
    result = runner.invoke(cli, ["experiments", "list", "cmp-stopping-*", "--names"])
    assert result.output.split() == ["cmp-stopping-0", "cmp-stopping-1", "cmp-stopping-2"]
    assert list_experiments(pattern="cmp-stopping-*") == result.output.split()

    result = runner.invoke(cli, ["experiments", "show", "cmp-stopping-1", "--top", "3"])
    assert result.exit_code == 0, result.output
    exp = load_experiment("cmp-stopping-1")
    best = exp.best_config()
    assert f"by trial {best['trial_id']}" in result.output
    assert f"loss={best['loss']:.6g}" in result.output
    assert "method:     stopping" in result.output and "checkpoint: none kept" in result.output
    table = result.output.split("\n\n")[-1].splitlines()
    assert table[0].split()[:3] == ["trial_id", "status", "num_results"]
    assert len(table) == 4 and table[1].split()[0] == str(best["trial_id"])

    from synetune.plugins import get_plugin_manager

    get_plugin_manager().call_commands_hook(cli)  # `experiments plot` is synetune-plugin-compare's
    one = tmp_path / "one.png"
    result = runner.invoke(cli, ["experiments", "plot", "cmp-random-0", "-o", str(one)])
    assert result.exit_code == 0, result.output
    assert_nontrivial_png(one)
    trials = tmp_path / "trials.png"
    result = runner.invoke(
        cli, ["experiments", "plot", "cmp-random-0", "--trials", "-o", str(trials)]
    )
    assert result.exit_code == 0, result.output
    assert_nontrivial_png(trials)
    result = runner.invoke(cli, ["experiments", "show", "no-such-run"])
    assert result.exit_code != 0 and "no experiment 'no-such-run'" in result.output
    result = runner.invoke(cli, ["experiments", "plot", "zzz-*", "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "no experiment matches" in result.output
