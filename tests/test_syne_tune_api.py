"""Syne Tune's API beyond the basics: stop criteria on ``TuningStatus`` (plateau, automatic
termination) and the rough edges of a run (results folder, failure lines, status line, Ctrl-C,
simulated time)."""

from __future__ import annotations

import pickle
from datetime import datetime

import pytest
from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

import synetune
import synetune_sdk.stopping
from synetune import StoppingCriterion, Tuner
from synetune.config_space import (
    choice,
    is_valid_config,
    qlograndint,
    qloguniform,
    qrandint,
    quniform,
    reverseloguniform,
    uniform,
)
from synetune_sdk.context import TuningStatus
from synetune_sdk.trial import Trial, TrialStatus

# ---------------------------------------------------------------------------- domains


def test_bayesopt_searches_quantized_and_reverse_log_domains():
    space = {
        "a": quniform(0.1, 1.0, 0.1),
        "b": qloguniform(0.5, 100.0, 0.5),
        "c": qrandint(1, 10, 3),
        "d": qlograndint(1, 1000, 5),
        "e": reverseloguniform(0.9, 0.9999),
        "epochs": 3,
    }
    searcher = synetune.searchers.create(
        "bayesopt", config_space=space, metric="y", mode="min", random_seed=0
    )
    suggested = []
    for trial_id in range(12):  # past the initial random configurations: the GP proposes
        config = searcher.suggest(trial_id)
        assert is_valid_config(config, space), config
        y = (config["a"] - 0.5) ** 2 + (1 - config["e"]) + config["c"] / 10 + config["d"] / 1e3
        searcher.on_trial_complete(trial_id, config, {"y": y})
        suggested.append(config)
    assert len({tuple(sorted(c.items())) for c in suggested}) == 12


# ---------------------------------------------------------------------------- stop criteria


def feed(status: TuningStatus, values: list[float], metric: str = "y", configs=None) -> None:
    """One finished trial per value, in order, as the tuner would record them."""
    trials = status.__dict__.setdefault("_trials", {})
    for value in values:
        trial_id = len(status.trial_status)
        config = configs[trial_id] if configs else {}
        trials[trial_id] = Trial(trial_id, config, datetime.now())
        status.on_trial_started(trial_id)
        status.on_result(trial_id, {metric: value, "epoch": 1})
        status.on_trial_status(trial_id, TrialStatus.COMPLETED)


def test_stop_criteria_are_exported_from_kernel_and_sdk():
    from synetune.stopping import StoppingCriterion as kernel_criterion

    assert synetune.StoppingCriterion is kernel_criterion is synetune_sdk.stopping.StoppingCriterion
    assert synetune.PlateauStopper is synetune_sdk.stopping.PlateauStopper
    assert synetune.AutomaticTerminationCriterion is (
        synetune_sdk.stopping.AutomaticTerminationCriterion
    )
    # a pickle naming the old place of the class still loads
    data = pickle.dumps(StoppingCriterion(max_num_trials_started=3), protocol=0).replace(
        b"synetune_sdk.stopping", b"synetune.stopping"
    )
    assert b"synetune.stopping" in data
    assert pickle.loads(data) == StoppingCriterion(max_num_trials_started=3)


def test_trial_rows_merge_config_and_latest_result():
    status = TuningStatus(metric_names=["y"])
    feed(status, [3.0, 1.0], configs=[{"x": 0.1}, {"x": 0.2}])
    status.on_result(0, {"y": 2.0, "epoch": 2})
    assert status.trial_rows == {
        0: {"x": 0.1, "y": 2.0, "epoch": 2},
        1: {"x": 0.2, "y": 1.0, "epoch": 1},
    }


def test_plateau_stopper_fires_once_the_best_so_far_is_flat():
    stop = synetune.PlateauStopper(metric="y", std=0.01, num_trials=3)
    status = TuningStatus(metric_names=["y"])
    assert not stop(status)  # nothing finished yet
    feed(status, [5.0, 4.0, 3.0])  # running best 5, 4, 3: std 0.8
    assert not stop(status)
    feed(status, [3.5, 3.2])  # running best ..., 3, 3, 3: flat
    assert stop(status)


def test_plateau_stopper_needs_num_trials_values_and_honours_mode():
    status = TuningStatus(metric_names=["y"])
    feed(status, [1.0, 1.0])
    assert not synetune.PlateauStopper(metric="y", num_trials=3)(status)
    feed(status, [0.5])  # min: best 1, 1, 0.5 is not flat; max: best 1, 1, 1 is
    assert not synetune.PlateauStopper(metric="y", num_trials=3, mode="min")(status)
    assert synetune.PlateauStopper(metric="y", num_trials=3, mode="max")(status)
    assert not synetune.PlateauStopper(metric="other", num_trials=3)(status)


def test_plateau_patience_counts_checks_with_new_results():
    stop = synetune.PlateauStopper(metric="y", std=0.1, num_trials=2, patience=2)
    status = TuningStatus(metric_names=["y"])
    feed(status, [1.0, 1.0])
    # plateaued, but patience wants 3 checks in a row; asking again without new results (the
    # tuner looks ahead before starting a trial) does not count
    assert [stop(status) for _ in range(5)] == [False] * 5
    feed(status, [2.0])
    assert not stop(status)
    feed(status, [2.0])
    assert stop(status) and stop(status)
    feed(status, [-5.0])  # a new best breaks the plateau and resets the count
    assert not stop(status)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "best"},
        {"num_trials": 1},
        {"num_trials": 2.5},
        {"patience": -1},
        {"std": 0},
        {"std": "0.1"},
    ],
)
def test_plateau_stopper_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        synetune.PlateauStopper(metric="y", **kwargs)


SPACE2 = {"x": uniform(0.0, 1.0), "c": choice(["a", "b"]), "epochs": 3}


def synthetic(n: int, seed: int = 0) -> tuple[list[float], list[dict]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    configs = [
        {"x": float(rng.uniform()), "c": str(rng.choice(["a", "b"])), "epochs": 3} for _ in range(n)
    ]
    values = [(c["x"] - 0.3) ** 2 + (0.1 if c["c"] == "a" else 0.0) for c in configs]
    return values, configs


def test_automatic_termination_waits_for_warm_up_then_bounds_the_regret():
    values, configs = synthetic(60)
    loose = synetune.AutomaticTerminationCriterion(SPACE2, "y", threshold=0.5, seed=1, warm_up=10)
    strict = synetune.AutomaticTerminationCriterion(SPACE2, "y", threshold=1e-4, seed=1)
    status = TuningStatus(metric_names=["y"])
    feed(status, values[:9], configs=configs)
    assert not loose(status) and loose.last_bound is None  # fewer than warm_up observations
    feed(status, values[9:10], configs=configs)
    assert loose(status)  # the values span 0.6: the bound is below 0.5 after 10 trials
    early = loose.last_bound
    assert 0 < early < 0.5
    feed(status, values[10:], configs=configs)
    assert loose(status)
    assert loose.last_bound < early  # more data, tighter bound
    assert not strict(status) and strict.last_bound > 1e-4
    # deterministic given the seed
    again = synetune.AutomaticTerminationCriterion(SPACE2, "y", threshold=0.5, seed=1)
    again(status)
    assert again.last_bound == loose.last_bound


def test_automatic_termination_mode_max_and_arguments():
    values, configs = synthetic(30)
    status = TuningStatus(metric_names=["y"])
    feed(status, [-v for v in values], configs=configs)
    stop = synetune.AutomaticTerminationCriterion(SPACE2, "y", threshold=0.2, mode="max", seed=0)
    assert stop(status) and stop.last_bound < 0.2
    with pytest.raises(ValueError):
        synetune.AutomaticTerminationCriterion(SPACE2, "y", threshold=0.1, mode="best")
    with pytest.raises(ValueError):
        synetune.AutomaticTerminationCriterion(SPACE2, "y", threshold=0.1, topq=0)
    with pytest.raises(ValueError):
        synetune.AutomaticTerminationCriterion({"x": uniform(1, 0)}, "y", threshold=0.1)


SPACE = {"x": uniform(0.0, 1.0), "epochs": 2}


def test_plateau_stopper_ends_a_tuner_run():
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(SPACE, metric="loss"),
        # std=10: flat as soon as 4 trials reported
        stop_criterion=synetune.PlateauStopper(metric="loss", std=10.0, num_trials=4),
        n_workers=1,
        tuner_name="plateau",
        verbose="quiet",
    )
    tuner.run()
    assert 4 <= tuner.tuning_status.num_trials_started <= 5


def test_automatic_termination_ends_a_tuner_run():
    stop = synetune.AutomaticTerminationCriterion(SPACE, "loss", threshold=10.0, warm_up=5, seed=0)
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(SPACE, metric="loss"),
        stop_criterion=lambda status: stop(status) or status.num_trials_started > 40,
        n_workers=1,
        tuner_name="automatic-termination",
        verbose="quiet",
    )
    tuner.run()
    assert 5 <= tuner.tuning_status.num_trials_started <= 6
    assert stop.last_bound is not None and stop.last_bound < 10.0


# ---------------------------------------------------------------------------- rough edges


def test_synetune_folder_expands_the_home_directory(tmp_path, monkeypatch):
    from synetune import results as store

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SYNETUNE_FOLDER", "~/runs")
    monkeypatch.chdir(tmp_path)
    assert store.experiment_root() == tmp_path / "home" / "runs"
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(SPACE, metric="loss"),
        stop_criterion=StoppingCriterion(max_num_trials_started=1),
        n_workers=1,
        tuner_name="home",
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()
    assert (tmp_path / "home" / "runs" / "home" / "results.csv.zip").exists()
    assert not (tmp_path / "~").exists()
    assert synetune.load_experiment("home").results["trial_id"].tolist() == [0, 0]


def crash(config, report, start_epoch=0):
    report(epoch=1, loss=1.0)
    raise RuntimeError("boom")


def test_failure_lines_say_when_the_run_stops(capsys):
    tuner = Tuner(
        trial_backend=ThreadBackend(crash),
        scheduler=RandomScheduler(SPACE, metric="loss"),
        stop_criterion=StoppingCriterion(max_num_trials_started=5),
        n_workers=1,
        max_failures=1,
        tuner_name="failures",
        verbose="quiet",
    )
    with pytest.raises(synetune.TrialFailuresError):
        tuner.run()
    err = capsys.readouterr().err
    assert (
        "trial 0 failed (1 failure so far; the run stops after more than max_failures=1):\n"
        "RuntimeError: boom" in err
    )
    assert "trial 1 failed (2 failures so far; the run stops after more than max_failures=1)" in err
    assert "tolerated" not in err
    assert "synetune: stopping, 2 trials failed, more than max_failures=1" in err


def test_failure_line_of_a_result_the_scheduler_rejects(capsys):
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(SPACE, metric="nope", stop_above=1.0),  # KeyError: 'nope'
        stop_criterion=StoppingCriterion(max_num_trials_started=1),
        n_workers=1,
        max_failures=3,
        tuner_name="rejected",
        verbose="quiet",
    )
    tuner.run()
    err = capsys.readouterr().err
    assert (
        "trial 0 failed (1 failure so far; the run stops after more than max_failures=3): "
        "RandomScheduler rejected its result: 'nope'" in err
    )


def counts_by_label(text: str) -> dict[str, int]:
    """``{"completed": 3, ...}`` from ``"N trials (3 completed, ...)"``."""
    inner = text.split("(", 1)[1].split(")", 1)[0]
    return {label: int(n) for n, label in (part.split(" ", 1) for part in inner.split(", "))}


def test_status_line_counts_trials_as_experiments_show_does(capsys):
    from click.testing import CliRunner

    from synetune.cli import cli
    from synetune.console import status_line

    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        # trials of x far from 0.3 are stopped at epoch 2, every trial pauses once at epoch 1
        scheduler=RandomScheduler(
            {"x": uniform(0.0, 1.0), "epochs": 3}, metric="loss", stop_above=0.6, pause_at=1
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=8),
        n_workers=2,
        tuner_name="status-line",
        verbose="normal",
        print_update_interval=1e-9,  # a status line at every turn of the loop
        # a progress display that shows nothing leaves the tuner its status lines
        callbacks=[synetune.callbacks.create("progress", verbose="quiet")],
    )
    tuner.run()
    lines = [line for line in capsys.readouterr().out.splitlines() if "s elapsed, " in line]
    assert lines, "no status line"
    for line in lines:  # every trial started is counted once, by its status then
        total = int(line.split("elapsed, ")[1].split(" trials")[0])
        assert sum(counts_by_label(line.split("elapsed, ")[1]).values()) == total
    assert any("in progress" in line for line in lines)
    final = status_line(tuner.tuning_status, simulated=False)
    shown = CliRunner().invoke(cli, ["experiments", "show", tuner.name]).output
    trials_line = next(line for line in shown.splitlines() if line.startswith("trials:"))
    assert int(trials_line.split()[1]) == 8 == int(final.split("elapsed, ")[1].split()[0])
    expected = {
        k.replace("inprogress", "in progress"): v for k, v in counts_by_label(trials_line).items()
    }
    assert counts_by_label(final.split("elapsed, ")[1]) == expected
    assert set(expected) == {"completed", "stopped"}, final


class SimulatedThreadBackend(ThreadBackend):
    simulated = True


@pytest.mark.parametrize("verbose", ["normal", "debug"])
def test_simulated_runs_print_no_line_per_trial_in_normal_verbosity(capsys, verbose):
    tuner = Tuner(
        trial_backend=SimulatedThreadBackend(quadratic),
        scheduler=RandomScheduler(SPACE, metric="loss"),
        stop_criterion=StoppingCriterion(max_num_trials_started=4),
        n_workers=2,
        tuner_name="simulated",
        verbose=verbose,
        print_update_interval=1e-9,
        callbacks=[synetune.callbacks.create("progress", verbose="quiet")],
    )
    tuner.run()
    out = capsys.readouterr().out
    completed = [line for line in out.splitlines() if "completed:" in line]
    assert len(completed) == (0 if verbose == "normal" else 4)
    assert "s simulated time, " in out and "s elapsed" not in out
    assert "simulated time | best loss=" in out.splitlines()[-1]  # the finished line


def test_the_simulator_backend_declares_a_simulated_clock(capsys):
    from synetune_sdk.backend import TrialBackend

    assert TrialBackend.simulated is False and ThreadBackend(quadratic).simulated is False
    blackbox = synetune.blackboxes.load("branin-lc")
    backend = synetune.backends.create("simulator", blackbox=blackbox, max_resource_attr="epochs")
    assert backend.simulated is True
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    space["epochs"] = 3
    tuner = Tuner(
        trial_backend=backend,
        scheduler=synetune.schedulers.create(
            "random_search", config_space=space, metric="y", mode="min", random_seed=0
        ),
        stop_criterion=StoppingCriterion(max_wallclock_time=20),
        n_workers=4,
        sleep_time=0,
        tuner_name="simulator",
        callbacks=[synetune.callbacks.create("progress", verbose="quiet")],
    )
    tuner.run()
    assert tuner.tuning_status.num_trials_completed > 10
    out = capsys.readouterr().out
    assert "completed:" not in out and len(out.splitlines()) <= 4


LAUNCHER = """
from synetune import StoppingCriterion, Tuner
from synetune.config_space import uniform
from synetune_sdk.testing import RandomScheduler, ThreadBackend, quadratic

space = {"x": uniform(0.0, 1.0), "epochs": 10_000, "sleep": 0.01}
tuner = Tuner(
    trial_backend=ThreadBackend(quadratic),
    scheduler=RandomScheduler(space, metric="loss"),
    stop_criterion=StoppingCriterion(max_wallclock_time=300),
    n_workers=2,
    tuner_name="ctrl-c",
    suffix_tuner_name=False,
)
tuner.run()
print("run returned")
"""


def test_ctrl_c_stops_saves_and_says_how_to_resume(tmp_path, synetune_folder):
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "launch.py"
    script.write_text(LAUNCHER)
    env = {**os.environ, "SYNETUNE_FOLDER": str(synetune_folder), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    folder = synetune_folder / "ctrl-c"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until both trials reported
        events = folder / "events.jsonl"
        if events.exists() and events.read_text().count('"trial_id": 1') > 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (-signal.SIGINT, 130), (proc.returncode, err)
    assert "KeyboardInterrupt" in err  # raised again: a launcher decides what to do with it
    assert (
        f"synetune: 'ctrl-c' was interrupted; its trials were stopped and the results so far "
        f"are saved in {folder}\nsynetune: continue it with: synetune resume ctrl-c\n" in err
    )
    assert "finished" not in out and "run returned" not in out
    tuner = Tuner.load("ctrl-c")  # saved, resumable
    assert sorted(tuner.trials) == [0, 1]
    assert set(tuner.tuning_status.trial_status.values()) == {TrialStatus.STOPPED}
    assert len(synetune.load_experiment("ctrl-c").results) > 2


def test_ctrl_c_during_synetune_resume_exits_130_without_a_traceback(tmp_path, synetune_folder):
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "launch.py"
    script.write_text(LAUNCHER)
    env = {**os.environ, "SYNETUNE_FOLDER": str(synetune_folder), "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen([sys.executable, str(script)], env=env, stderr=subprocess.PIPE)
    events = synetune_folder / "ctrl-c" / "events.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        events.exists() and events.read_text().count('"event": "result"') > 2
    ):
        time.sleep(0.1)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=60)
    resumed = subprocess.Popen(
        [sys.executable, "-m", "synetune", "resume", "ctrl-c"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = events.read_text().count('"event": "result"')
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and events.read_text().count('"event": "result"') <= seen:
        time.sleep(0.1)  # the resumed run is tuning
    resumed.send_signal(signal.SIGINT)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 130, (resumed.returncode, err)
    assert "Traceback" not in err and "synetune resume ctrl-c" in err
