"""The tuning loop with an in-process backend: decisions, stop criteria, failures, output files."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest
from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.config_space import uniform
from synetune.results import read_events
from synetune.tuner import TrialFailuresError
from synetune_sdk import Callback

SPACE = {"x": uniform(0.0, 1.0), "epochs": 4}


def make_tuner(objective=quadratic, scheduler=None, stop=None, n_workers=2, **kwargs):
    return Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=scheduler or RandomScheduler(SPACE),
        stop_criterion=stop or StoppingCriterion(max_num_trials_started=6),
        n_workers=n_workers,
        tuner_name="tuner-test",
        verbose="quiet",
        **kwargs,
    )


def test_run_writes_results_metadata_and_tuner(synetune_folder):
    tuner = make_tuner()
    tuner.run()
    path = synetune_folder / tuner.name
    assert tuner.tuner_path == path
    for name in ("metadata.json", "results.csv.zip", "tuner.dill", "events.jsonl"):
        assert (path / name).exists(), name
    df = pd.read_csv(path / "results.csv.zip")
    assert len(df) == 6 * 4
    assert sorted(df["trial_id"].unique()) == list(range(6))
    for column in (
        "loss",
        "epoch",
        "st_tuner_time",
        "st_decision",
        "config_x",
        "config_epochs",
        "st_worker_iter",
    ):
        if column == "st_worker_iter":
            continue
        assert column in df.columns, column
    assert set(df["st_decision"]) == {"CONTINUE"}
    metadata = json.loads((path / "metadata.json").read_text())
    assert metadata["metric_names"] == ["loss"] and metadata["metric_mode"] == "min"
    assert metadata["config_space"]["x"]["domain_cls"] == "Float"
    assert "st_tuner_start_timestamp" in metadata


def test_zip_holds_one_csv_member(synetune_folder):
    tuner = make_tuner()
    tuner.run()
    with zipfile.ZipFile(tuner.tuner_path / "results.csv.zip") as zf:
        assert zf.namelist() == ["results.csv"]
        text = zf.read("results.csv").decode()
    assert pd.read_csv(io.StringIO(text)).shape[0] == 24


def test_max_num_trials_started_runs_exactly_that_many():
    scheduler = RandomScheduler(SPACE)
    tuner = make_tuner(
        scheduler=scheduler, stop=StoppingCriterion(max_num_trials_started=5), n_workers=3
    )
    tuner.run()
    assert tuner.tuning_status.num_trials_started == 5
    assert sorted(scheduler.completed) == [0, 1, 2, 3, 4]


def test_no_suggestion_is_asked_for_once_no_new_trial_may_start():
    """An ask/tell peer (an Optuna study) must not be left with an asked, never-run trial."""
    scheduler = RandomScheduler(SPACE)
    calls = []
    suggest = scheduler.suggest
    scheduler.suggest = lambda trial_id: calls.append(trial_id) or suggest(trial_id)
    tuner = make_tuner(
        scheduler=scheduler, stop=StoppingCriterion(max_num_trials_started=5), n_workers=2
    )
    tuner.run()
    assert tuner.tuning_status.num_trials_started == 5
    assert len(calls) == 5


def test_stop_decision_stops_trial_and_drops_later_results():
    scheduler = RandomScheduler(SPACE, stop_above=0.0)  # every trial is stopped at epoch 2
    tuner = make_tuner(scheduler=scheduler, stop=StoppingCriterion(max_num_trials_started=4))
    tuner.run()
    df = load_experiment(tuner.name).results
    assert df.groupby("trial_id")["epoch"].max().tolist() == [2, 2, 2, 2]
    assert (df[df["epoch"] == 2]["st_decision"] == "STOP").all()
    assert tuner.tuning_status.num_trials_stopped == 4
    assert scheduler.completed == []


def test_pause_and_resume_keeps_trial_id_and_continues():
    scheduler = RandomScheduler(SPACE, pause_at=2)
    tuner = make_tuner(
        scheduler=scheduler, stop=StoppingCriterion(max_num_trials_started=3), n_workers=1
    )
    tuner.run()
    df = load_experiment(tuner.name).results
    for trial_id, group in df.groupby("trial_id"):
        assert group["epoch"].tolist() == [1, 2, 3, 4], (
            f"trial {trial_id} did not resume where it paused"
        )
    assert sorted(scheduler.resumed) == [0, 1, 2]
    assert (df[df["epoch"] == 2]["st_decision"] == "PAUSE").all()


def test_wallclock_criterion_stops_running_trials():
    def slow(config, report, start):
        for epoch in range(1, 1000):
            import time

            time.sleep(0.05)
            if not report(epoch=epoch, loss=1.0):
                return

    tuner = make_tuner(objective=slow, stop=StoppingCriterion(max_wallclock_time=0.5))
    tuner.run()
    assert 0.5 < tuner.tuning_status.wallclock_time < 5
    assert tuner.tuning_status.num_trials_stopped == 2


def test_failed_trials_tolerated_up_to_max_failures():
    def flaky(config, report, start):
        if config["x"] > 0.5:
            raise RuntimeError("diverged")
        quadratic(config, report, start)

    scheduler = RandomScheduler(SPACE, seed=3)
    tuner = make_tuner(
        objective=flaky,
        scheduler=scheduler,
        stop=StoppingCriterion(max_num_trials_started=20),
        max_failures=100,
    )
    tuner.run()
    assert tuner.tuning_status.num_trials_failed == len(scheduler.errors) > 0
    assert tuner.tuning_status.num_trials_completed == 20 - len(scheduler.errors)


def test_too_many_failures_raise_with_first_error():
    def crash(config, report, start):
        raise RuntimeError("boom in training")

    tuner = make_tuner(
        objective=crash, stop=StoppingCriterion(max_num_trials_started=10), max_failures=1
    )
    with pytest.raises(TrialFailuresError, match="boom in training"):
        tuner.run()
    assert (tuner.tuner_path / "results.csv.zip").exists()


def test_trial_without_metrics_fails_instead_of_aborting():
    def silent(config, report, start):
        return

    tuner = make_tuner(
        objective=silent, stop=StoppingCriterion(max_num_trials_started=3), max_failures=5
    )
    tuner.run()
    assert tuner.tuning_status.num_trials_failed == 3
    assert "no metrics" in tuner.trial_backend.errors[0]


def test_exhausted_scheduler_ends_run():
    class Three(RandomScheduler):
        def suggest(self, trial_id):
            return None if trial_id >= 3 else super().suggest(trial_id)

    tuner = make_tuner(scheduler=Three(SPACE), stop=StoppingCriterion(max_wallclock_time=60))
    tuner.run()
    assert tuner.tuning_status.num_trials_started == 3
    assert tuner.tuning_status.wallclock_time < 30


def test_callbacks_see_every_event_in_order():
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_tuning_start(self, tuner):
            self.events.append("start")

        def on_trial_add(self, trial):
            self.events.append(f"add{trial.trial_id}")

        def on_trial_result(self, trial, status, result, decision):
            self.events.append(f"result{trial.trial_id}")

        def on_trial_complete(self, trial, result):
            self.events.append(f"complete{trial.trial_id}")

        def on_tuning_end(self):
            self.events.append("end")

    recorder = Recorder()
    tuner = make_tuner(
        callbacks=[recorder], stop=StoppingCriterion(max_num_trials_started=2), n_workers=1
    )
    tuner.run()
    assert recorder.events[0] == "start" and recorder.events[-1] == "end"
    assert recorder.events.count("result0") == 4
    assert (
        recorder.events.index("add0")
        < recorder.events.index("result0")
        < recorder.events.index("complete0")
    )
    assert recorder.events.index("complete0") < recorder.events.index("add1")


def test_best_config_and_load_experiment_agree():
    tuner = make_tuner(stop=StoppingCriterion(max_num_trials_started=8))
    tuner.run()
    trial_id, config = tuner.best_config()
    exp = load_experiment(tuner.name)
    best = exp.best_config()
    assert best["trial_id"] == trial_id
    assert best["x"] == pytest.approx(config["x"])
    df = exp.results
    assert best["loss"] == pytest.approx(df["loss"].min())


def test_invalid_decision_is_reported():
    class Bad(RandomScheduler):
        def on_trial_result(self, trial, result):
            return "MAYBE"

    tuner = make_tuner(scheduler=Bad(SPACE))
    with pytest.raises(ValueError, match="CONTINUE, PAUSE or STOP"):
        tuner.run()


@pytest.mark.parametrize("name", ["has_underscore", "-dash", "a" * 64, "dot.name"])
def test_invalid_tuner_name(name):
    with pytest.raises(ValueError, match="tuner_name"):
        Tuner(
            ThreadBackend(quadratic),
            RandomScheduler(SPACE),
            StoppingCriterion(max_num_trials_started=1),
            1,
            tuner_name=name,
            suffix_tuner_name=False,
        )


def test_default_name_gets_timestamp_suffix():
    tuner = Tuner(
        ThreadBackend(quadratic),
        RandomScheduler(SPACE),
        StoppingCriterion(max_num_trials_started=1),
        1,
    )
    assert tuner.name.startswith("synetune-20")


def test_custom_stop_callable_and_metadata(synetune_folder):
    tuner = make_tuner(stop=lambda status: status.num_results >= 5, metadata={"seed": 7})
    tuner.run()
    # the two trials running when it held may each report the rest of their 4 epochs before
    # they are stopped (a loaded machine lets them run ahead of the loop)
    assert 5 <= tuner.tuning_status.num_results <= 5 + 2 * 4
    assert json.loads((tuner.tuner_path / "metadata.json").read_text())["seed"] == 7


def test_every_result_is_logged_before_the_scheduler_sees_it():
    seen_in_log = []

    class Checking(RandomScheduler):
        def on_trial_result(self, trial, result):
            events = read_events(tuner.tuner_path / "events.jsonl")
            logged = [
                e for e in events if e["event"] == "result" and e["trial_id"] == trial.trial_id
            ]
            # results are logged as they are read, so the log may already hold later ones
            seen_in_log.append(any(e["result"]["epoch"] == result["epoch"] for e in logged))
            return super().on_trial_result(trial, result)

    tuner = make_tuner(scheduler=Checking(SPACE), stop=StoppingCriterion(max_num_trials_started=2))
    tuner.run()
    assert seen_in_log and all(seen_in_log)


def test_resume_after_interrupt_restores_results_and_continues():
    import time

    def slowish(config, report, start):
        for epoch in range(start + 1, 5):
            time.sleep(0.02)
            if not report(epoch=epoch, loss=config["x"]):
                return

    tuner = make_tuner(
        objective=slowish, stop=StoppingCriterion(max_num_trials_started=4), n_workers=2
    )
    tuner.run()
    first_rows = len(load_experiment(tuner.name).results)
    # pretend the process died after the run: resume with a larger budget
    resumed = Tuner.load(tuner.tuner_path)
    resumed.stop_criterion = StoppingCriterion(max_num_trials_started=6)
    resumed.run()
    df = load_experiment(tuner.name).results
    assert sorted(df["trial_id"].unique()) == list(range(6))
    assert len(df) == first_rows + 2 * 4
    assert not df.duplicated(subset=["trial_id", "epoch"]).any()
