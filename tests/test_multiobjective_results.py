"""Several metrics in the results API: metric_mode per metric, Pareto front, hypervolume (over
time), ``synetune experiments show`` of the front, and bad input around modes and missing values.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from kernel_helpers import RandomScheduler, ThreadBackend

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.cli import cli
from synetune.config_space import uniform
from synetune.experiments import ExperimentResult
from synetune_sdk.multiobjective import hypervolume


def experiment(df: pd.DataFrame, modes, metadata=None) -> ExperimentResult:
    meta = {"metric_names": ["err", "acc"], "metric_mode": modes, **(metadata or {})}
    return ExperimentResult("mo", Path("."), df, meta)


def table(rng, n=40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trial_id": np.arange(n) // 2,
            "err": rng.random(n),
            "acc": rng.random(n),
            "st_tuner_time": rng.permutation(n).astype(float),
            "config_x": rng.random(n),
        }
    )


def brute_front(points: np.ndarray) -> set[int]:
    """Indices of rows no other row dominates (minimisation)."""
    return {
        i for i, p in enumerate(points) if not any(np.all(q <= p) and np.any(q < p) for q in points)
    }


def test_front_and_hypervolume_follow_each_metrics_mode():
    df = table(np.random.default_rng(0))
    exp = experiment(df, ["min", "max"])
    assert exp.metric_mode() == ["min", "max"]
    points = np.c_[df["err"], -df["acc"]]
    front = exp.pareto_front()
    assert set(zip(front["err"], front["acc"])) == {
        (df["err"][i], df["acc"][i]) for i in brute_front(points)
    }
    assert front["st_tuner_time"].is_monotonic_increasing  # time order
    ref = exp.reference_point()
    worst = np.array([df["err"].max(), df["acc"].min()])
    np.testing.assert_allclose(ref, worst + 0.1 * (worst - [df["err"].min(), df["acc"].max()]))
    assert ref[1] < df["acc"].min()  # "max": the reference lies below every value
    expected = hypervolume(points, [ref[0], -ref[1]])
    assert exp.hypervolume() == pytest.approx(expected)
    assert exp.hypervolume([1.0, 0.0]) == pytest.approx(hypervolume(points, [1.0, 0.0]))
    # the same data stated as two "min" metrics gives another front
    assert len(experiment(df, "min").pareto_front()) == len(brute_front(df[["err", "acc"]].values))


def test_hypervolume_over_time_is_the_hypervolume_of_the_results_so_far():
    df = table(np.random.default_rng(1))
    exp = experiment(df, ["min", "max"])
    curve = exp.hypervolume_over_time()
    assert list(curve.columns) == ["st_tuner_time", "hypervolume", "trial_id"]
    assert curve["st_tuner_time"].is_monotonic_increasing and len(curve) == len(df)
    assert np.all(np.diff(curve["hypervolume"]) >= -1e-12)
    assert curve["hypervolume"].iloc[-1] == pytest.approx(exp.hypervolume())
    ordered = df.sort_values("st_tuner_time")
    ref = exp.reference_point()
    k = 10
    first = np.c_[ordered["err"][:k], -ordered["acc"][:k]]
    assert curve["hypervolume"].iloc[k - 1] == pytest.approx(hypervolume(first, [ref[0], -ref[1]]))


def test_missing_metrics_nan_and_infeasible_rows_are_skipped():
    df = pd.DataFrame(
        {
            "trial_id": [0, 1, 2, 3, 4],
            "err": [0.1, np.nan, 0.05, 0.3, "oops"],
            "acc": [0.5, 0.99, np.nan, 0.9, 0.95],
            "cons": [0.0, 0.0, 0.0, 1.0, 0.0],
            "st_tuner_time": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    exp = experiment(df, ["min", "max"])
    assert exp.pareto_front()["trial_id"].tolist() == [0, 3]
    constrained = experiment(df, ["min", "max"], {"constraint_attr": "cons"})
    assert constrained.pareto_front()["trial_id"].tolist() == [0]  # trial 3 is infeasible
    assert len(constrained.hypervolume_over_time()) == 1
    # a metric never reported: nothing to rank, nothing to measure, no crash
    none = experiment(df.drop(columns=["acc"]), ["min", "max"])
    assert len(none.pareto_front()) == 0 and none.hypervolume() == 0.0
    assert len(none.hypervolume_over_time()) == 0
    with pytest.raises(ValueError, match="at least one point"):
        none.reference_point()


def test_bad_reference_point_and_missing_metric_names():
    exp = experiment(table(np.random.default_rng(2)), ["min", "max"])
    with pytest.raises(ValueError, match=r"reference_point has 3 values, expected one per \['err'"):
        exp.hypervolume([1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="reference_point has 1 values"):
        exp.hypervolume_over_time(1.0)
    with pytest.raises(ValueError, match="names no metric"):
        ExperimentResult("x", Path("."), pd.DataFrame(), {}).pareto_front()


def two_metrics(config, report, start_epoch=0):
    for epoch in range(start_epoch + 1, 3):
        report(epoch=epoch, err=(config["x"] - 0.3) ** 2 / epoch, size=config["x"] * 10)


def run_two_metrics(name: str, mode="min") -> Tuner:
    scheduler = synetune.schedulers.create(
        "random_search",
        config_space={"x": uniform(0.0, 1.0)},
        metric=["err", "size"],
        mode=mode,
        random_seed=3,
    )
    tuner = Tuner(
        trial_backend=ThreadBackend(two_metrics),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=12),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()
    return tuner


def test_random_search_with_two_metrics_end_to_end(synetune_folder):
    run_two_metrics("mo-random")
    meta = json.loads((synetune_folder / "mo-random" / "metadata.json").read_text())
    assert meta["metric_names"] == ["err", "size"] and meta["metric_mode"] == ["min", "min"]
    exp = load_experiment("mo-random")
    front = exp.pareto_front()
    rows = exp.results[["err", "size"]].to_numpy(dtype=float)
    assert len(front) == len(brute_front(rows)) > 1
    assert exp.hypervolume() > 0
    out = CliRunner().invoke(cli, ["experiments", "show", "mo-random", "--top", "3"])
    assert out.exit_code == 0, out.output
    assert "objectives: err (min), size (min)" in out.output
    assert f"front:      {len(front)} results, hypervolume " in out.output
    header = [line for line in out.output.splitlines() if line.startswith("trial_id")]
    assert header and header[0].split() == ["trial_id", "err", "size", "x"]
    lines = out.output.splitlines()
    assert len(lines) - lines.index(header[0]) - 1 == min(3, len(front))
    # --metric ranks by one metric as before
    out = CliRunner().invoke(cli, ["experiments", "show", "mo-random", "--metric", "size"])
    assert out.exit_code == 0 and "best:       size=" in out.output


def test_mode_list_of_the_wrong_length_is_refused_at_construction(synetune_folder):
    with pytest.raises(ValueError, match="mode has 3 entries but metric has 2"):
        synetune.schedulers.create(
            "random_search",
            config_space={"x": uniform(0.0, 1.0)},
            metric=["err", "size"],
            mode=["min", "max", "min"],
        )

    class BadModes(RandomScheduler):
        def metric_names(self):
            return ["a", "b"]

        def metric_mode(self):
            return ["min"]

    with pytest.raises(ValueError, match=r"1 modes for the metrics \['a', 'b'\]"):
        Tuner(
            trial_backend=ThreadBackend(two_metrics),
            scheduler=BadModes({"x": uniform(0.0, 1.0)}),
            stop_criterion=StoppingCriterion(max_num_trials_started=1),
            n_workers=1,
        )


def test_a_single_mode_string_in_old_metadata_is_expanded():
    exp = experiment(table(np.random.default_rng(3)), "max")
    assert exp.metric_mode() == ["max", "max"]
    assert exp.metric_and_mode("acc") == ("acc", "max")


TRAIN_MO = """
import argparse
import math

from synetune_sdk import Reporter

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--epochs", type=int, default=2)
args, _ = parser.parse_known_args()
report = Reporter()
for epoch in range(1, args.epochs + 1):
    # the first epoch has no size yet: NaN in one objective
    size = args.x * 10 if epoch > 1 else math.nan
    report(epoch=epoch, err=(args.x - 0.3) ** 2 / epoch, size=size)
"""


def test_local_backend_run_with_nan_in_one_objective(synetune_folder, tmp_path):
    script = tmp_path / "train_mo.py"
    script.write_text(TRAIN_MO)
    scheduler = synetune.schedulers.create(
        "random_search",
        config_space={"x": uniform(0.0, 1.0), "epochs": 2},
        metric=["err", "size"],
        mode=["min", "min"],
        random_seed=1,
    )
    tuner = Tuner(
        trial_backend=synetune.backends.create("local", entry_point=str(script)),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=4),
        n_workers=2,
        tuner_name="mo-local",
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()
    exp = load_experiment("mo-local")
    assert len(exp.results) == 8 and exp.results["size"].isna().sum() == 4
    front = exp.pareto_front()
    assert len(front) >= 1 and (front["epoch"] == 2).all()  # NaN rows never on the front
    usable = exp.results[exp.results["size"].notna()]
    expected = hypervolume(usable[["err", "size"]].to_numpy(float), exp.reference_point())
    assert exp.hypervolume() == pytest.approx(expected)
    assert len(exp.hypervolume_over_time()) == 4
