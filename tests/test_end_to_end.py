"""End to end across plugins: the local backend, FIFO random search and the kernel's tuner.

Real subprocesses: Syne Tune-style scripts, a crash that is tolerated, and a tuner killed with
SIGKILL that resumes with every reported result intact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.config_space import randint, uniform
from synetune.results import read_events

SYNE_TUNE_STYLE = """
import argparse, json, time
# written for Syne Tune: prints the metric lines by hand, no synetune import at all
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--n", type=int)
parser.add_argument("--epochs", type=int)
parser.add_argument("--st_checkpoint_dir", type=str)
args = parser.parse_args()
for epoch in range(1, args.epochs + 1):
    loss = (args.x - 0.3) ** 2 + args.n / 10 + 1 / epoch
    print("[tune-metric]: " + json.dumps({"epoch": epoch, "loss": loss, "st_worker_timestamp": time.time(), "st_worker_iter": epoch - 1}), flush=True)
"""

CHECKPOINTED = """
import argparse, json, os, sys, time
from synetune_sdk import Reporter
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--epochs", type=int)
parser.add_argument("--sleep", type=float)
parser.add_argument("--st_checkpoint_dir", type=str)
args = parser.parse_args()
state = os.path.join(args.st_checkpoint_dir, "state.json")
start = json.load(open(state))["epoch"] if os.path.exists(state) else 0
report = Reporter()
for epoch in range(start + 1, args.epochs + 1):
    time.sleep(args.sleep)
    report(epoch=epoch, loss=(args.x - 0.3) ** 2 + 1 / epoch)
    os.makedirs(args.st_checkpoint_dir, exist_ok=True)
    with open(state + ".tmp", "w") as f:
        json.dump({"epoch": epoch}, f)
    os.replace(state + ".tmp", state)
"""


def write(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def test_syne_tune_script_runs_unchanged(tmp_path):
    script = write(tmp_path, "train_st.py", SYNE_TUNE_STYLE)
    space = {"x": uniform(0, 1), "n": randint(1, 3), "epochs": 3}
    tuner = Tuner(
        trial_backend=synetune.backends.create("local", entry_point=script),
        scheduler=synetune.schedulers.create(
            "random_search", config_space=space, metric="loss", random_seed=1
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=4),
        n_workers=2,
        tuner_name="syne-tune-style",
        verbose="quiet",
    )
    tuner.run()
    df = load_experiment(tuner.name).results
    assert len(df) == 12 and sorted(df["trial_id"].unique()) == [0, 1, 2, 3]
    assert tuner.tuning_status.num_trials_completed == 4
    trial_dir = tuner.tuner_path / "0"
    assert (trial_dir / "config.json").exists() and "[tune-metric]" in (
        trial_dir / "std.out"
    ).read_text()


def test_crashing_trial_is_tolerated_and_reported(tmp_path, capsys):
    script = write(
        tmp_path,
        "train_crash.py",
        """
        import argparse, sys
        from synetune_sdk import Reporter
        p = argparse.ArgumentParser(); p.add_argument("--x", type=float); p.add_argument("--st_checkpoint_dir")
        a = p.parse_args()
        if a.x > 0.5:
            print("CUDA out of memory (pretend)", file=sys.stderr)
            sys.exit(2)
        Reporter()(loss=a.x)
        """,
    )
    tuner = Tuner(
        trial_backend=synetune.backends.create("local", entry_point=script),
        scheduler=synetune.schedulers.create(
            "random_search", config_space={"x": uniform(0, 1)}, metric="loss", random_seed=0
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=8),
        n_workers=2,
        max_failures=8,
        tuner_name="crashes",
    )
    tuner.run()
    status = tuner.tuning_status
    assert status.num_trials_failed > 0 and status.num_trials_completed > 0
    assert status.num_trials_failed + status.num_trials_completed == 8
    err = capsys.readouterr().err
    assert "CUDA out of memory (pretend)" in err and "train_crash.py" in err and "failed" in err


LAUNCHER = """
import sys
import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import uniform

tuner = Tuner(
    trial_backend=synetune.backends.create("local", entry_point=sys.argv[1]),
    scheduler=synetune.schedulers.create("random_search", config_space={"x": uniform(0, 1), "epochs": 6, "sleep": 0.15}, metric="loss", random_seed=3),
    stop_criterion=StoppingCriterion(max_num_trials_started=6),
    n_workers=2,
    tuner_name="killed-run",
    suffix_tuner_name=False,
    results_update_interval=0.5,
)
tuner.run()
"""


def test_sigkilled_tuner_resumes_with_every_result(tmp_path, synetune_folder):
    script = write(tmp_path, "train_ckpt.py", CHECKPOINTED)
    launcher = write(tmp_path, "launch.py", LAUNCHER)
    env = dict(os.environ, SYNETUNE_FOLDER=str(synetune_folder))
    proc = subprocess.Popen(
        [sys.executable, launcher, script],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    events_path = synetune_folder / "killed-run" / "events.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        results = [e for e in read_events(events_path) if e["event"] == "result"]
        if len(results) >= 9:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    before = {
        (e["trial_id"], e["result"]["epoch"])
        for e in read_events(events_path)
        if e["event"] == "result"
    }
    assert len(before) >= 9
    time.sleep(0.5)  # trial processes die with their parent (PR_SET_PDEATHSIG)

    out = subprocess.run(
        [sys.executable, "-m", "synetune.cli", "resume", "killed-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    assert "resumed" in out.stdout
    df = load_experiment("killed-run").results
    pairs = list(zip(df["trial_id"], df["epoch"]))
    assert len(pairs) == len(set(pairs)), "a result was duplicated"
    assert before <= set(pairs), "a result reported before the kill was lost"
    assert sorted(df["trial_id"].unique()) == list(range(6))
    for trial_id, group in df.groupby("trial_id"):
        assert sorted(group["epoch"]) == [1, 2, 3, 4, 5, 6], (
            f"trial {trial_id}: {sorted(group['epoch'])}"
        )
