"""Crash and resume with real processes: a tuner killed with SIGKILL at chosen moments.

Deterministic versions of what the soak (``benchmarks/crash_soak.py``) finds at random, plus
a brief soak: a finished trial completes on resume, results printed while the tuner was stopped
survive its death, a restarted trial's re-reports are recorded once per run whatever the name of
its progress key, and nothing is lost or repeated over a few random kills.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from synetune import load_experiment
from synetune.results import read_events

ROOT = Path(__file__).resolve().parents[1]

TRAIN = """
import argparse, json, os, time
from synetune_sdk import Reporter

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--epochs", type=int)
parser.add_argument("--key", type=str, default="epoch")
parser.add_argument("--sleep", type=float, default=0.05)
parser.add_argument("--linger", type=float, default=0.0)
parser.add_argument("--before", type=int, default=0)
parser.add_argument("--st_checkpoint_dir", type=str)
args, _ = parser.parse_known_args()
ckpt = os.path.join(args.st_checkpoint_dir, "state.json")
start = json.load(open(ckpt))["level"] if os.path.exists(ckpt) else 0
report = Reporter()
def save(level):
    os.makedirs(args.st_checkpoint_dir, exist_ok=True)
    json.dump({"level": level}, open(ckpt + ".tmp", "w"))
    os.replace(ckpt + ".tmp", ckpt)
for level in range(start + 1, args.epochs + 1):
    time.sleep(args.sleep)
    if args.before:
        save(level)
    report(**{args.key: level, "loss": args.x + 1.0 / level})
    if not args.before:
        save(level)
time.sleep(args.linger)  # still running after its last report
"""

LAUNCHER = """
import sys, json
import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import uniform

extra = json.loads(sys.argv[3])
Tuner(
    trial_backend=synetune.backends.create("local", entry_point=sys.argv[1], kill_grace_period=1.0),
    scheduler=synetune.schedulers.create(
        "random_search", config_space={"x": uniform(0, 1), **extra}, metric="loss", random_seed=0
    ),
    stop_criterion=StoppingCriterion(max_num_trials_started=int(sys.argv[2])),
    n_workers=2,
    tuner_name="crash",
    suffix_tuner_name=False,
    verbose="quiet",
).run()
"""


@pytest.fixture
def run(tmp_path, synetune_folder):
    train = tmp_path / "train.py"
    train.write_text(textwrap.dedent(TRAIN))
    launcher = tmp_path / "launch.py"
    launcher.write_text(textwrap.dedent(LAUNCHER))
    env = dict(os.environ, SYNETUNE_FOLDER=str(synetune_folder))
    events = synetune_folder / "crash" / "events.jsonl"

    def start(trials: int, **space):
        import json

        args = [sys.executable, str(launcher), str(train), str(trials), json.dumps(space)]
        return subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)

    def wait_for(condition, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = read_events(events, warn=False)
            if condition(found):
                return found
            time.sleep(0.02)
        raise AssertionError("condition not reached")

    def kill(proc):
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.3)  # the trials die with the tuner

    def resume():
        out = subprocess.run(
            [sys.executable, "-m", "synetune", "resume", "crash"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return out

    def checkpoint_level(trial_id: int) -> int:
        import json

        state = synetune_folder / "crash" / str(trial_id) / "checkpoints" / "state.json"
        try:
            return json.loads(state.read_text())["level"]
        except (OSError, ValueError):
            return 0

    run.start, run.wait_for, run.kill, run.resume = start, wait_for, kill, resume
    run.checkpoint_level = checkpoint_level
    return run


def results(events):
    return [e for e in events if e["event"] == "result"]


def test_trial_that_finished_before_the_crash_completes_on_resume(run):
    proc = run.start(2, epochs=2, linger=3.0)
    run.wait_for(lambda ev: len(results(ev)) == 4)  # both trials reported their last epoch
    # ... and checkpointed it (the script saves after it reports: killed in between, a trial
    # would rightly report its last epoch again when it restarts)
    run.wait_for(lambda ev: all(run.checkpoint_level(t) == 2 for t in (0, 1)))
    run.kill(proc)
    run.resume()
    df = load_experiment("crash").results
    assert len(df) == 4
    events = read_events(load_experiment("crash").path / "events.jsonl")
    final = {e["trial_id"]: e["status"] for e in events if e["event"] == "status"}
    assert final == {0: "Completed", 1: "Completed"}, final


def test_results_printed_while_the_tuner_was_stopped_survive_its_death(run):
    proc = run.start(2, epochs=6, sleep=0.3)
    run.wait_for(lambda ev: len(results(ev)) >= 2)
    proc.send_signal(signal.SIGSTOP)
    time.sleep(1.0)  # the trials go on printing results nobody reads
    run.kill(proc)
    run.resume()
    df = load_experiment("crash").results
    assert sorted(df["trial_id"].unique()) == [0, 1]
    for _, group in df.groupby("trial_id"):
        assert sorted(group["epoch"]) == [1, 2, 3, 4, 5, 6]  # nothing lost, nothing twice


@pytest.mark.parametrize("key", ["epoch", "step", "iter"])
def test_restarted_trial_reports_are_recorded_once_per_run_whatever_the_key(run, key):
    proc = run.start(1, epochs=8, sleep=0.25, key=key, before=1)
    run.wait_for(lambda ev: len(results(ev)) >= 3)
    run.kill(proc)
    run.resume()
    df = load_experiment("crash").results
    assert set(df[key]) == set(range(1, 9))
    # a level reported in two runs (checkpointed before reporting) is two rows, one per run
    assert not df.duplicated(subset=[key, "st_run"]).any()
    assert set(df["st_run"]) == {1, 2}


def test_brief_soak_loses_and_repeats_nothing(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from crash_soak import soak
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    counts = soak(kills=4, trials=16, workers=3, epochs=4, sleep=0.1, seed=3, folder=tmp_path)
    assert counts["kills"] >= 2
    assert counts["printed"] == 16 * 4
    lost = (counts["lost"], counts["duplicated"], counts["rerun"], counts["failed"])
    assert lost == (0, 0, 0, 0), counts["why"]


def test_brief_soak_with_pause_and_resume_repeats_and_fails_nothing(tmp_path):
    """ASHA promotion: crashes between a pause decision and its status change, results read
    but not handled at the crash, resumed trials; nothing is duplicated, re-run or failed."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from crash_soak import soak
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    counts = soak(
        kills=5, trials=40, workers=4, epochs=8, sleep=0.05, seed=2, folder=tmp_path, method="asha"
    )
    assert counts["kills"] >= 2
    assert (counts["duplicated"], counts["rerun"], counts["failed"]) == (0, 0, 0), counts["why"]


def test_the_saved_tuner_never_runs_ahead_of_the_log_on_disk(tmp_path, monkeypatch):
    """What makes a kill harmless: whenever ``tuner.dill`` is written, every event it has seen
    is in ``events.jsonl`` on disk (the buffered log was flushed first)."""
    from synetune_plugin_blackbox_repository import from_function

    import synetune
    import synetune.tuner as tuner_module
    from synetune import StoppingCriterion, Tuner
    from synetune_sdk.config_space import randint, uniform

    checked = []
    save = tuner_module.save_tuner

    def checking_save(tuner, folder):
        # read with a fresh file handle: what a process started after a kill would see
        log = Path(folder) / "events.jsonl"
        lines = log.read_bytes().count(b"\n") if log.exists() else 0
        checked.append((lines, tuner._log_position))
        save(tuner, folder)

    monkeypatch.setattr(tuner_module, "save_tuner", checking_save)
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    blackbox = from_function(
        {"x": uniform(0.0, 1.0)},
        lambda config, epoch, seed: {"loss": config["x"] / epoch, "time": float(epoch)},
        {"epoch": randint(1, 9)},
        ["loss", "time"],
    )
    Tuner(
        trial_backend=synetune.backends.create(
            "simulator", blackbox=blackbox, elapsed_time_attr="time"
        ),
        scheduler=synetune.schedulers.create(
            "random_search", config_space=blackbox.configuration_space, metric="loss", mode="min"
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=3000),
        n_workers=4,
        sleep_time=0.0,
        tuner_name="saved-after-log",
        results_update_interval=0.0,
        verbose="quiet",
    ).run()
    assert len(checked) >= 3  # saves during the run, not only at its end
    assert all(lines >= position for lines, position in checked), checked
