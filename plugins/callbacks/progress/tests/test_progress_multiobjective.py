"""The progress display of a run with several metrics: the Pareto front's size and hypervolume
instead of a best value, the trials on the front highlighted."""

from __future__ import annotations

import io
import re

import dill
import pytest
from rich.console import Console
from synetune_plugin_progress.callback import ProgressCallback

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.config_space import uniform
from synetune_sdk.testing import RandomScheduler, ThreadBackend
from synetune_sdk.trial import Trial


class TwoMetrics(RandomScheduler):
    def metric_names(self):
        return ["err", "acc"]

    def metric_mode(self):
        return ["min", "max"]


def objective(config, report, start_epoch=0):
    x = config["x"]
    for epoch in range(start_epoch + 1, 4):
        report(epoch=epoch, err=x**2 + 0.1 / epoch, acc=1 - (1 - x) ** 2 - 0.05 / epoch)


def test_captured_run_shows_front_size_and_hypervolume(capsys, synetune_folder):
    progress = synetune.callbacks.create("progress", print_interval=0.05)
    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=TwoMetrics({"x": uniform(0.0, 1.0)}, seed=5),
        stop_criterion=StoppingCriterion(max_num_trials_started=6),
        n_workers=2,
        tuner_name="progress-mo",
        suffix_tuner_name=False,
        callbacks=[progress],
    )
    tuner.run()
    out = capsys.readouterr().out
    header = [line for line in out.splitlines() if line.startswith("synetune progress-mo:")][-1]
    exp = load_experiment("progress-mo")
    # every result was shown to the callback: the same front and default reference point
    expected = f"front {len(exp.pareto_front())} results, hypervolume {exp.hypervolume():.6g}"
    assert expected in header and "best " not in header
    with open(tuner.tuner_path / "tuner.dill", "rb") as f:
        saved = dill.load(f)
    (restored,) = [cb for cb in saved.callbacks if isinstance(cb, ProgressCallback)]
    assert restored.front.size == progress.front.size


def test_reference_point_and_incomplete_results():
    from synetune_sdk.context import TuningContext, TuningStatus

    buffer = io.StringIO()
    progress = ProgressCallback(console=Console(file=buffer, width=200), reference_point=[1, 0])
    ctx = TuningContext(
        name="fake",
        tuner_path=None,
        n_workers=1,
        scheduler=TwoMetrics({"x": uniform(0.0, 1.0)}),
        trial_backend=None,
        stop_criterion=StoppingCriterion(max_wallclock_time=60),
        tuning_status=TuningStatus(metric_names=["err", "acc"], trial_status={1: "Completed"}),
        trials={1: Trial(1, {"x": 0.5}, None), 2: Trial(2, {"x": 0.1}, None)},  # type: ignore[arg-type]
        verbose="normal",
    )
    progress.on_tuning_start(ctx)
    for trial_id, result in (
        (1, {"err": 0.5, "acc": 0.5}),
        (2, {"err": 0.2}),
        (2, {"acc": 0.9, "err": float("nan")}),
    ):
        progress.on_trial_result(Trial(trial_id, {}, None), "InProgress", result, "CONTINUE")  # type: ignore[arg-type]
    assert "front 1 results, hypervolume 0.25" in progress.header()
    assert progress.front.skipped == 2
    progress.on_tuning_end()
    assert re.search(r"front 1 results, hypervolume 0\.25", buffer.getvalue())


def test_a_reference_point_of_the_wrong_length_is_refused_at_the_start():
    from synetune_sdk.context import TuningContext, TuningStatus

    progress = ProgressCallback(console=Console(file=io.StringIO()), reference_point=[1, 0, 2])
    ctx = TuningContext(
        name="fake",
        tuner_path=None,
        n_workers=1,
        scheduler=TwoMetrics({"x": uniform(0.0, 1.0)}),
        trial_backend=None,
        stop_criterion=StoppingCriterion(max_wallclock_time=60),
        tuning_status=TuningStatus(metric_names=["err", "acc"]),
        trials={},
        verbose="normal",
    )
    with pytest.raises(ValueError, match="reference_point has 3 values, expected 2"):
        progress.on_tuning_start(ctx)
