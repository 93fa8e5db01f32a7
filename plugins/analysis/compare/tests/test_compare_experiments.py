"""Comparing experiments: grouping by method, aggregating seeds, the summary, the plot, and
``synetune experiments plot`` of several experiments (a command this plugin adds to the kernel's
``experiments`` group)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import synetune_plugin_compare
from click.testing import CliRunner
from synetune_plugin_compare import ExperimentComparison, MethodCurve, compare_experiments

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.plugin_api import cli
from synetune_sdk.config_space import uniform
from synetune_sdk.testing import RandomScheduler, ThreadBackend, quadratic

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


def assert_nontrivial_png(path: Path, width: int = 800, height: int = 500) -> None:
    """The file is a PNG of the expected size holding a real drawing, not a blank canvas."""
    import matplotlib.image

    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    gray = pixels[..., :3].mean(axis=2)
    assert gray.std() > 0.05  # variance: lines, text, markers on the background
    assert (gray < 0.9).mean() > 0.01  # at least 1 % of the pixels are drawn on


@pytest.fixture
def six_runs() -> list[str]:
    names = []
    for method, kwargs in (("random", {}), ("stopping", {"stop_above": 0.6})):
        for seed in range(3):
            name = f"cmp-{method}-{seed}"
            run(name, seed=seed, method=method, trials=4, **kwargs)
            names.append(name)
    return names


# ------------------------------------------------------------------------------ the package
def test_public_api_is_lazy_and_importing_the_plugin_is_cheap():
    code = (
        "import sys, synetune_plugin_compare as p; "
        "print([m for m in ('numpy', 'pandas', 'matplotlib') if m in sys.modules]); "
        "p.compare_experiments; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "False"]
    assert {"compare_experiments", "ExperimentComparison", "MethodCurve"} <= set(
        synetune_plugin_compare.__all__
    )
    with pytest.raises(AttributeError, match="no_such_name"):
        synetune_plugin_compare.no_such_name  # noqa: B018


def test_plugin_is_listed_and_replaces_the_plot_command():
    info = {i.name: i for i in synetune.plugins.list()}["synetune-plugin-compare"]
    assert info.error is None
    plot = cli().commands["experiments"].commands["plot"]
    assert plot.callback.__module__ == "synetune_plugin_compare.commands"
    assert {"aggregate", "group_by", "per_trial"} <= {p.name for p in plot.params}


# ------------------------------------------------------------------------------ comparison
def test_comparison_groups_by_method_and_aggregates_seeds(six_runs, tmp_path):
    comparison = compare_experiments(["cmp-*"])
    assert isinstance(comparison, ExperimentComparison)
    assert sorted(comparison.groups()) == ["random", "stopping"]
    curves = {c.method: c for c in comparison.curves(num_points=50)}
    random = curves["random"]
    assert isinstance(random, MethodCurve)
    assert sorted(random.seeds) == [0, 1, 2] and random.values.shape == (3, 50)
    # at the end of the grid every run has its final best value; the mean is their mean
    finals = [load_experiment(f"cmp-random-{s}").results["loss"].min() for s in range(3)]
    order = [exp.name for exp in comparison.groups()["random"]]
    assert order == ["cmp-random-0", "cmp-random-1", "cmp-random-2"]  # oldest first
    assert random.values[:, -1].tolist() == pytest.approx(finals)
    assert random.center[-1] == pytest.approx(np.mean(finals))
    assert np.all(random.lower[-1] <= random.center[-1]) and random.upper[-1] >= random.center[-1]
    # before a run's first result it has no value; best so far never gets worse
    assert np.isnan(random.values[:, 0]).all()
    for row in random.values:
        known = row[~np.isnan(row)]
        assert np.all(np.diff(known) <= 0)
    # the aggregate starts once all runs reported, so it never jumps up either
    defined = ~np.isnan(random.center)
    assert np.array_equal(defined, ~np.isnan(random.values).any(axis=0)) and defined.any()
    assert np.all(np.diff(random.center[defined]) <= 1e-12)
    median = {c.method: c for c in comparison.curves(aggregate="median_percentiles")}
    assert median["random"].center[-1] == pytest.approx(np.median(finals))

    summary = comparison.summary()
    assert list(summary["method"]) == sorted(
        ["random", "stopping"], key=lambda m: summary.set_index("method").loc[m, "mean_loss"]
    )
    row = summary.set_index("method").loc["random"]
    assert row["runs"] == 3 and row["mean_loss"] == pytest.approx(np.mean(finals))
    assert row["best_loss"] == pytest.approx(min(finals))

    fig = comparison.plot(figure_path=tmp_path / "compare.png")
    assert len(fig.axes[0].lines) == 2
    assert_nontrivial_png(tmp_path / "compare.png")
    by_seed = compare_experiments(six_runs, method=lambda e: f"seed {e.seed()}")
    assert sorted(by_seed.groups()) == ["seed 0", "seed 1", "seed 2"]
    by_key = compare_experiments(six_runs, method="seed")
    assert sorted(by_key.groups()) == ["0", "1", "2"]
    with pytest.raises(ValueError, match="aggregate"):
        comparison.curves(aggregate="best")
    with pytest.raises(FileNotFoundError, match="nothing-\\*"):
        compare_experiments(["nothing-*"])
    with pytest.raises(ValueError, match="at least one"):
        compare_experiments([])


# ------------------------------------------------------------------------------ CLI
def test_cli_plots_one_experiment_or_compares_several(six_runs, tmp_path):
    runner = CliRunner()
    group = cli()
    one = tmp_path / "one.png"
    result = runner.invoke(group, ["experiments", "plot", "cmp-random-0", "-o", str(one)])
    assert result.exit_code == 0, result.output
    assert f"wrote {one}" in result.output
    assert_nontrivial_png(one)
    trials = tmp_path / "trials.png"
    result = runner.invoke(
        group, ["experiments", "plot", "cmp-random-0", "--trials", "-o", str(trials)]
    )
    assert result.exit_code == 0, result.output
    assert_nontrivial_png(trials)

    many = tmp_path / "many.png"
    result = runner.invoke(
        group,
        ["experiments", "plot", "cmp-*", "-o", str(many), "--aggregate", "median_percentiles"],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["method", "runs", "seeds"]
    assert {line.split()[0] for line in lines[1:3]} == {"random", "stopping"}
    assert f"wrote {many}" in result.output
    assert_nontrivial_png(many)

    by_seed = tmp_path / "by_seed.png"
    names = ["cmp-random-0", "cmp-stopping-0", "cmp-random-1"]
    result = runner.invoke(
        group, ["experiments", "plot", *names, "--group-by", "seed", "-o", str(by_seed)]
    )
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()[1:3]] in (["0", "1"], ["1", "0"])

    result = runner.invoke(group, ["experiments", "plot", "cmp-*", "--trials", "-o", str(many)])
    assert result.exit_code != 0 and "--trials plots one experiment" in result.output
    result = runner.invoke(group, ["experiments", "plot", "zzz-*", "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "no experiment matches" in result.output
    result = runner.invoke(
        group, ["experiments", "plot", "cmp-random-0", "nope", "-o", str(tmp_path / "x.png")]
    )
    assert result.exit_code != 0 and "no experiment 'nope'" in result.output
    result = runner.invoke(
        group, ["experiments", "plot", "cmp-*", "--metric", "acc", "-o", str(tmp_path / "x.png")]
    )
    assert result.exit_code != 0 and "no result for metric 'acc'" in result.output


def test_plot_of_simulated_runs_says_simulated_time(synetune_folder):
    import json

    for name in ("sim-a", "sim-b", "wall"):
        run(name, trials=2)
    for name in ("sim-a", "sim-b"):
        path = synetune_folder / name / "metadata.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "backend": "SimulatorBackend"}))
    simulated = compare_experiments(["sim-a", "sim-b"])
    assert simulated.plot().axes[0].get_xlabel() == "simulated time (s)"
    assert compare_experiments(["wall"]).plot().axes[0].get_xlabel() == "wallclock time (s)"
    mixed = compare_experiments(["sim-a", "wall"])
    assert mixed.plot().axes[0].get_xlabel() == "time (s), simulated and wallclock"
