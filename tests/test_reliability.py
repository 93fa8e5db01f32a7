"""Nothing lost, nothing repeated: the tuner under hostile input, damaged files and crashes.

Each test is a regression test for a finding of the adversarial review (issue 14): folder
reuse and locking, damaged logs and pickles, absurd metric values, a scheduler that rejects a
result, a crash between a save and the next, and runs saved by an earlier version.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.config_space import uniform
from synetune.results import FolderInUseError, FolderLock, read_events
from synetune.saving import TunerLoadError

SPACE = {"x": uniform(0.0, 1.0), "epochs": 3}
DATA = Path(__file__).parent / "data"


def make_tuner(objective=quadratic, trials=4, name="reliable", **kwargs):
    kwargs.setdefault("scheduler", RandomScheduler(SPACE))
    return Tuner(
        trial_backend=ThreadBackend(objective),
        stop_criterion=StoppingCriterion(max_num_trials_started=trials),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
        **kwargs,
    )


# ------------------------------------------------------------------ one run, one folder
def test_fixed_name_run_twice_refuses_instead_of_mixing_runs(synetune_folder):
    make_tuner().run()
    events_before = len(read_events(synetune_folder / "reliable" / "events.jsonl"))
    with pytest.raises(FileExistsError, match="synetune resume reliable"):
        make_tuner().run()
    # the first run's record is untouched
    assert len(read_events(synetune_folder / "reliable" / "events.jsonl")) == events_before
    assert len(load_experiment("reliable").results) == 4 * 3


def test_folder_without_event_log_is_still_refused(synetune_folder):
    make_tuner().run()
    (synetune_folder / "reliable" / "events.jsonl").unlink()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        make_tuner().run()


@pytest.mark.parametrize("during_save", [False, True])
def test_a_run_killed_during_its_start_leaves_its_name_free(
    synetune_folder, monkeypatch, during_save
):
    """Killed after claiming its folder, before its first trial (before or while writing its
    first save): there is nothing to resume or keep, so running it again reuses the name
    without overwrite=True."""
    import synetune.tuner

    def killed_while_writing(tuner, folder):
        (Path(folder) / "tuner.dill.tmp").write_bytes(b"\x80\x05cut")
        raise KeyboardInterrupt

    def killed(self):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        if during_save:
            patch.setattr(synetune.tuner, "save_tuner", killed_while_writing)
        else:
            patch.setattr(Tuner, "_save", killed)
        with pytest.raises(KeyboardInterrupt):
            make_tuner().run()
    left = {p.name for p in (synetune_folder / "reliable").iterdir()}
    assert "metadata.json" in left and ("tuner.dill.tmp" in left) == during_save
    assert not {"tuner.dill", "tuner.dill.bak", "results.csv.zip"} & left
    make_tuner().run()
    assert len(load_experiment("reliable").results) == 4 * 3


def test_a_run_that_started_trials_is_kept_even_if_it_never_saved_itself(synetune_folder):
    make_tuner(save_tuner=False).run()
    folder = synetune_folder / "reliable"
    (folder / "results.csv.zip").unlink()  # left: the event log with its trials
    with pytest.raises(FileExistsError, match="overwrite=True"):
        make_tuner().run()
    assert len(read_events(folder / "events.jsonl")) > 4


def test_overwrite_starts_afresh(synetune_folder):
    make_tuner(trials=4).run()
    make_tuner(trials=2, overwrite=True).run()
    df = load_experiment("reliable").results
    assert len(df) == 2 * 3 and sorted(df["trial_id"].unique()) == [0, 1]


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from synetune.results import FolderLock
lock = FolderLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_second_tuner_on_a_live_folder_is_refused_and_a_stale_lock_is_not(synetune_folder):
    tuner = make_tuner()
    tuner.run()
    folder = tuner.tuner_path
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        resumed = Tuner.load(folder)
        with pytest.raises(FolderInUseError, match=f"pid {holder.pid}"):
            resumed.run()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the killed holder's lock is gone with it
    resumed = Tuner.load(folder)
    resumed.stop_criterion = StoppingCriterion(max_num_trials_started=5)
    resumed.run()
    assert sorted(load_experiment(tuner.name).results["trial_id"].unique()) == list(range(5))


def test_folder_lock_is_exclusive_within_a_process_too(tmp_path):
    first = FolderLock(tmp_path)
    first.acquire()
    with pytest.raises(FolderInUseError):
        FolderLock(tmp_path).acquire()
    first.release()
    FolderLock(tmp_path).acquire()


# ------------------------------------------------------------------ damaged files
def test_damaged_log_lines_are_skipped_with_file_and_line(synetune_folder, caplog):
    tuner = make_tuner()
    tuner.run()
    path = tuner.tuner_path / "events.jsonl"
    lines = path.read_bytes().split(b"\n")
    results = [i for i, line in enumerate(lines) if b'"event": "result"' in line]
    damaged = lines[:]
    damaged[results[2]] = b"\0" * 40 + lines[results[2]]  # a NUL block before a good line
    damaged.insert(results[4], b"[1, 2, 3]")  # valid JSON, not an object
    orphan = {"event": "result", "seq": 999, "trial_id": 77, "result": {}, "st_tuner_time": 1}
    damaged.insert(results[5], json.dumps(orphan).encode())  # a trial that never started
    path.write_bytes(b"\n".join(damaged)[:-1] + b'{"event": "res')  # and a torn tail
    with caplog.at_level(logging.WARNING):
        events = read_events(path)
    assert sum(e["event"] == "result" for e in events) == 4 * 3  # nothing good was dropped
    text = caplog.text
    assert str(path) in text and "NUL bytes" in text and "not a JSON object" in text
    assert "trial 77 before the trial's start" in text and "cut short" in text
    # and a resume goes on from the damaged log
    resumed = Tuner.load(tuner.tuner_path)
    resumed.stop_criterion = StoppingCriterion(max_num_trials_started=6)
    resumed.run()
    assert sorted(load_experiment(tuner.name).results["trial_id"].unique()) == list(range(6))


def test_damaged_tuner_pickle_falls_back_to_the_previous_save(synetune_folder):
    tuner = make_tuner()
    tuner.run()
    path = tuner.tuner_path / "tuner.dill"
    assert (tuner.tuner_path / "tuner.dill.bak").exists()
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # half-written
    resumed = Tuner.load(tuner.tuner_path)
    resumed.stop_criterion = StoppingCriterion(max_num_trials_started=6)
    resumed.run()
    df = load_experiment(tuner.name).results
    assert sorted(df["trial_id"].unique()) == list(range(6)) and len(df) == 6 * 3


def test_pickle_missing_after_a_crash_mid_save_uses_the_previous_save(synetune_folder):
    tuner = make_tuner()
    tuner.run()
    (tuner.tuner_path / "tuner.dill").unlink()  # killed between the rename and the write
    resumed = Tuner.load(tuner.tuner_path)
    resumed.stop_criterion = StoppingCriterion(max_num_trials_started=6)
    resumed.run()
    assert sorted(load_experiment(tuner.name).results["trial_id"].unique()) == list(range(6))


def test_both_pickles_damaged_is_a_clear_error(synetune_folder):
    tuner = make_tuner()
    tuner.run()
    for name in ("tuner.dill", "tuner.dill.bak"):
        (tuner.tuner_path / name).write_bytes(b"\x80\x05garbage")
    with pytest.raises(TunerLoadError, match="tuner.dill is damaged") as err:
        Tuner.load(tuner.tuner_path)
    assert "load_experiment" in str(err.value)


def test_scheduler_class_gone_since_the_save_is_a_clear_error(tmp_path, synetune_folder):
    module = tmp_path / "my_vanishing_scheduler.py"
    module.write_text(
        "from synetune_sdk.testing import RandomScheduler\n"
        "class VanishingScheduler(RandomScheduler):\n    pass\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        from my_vanishing_scheduler import VanishingScheduler

        tuner = make_tuner(scheduler=VanishingScheduler(SPACE))
        tuner.run()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_vanishing_scheduler", None)
    with pytest.raises(TunerLoadError, match="not installed any more") as err:
        Tuner.load(tuner.tuner_path)
    assert "my_vanishing_scheduler" in str(err.value)


# ------------------------------------------------------------------ hostile metrics
def reports(*results):
    def objective(config, report, start_epoch=0):
        for epoch, extra in enumerate(results, start=1):
            report(**{"epoch": epoch, "loss": config["x"], **extra})  # malformed ones are dropped

    return objective


def test_absurd_integer_is_a_malformed_result_not_a_crash(synetune_folder):
    tuner = make_tuner(objective=reports({}, {"loss": 10**1000}, {}), trials=2)
    tuner.run()
    assert tuner.num_malformed_results == 2
    assert len(load_experiment(tuner.name).results) == 2 * 2
    resumed = Tuner.load(tuner.tuner_path)  # and resuming does not trip over it
    resumed.stop_criterion = StoppingCriterion(max_num_trials_started=3)
    resumed.run()
    assert len(load_experiment(tuner.name).results) == 3 * 2


def test_metric_named_like_a_tuner_column_is_renamed(synetune_folder, caplog):
    with caplog.at_level(logging.WARNING):
        tuner = make_tuner(objective=reports({"trial_id": 1234, "config_x": "mine"}), trials=3)
        tuner.run()
    df = load_experiment(tuner.name).results
    assert sorted(df["trial_id"]) == [0, 1, 2]
    assert set(df["reported_trial_id"]) == {1234} and set(df["reported_config_x"]) == {"mine"}
    assert df["config_x"].dtype == float
    assert "'trial_id'" in caplog.text and "reported_trial_id" in caplog.text


def test_oversized_result_is_rejected_on_the_tuner_side(synetune_folder):
    tuner = make_tuner(objective=reports({}, {"blob": "x" * 10_000_000}), trials=2)
    tuner.run()
    assert tuner.num_malformed_results == 2
    assert (tuner.tuner_path / "events.jsonl").stat().st_size < 100_000


def test_metric_never_reported_fails_the_trial_and_max_failures_decides(synetune_folder):
    scheduler = synetune.schedulers.create(
        "random_search", config_space=SPACE, metric="accuracy", mode="max", random_seed=0
    )
    tuner = make_tuner(scheduler=scheduler, trials=3, max_failures=5)
    tuner.run()  # every trial fails, within max_failures: the run ends normally
    assert tuner.tuning_status.num_trials_failed == 3
    scheduler = synetune.schedulers.create(
        "random_search", config_space=SPACE, metric="accuracy", mode="max", random_seed=0
    )
    strict = make_tuner(scheduler=scheduler, trials=3, max_failures=1, name="strict")
    with pytest.raises(synetune.TrialFailuresError, match="accuracy"):
        strict.run()


@pytest.mark.parametrize(
    "kwargs", [{"max_failures": -1}, {"max_failures": 1.5}, {"max_failures": True}]
)
def test_absurd_max_failures_is_a_clear_error(kwargs):
    with pytest.raises(ValueError, match="max_failures must be an integer >= 0"):
        make_tuner(**kwargs)


@pytest.mark.parametrize("limit", [-5, float("nan")])
def test_absurd_wallclock_limit_is_a_clear_error(limit):
    with pytest.raises(ValueError, match="max_wallclock_time"):
        StoppingCriterion(max_wallclock_time=limit)


# ------------------------------------------------------------------ crash between saves
CRASHING_LAUNCHER = """
import sys, time
from synetune import StoppingCriterion, Tuner
import synetune
from synetune.config_space import choice
from synetune_sdk.testing import ThreadBackend, quadratic

space = {"x": choice([i / 20 for i in range(20)]), "epochs": 2, "sleep": 0.05}
tuner = Tuner(
    trial_backend=ThreadBackend(quadratic),
    scheduler=synetune.schedulers.create("random_search", config_space=space, metric="loss", random_seed=7),
    stop_criterion=StoppingCriterion(max_num_trials_started=20),
    n_workers=2, tuner_name="crashy", suffix_tuner_name=False, verbose="quiet",
    results_update_interval=3600,  # saved once at start: every later trial is replayed
)
tuner.run()
"""


def test_random_search_does_not_repeat_configurations_after_a_crash(synetune_folder):
    env = dict(os.environ, SYNETUNE_FOLDER=str(synetune_folder))
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_LAUNCHER], env=env)
    events = synetune_folder / "crashy" / "events.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(e["event"] == "trial" for e in read_events(events, warn=False)) >= 8:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    started = [e["config"]["x"] for e in read_events(events) if e["event"] == "trial"]
    assert 8 <= len(started) < 20
    resumed = Tuner.load(synetune_folder / "crashy")
    resumed.run()
    configs = [t.config["x"] for t in resumed.trials.values()]
    assert len(configs) == 20
    assert len(set(configs)) == 20, "a configuration was suggested twice after the crash"
    df = load_experiment("crashy").results
    assert not df.duplicated(subset=["trial_id", "epoch", "st_run"]).any()


# ------------------------------------------------------------------ older saves
def test_run_saved_by_the_previous_version_resumes(tmp_path, synetune_folder):
    folder = synetune_folder / "legacy-bo"
    shutil.copytree(DATA / "legacy-bo", folder)
    script = folder / "train.py"
    tuner = Tuner.load(folder)
    assert type(tuner.scheduler).__name__ == "FIFOScheduler"
    tuner.trial_backend.entry_point = str(script)
    tuner.stop_criterion = StoppingCriterion(max_num_trials_started=8)
    tuner.verbose = "quiet"
    tuner.run()
    df = load_experiment("legacy-bo").results
    assert sorted(df["trial_id"].unique()) == list(range(8))
    assert len(df) == 8 * 3
    assert df["loss"].notna().all()


def test_legacy_fixture_was_written_by_the_previous_version():
    # the pickle refers to modules that moved: that is what the test above exercises
    data = (DATA / "legacy-bo" / "tuner.dill").read_bytes()
    assert b"synetune.encoding" in data or b"synetune.stopping" in data


def test_training_script_fixture_reports(tmp_path):
    out = subprocess.run(
        [sys.executable, str(DATA / "legacy-bo" / "train.py"), "--x", "0.5", "--epochs", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.count("[tune-metric]") == 2


class CopyFirstSave:
    """Keeps the tuner.dill of the start of the run, to stand in for a save made long ago."""

    def __init__(self, target: Path):
        self.target = target
        self.path = None

    def on_tuning_start(self, context):
        self.path = context.tuner_path / "tuner.dill"

    def on_trial_add(self, trial):
        if not self.target.exists():
            shutil.copy(self.path, self.target)

    def __getattr__(self, name):  # every other hook: nothing to do
        if name.startswith("on_"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)


def test_crash_between_a_pause_decision_and_its_status_change(tmp_path, synetune_folder):
    first_save = tmp_path / "first.dill"
    tuner = make_tuner(
        scheduler=RandomScheduler(SPACE, pause_at=2),
        trials=3,
        callbacks=[CopyFirstSave(first_save)],
        results_update_interval=3600,
    )
    tuner.run()
    path = tuner.tuner_path / "events.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if '"decision": "PAUSE"' in line)
    path.write_text("".join(lines[: cut + 1]))  # the crash came before "status: Paused"
    (tuner.tuner_path / "tuner.dill.bak").unlink()
    shutil.copy(first_save, tuner.tuner_path / "tuner.dill")
    resumed = Tuner.load(tuner.tuner_path)
    resumed.callbacks = []
    resumed.run()  # the paused trial is resumed by the scheduler, not restarted under it
    final = {}
    for event in read_events(path):
        if event["event"] == "status":
            final[event["trial_id"]] = event["status"]
    assert set(final.values()) == {"Completed"} and len(final) == 3
    restarted = [e for e in read_events(path) if e.get("restarted")]
    paused_trial = json.loads(lines[cut])["trial_id"]
    assert paused_trial not in {e["trial_id"] for e in restarted}
