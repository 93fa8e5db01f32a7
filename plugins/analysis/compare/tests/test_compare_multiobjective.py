"""Runs with several metrics: comparison by hypervolume so far on one reference point, the Pareto
front and hypervolume plots, and ``synetune experiments plot`` of such runs."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from synetune_plugin_compare import (
    HYPERVOLUME,
    common_reference_point,
    compare_experiments,
    plot_hypervolume,
    plot_multiobjective,
    plot_pareto_front,
)

from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.plugin_api import cli
from synetune_sdk.config_space import uniform
from synetune_sdk.multiobjective import hypervolume
from synetune_sdk.testing import RandomScheduler, ThreadBackend

SPACE = {"x": uniform(0.0, 1.0), "epochs": 3}


class TwoMetrics(RandomScheduler):
    """Random search tuning ``err`` (min) and ``acc`` (max)."""

    def __init__(self, *args, names=("err", "acc"), modes=("min", "max"), **kwargs):
        super().__init__(*args, **kwargs)
        self.names, self.modes = list(names), list(modes)

    def metric_names(self):
        return self.names

    def metric_mode(self):
        return self.modes


def objective(config, report, start_epoch=0):
    x = config["x"]
    for epoch in range(start_epoch + 1, config["epochs"] + 1):
        report(epoch=epoch, err=x**2 + 0.1 / epoch, acc=1 - (1 - x) ** 2 - 0.05 / epoch, c=x)


def run(name: str, seed: int, method: str, trials: int = 6, **kwargs) -> None:
    Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=TwoMetrics(SPACE, seed=seed, **kwargs),
        stop_criterion=StoppingCriterion(max_num_trials_started=trials),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
        metadata={"method": method, "seed": seed},
    ).run()


@pytest.fixture
def mo_runs(synetune_folder) -> list[str]:
    names = []
    for method, trials in (("few", 2), ("many", 8)):
        for seed in range(2):
            names.append(f"mo-{method}-{seed}")
            run(names[-1], seed, method, trials=trials)
    return names


def test_runs_with_several_metrics_compare_by_hypervolume_on_one_reference(mo_runs):
    comparison = compare_experiments(["mo-*"])
    assert comparison.metric == HYPERVOLUME and comparison.mode == "max"
    runs = [load_experiment(n) for n in mo_runs]
    # the common reference point: 10% of the range beyond the worst value over all runs
    err = np.concatenate([r.results["err"] for r in runs])
    acc = np.concatenate([r.results["acc"] for r in runs])
    expected = [err.max() + 0.1 * np.ptp(err), acc.min() - 0.1 * np.ptp(acc)]
    assert comparison.reference_point == pytest.approx(expected)
    assert common_reference_point(runs) == pytest.approx(expected)
    summary = comparison.summary().set_index("method")
    for method in ("few", "many"):
        finals = [
            hypervolume(np.c_[r.results["err"], -r.results["acc"]], [expected[0], -expected[1]])
            for r in runs
            if r.method() == method
        ]
        assert summary.loc[method, "mean_hypervolume"] == pytest.approx(np.mean(finals))
    curves = {c.method: c for c in comparison.curves(num_points=50)}
    final = curves["many"].values[:, -1]
    assert np.all(np.diff(curves["many"].values[0][~np.isnan(curves["many"].values[0])]) >= 0)
    assert final == pytest.approx(
        [
            hypervolume(np.c_[r.results["err"], -r.results["acc"]], [expected[0], -expected[1]])
            for r in runs
            if r.method() == "many"
        ]
    )
    # an explicit reference point is taken as given; one metric by name still works
    fixed = compare_experiments(mo_runs, reference_point=[1.0, 0.0])
    assert fixed.reference_point == [1.0, 0.0]
    assert compare_experiments(mo_runs, metric="err").metric == "err"


def test_runs_of_different_metrics_do_not_compare(mo_runs):
    run("mo-other", 0, "other", trials=2, names=("err", "c"), modes=("min", "min"))
    with pytest.raises(ValueError, match="tune different metrics"):
        compare_experiments(["mo-few-0", "mo-other"])
    with pytest.raises(ValueError, match="reference_point has 3 values"):
        compare_experiments(mo_runs, reference_point=[1, 2, 3])


def test_front_and_hypervolume_plots(mo_runs, tmp_path):
    exp = load_experiment("mo-many-0")
    fig = plot_pareto_front(exp, figure_path=tmp_path / "front.png")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "err (min)" and ax.get_ylabel() == "acc (max)"
    front_points = ax.collections[1].get_offsets()
    assert len(front_points) == len(exp.pareto_front())
    fig = plot_hypervolume(exp, figure_path=tmp_path / "hv.png")
    line = fig.axes[0].lines[0]
    assert line.get_ydata()[-1] == pytest.approx(exp.hypervolume())
    fig = plot_multiobjective(exp, figure_path=tmp_path / "both.png")
    assert len(fig.axes) == 2 and (tmp_path / "both.png").stat().st_size > 10_000
    run("mo-three", 0, "three", trials=3, names=("err", "acc", "c"), modes=("min", "max", "min"))
    three = load_experiment("mo-three")
    assert len(plot_multiobjective(three).axes) == 1  # hypervolume only
    with pytest.raises(ValueError, match="two metrics"):
        plot_pareto_front(three)


def test_experiments_plot_command_of_runs_with_several_metrics(mo_runs, tmp_path):
    runner = CliRunner()
    out = tmp_path / "one.png"
    result = runner.invoke(cli(), ["experiments", "plot", "mo-many-0", "-o", str(out)])
    assert result.exit_code == 0, result.output
    exp = load_experiment("mo-many-0")
    assert f"front: {len(exp.pareto_front())} results" in result.output and out.exists()
    result = runner.invoke(
        cli(),
        [
            "experiments",
            "plot",
            "mo-*",
            "-o",
            str(tmp_path / "all.png"),
            "--reference-point",
            "1,0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "mean_hypervolume" in result.output and (tmp_path / "all.png").exists()
    # --metric plots one metric as before; a bad reference point is a clear error
    result = runner.invoke(
        cli(),
        ["experiments", "plot", "mo-many-0", "--metric", "acc", "-o", str(tmp_path / "a.png")],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli(),
        ["experiments", "plot", "mo-*", "-o", str(tmp_path / "x.png"), "--reference-point", "a,b"],
    )
    assert result.exit_code != 0 and "comma-separated numbers" in result.output
