"""Crash-resume soak: SIGKILL the tuner at random moments and count what was lost or repeated.

A tuner with the local backend runs trials of a training script that also appends every result
it prints to a side file. The tuner is killed with SIGKILL at random moments (sometimes after a
SIGSTOP, so that printed results pile up unread), resumed with ``synetune resume``, and killed
again, until the run finishes. Then the side file and the experiment's results are compared:

* lost: a result a trial printed (side file) that is not in the results;
* duplicated: a printed line recorded twice (two rows with the same trial, level and run);
* re-run: a trial that had finished and was started again; failed: a trial marked failed (the
  script never fails by itself, so every failure comes from the crashes).

Trials checkpoint before or after reporting, and report their progress as ``epoch``, ``step``
or ``iter``. The target: 0 of each over at least 200 kills::

    python benchmarks/crash_soak.py --kills 200 --trials 2000 --workers 4
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

TRAIN = r"""
import argparse, json, os, time
from synetune_sdk import Reporter

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--mode", type=str)
parser.add_argument("--key", type=str)
parser.add_argument("--epochs", type=int)
parser.add_argument("--sleep", type=float)
parser.add_argument("--side", type=str)
parser.add_argument("--st_checkpoint_dir", type=str)
args, _ = parser.parse_known_args()
trial_id = int(os.path.basename(os.path.dirname(os.path.abspath(args.st_checkpoint_dir))))
ckpt = os.path.join(args.st_checkpoint_dir, "state.json")
start = json.load(open(ckpt))["level"] if os.path.exists(ckpt) else 0
report = Reporter()

def save(level):
    os.makedirs(args.st_checkpoint_dir, exist_ok=True)
    with open(ckpt + ".tmp", "w") as f:
        json.dump({"level": level}, f)
    os.replace(ckpt + ".tmp", ckpt)

side = os.open(args.side, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
for level in range(start + 1, args.epochs + 1):
    time.sleep(args.sleep)
    if args.mode == "before":
        save(level)
    report(**{args.key: level, "loss": (args.x - 0.3) ** 2 + 1.0 / level})
    os.write(side, (json.dumps({"trial_id": trial_id, "level": level, "pid": os.getpid()}) + "\n").encode())
    if args.mode == "after":
        save(level)
"""

LAUNCHER = r"""
import sys
import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import choice, uniform

folder, trials, workers, epochs, sleep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
method = sys.argv[6]
space = {
    "x": uniform(0, 1),
    "mode": choice(["before", "after"]),
    "key": choice(["epoch", "step", "iter"]) if method == "random_search" else "epoch",
    "epochs": epochs,
    "sleep": sleep,
    "side": folder + "/printed.jsonl",
}
Tuner(
    trial_backend=synetune.backends.create("local", entry_point=folder + "/train.py", kill_grace_period=1.0),
    scheduler=synetune.schedulers.create("random_search", config_space=space, metric="loss", random_seed=0)
    if method == "random_search"
    else synetune.schedulers.create(
        "asha", type="promotion", config_space=space, metric="loss", mode="min",
        resource_attr="epoch", max_resource_attr="epochs", grace_period=1,
        reduction_factor=2, random_seed=0,
    ),
    stop_criterion=StoppingCriterion(max_num_trials_started=trials),
    n_workers=workers,
    tuner_name="soak",
    suffix_tuner_name=False,
    results_update_interval=2.0,
    max_failures=trials,
    verbose="quiet",
).run()
"""


def soak(
    kills: int,
    trials: int,
    workers: int,
    epochs: int = 5,
    sleep: float = 0.1,
    seed: int = 0,
    folder: Path | None = None,
    max_wait: float = 3.0,
    method: str = "random_search",
) -> dict[str, Any]:
    """Run the soak; returns the counts (kills, results, lost, duplicated, rerun, failed) and
    what was said about each failed trial (why)."""
    rng = random.Random(seed)
    folder = Path(folder or tempfile.mkdtemp(prefix="synetune-soak-"))
    (folder / "train.py").write_text(TRAIN)
    (folder / "launch.py").write_text(LAUNCHER)
    env = dict(os.environ, SYNETUNE_FOLDER=str(folder / "experiments"))
    first = [sys.executable, str(folder / "launch.py"), str(folder)]
    first += [str(trials), str(workers), str(epochs), str(sleep), method]
    resume = [sys.executable, "-m", "synetune", "resume", "soak"]
    saved = folder / "experiments" / "soak"
    done = 0
    logs = folder / "tuner-logs"
    logs.mkdir(exist_ok=True)
    while True:
        # a tuner killed before it first saved itself (before its first trial) left nothing to
        # resume: it is started again, and reuses its folder
        started = (saved / "tuner.dill").exists() or (saved / "tuner.dill.bak").exists()
        # the tuner's own output goes to a file per start: what it said about a failed trial
        # survives the kills (see ``count``)
        log = logs / f"{done:04d}.err"
        with open(log, "w") as err:
            proc = subprocess.Popen(
                resume if started else first, env=env, stdout=subprocess.DEVNULL, stderr=err
            )
        if done >= kills:
            proc.wait(timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"the final resume failed:\n{log.read_text()}")
            break
        try:
            proc.wait(timeout=rng.uniform(0.3, max_wait))
        except subprocess.TimeoutExpired:
            if rng.random() < 0.2:  # results pile up unread while the tuner is stopped
                proc.send_signal(signal.SIGSTOP)
                time.sleep(rng.uniform(0.2, 1.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            done += 1
            continue
        if proc.returncode != 0:
            raise RuntimeError(f"the tuner failed on its own:\n{log.read_text()}")
        break  # finished by itself before the next kill
    return count(folder, done)


def count(folder: Path, kills: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel" / "src"))
    os.environ["SYNETUNE_FOLDER"] = str(folder / "experiments")
    from synetune import load_experiment
    from synetune.results import read_events

    printed = [json.loads(line) for line in (folder / "printed.jsonl").read_text().splitlines()]
    df = load_experiment("soak").results
    keys = [k for k in ("epoch", "step", "iter") if k in df.columns]
    level = df[keys].bfill(axis=1).iloc[:, 0].astype(int)
    rows = Counter(zip(df["trial_id"], level, df["st_run"]))
    recorded = {(t, lv) for t, lv, _ in rows}
    lost = sum((p["trial_id"], p["level"]) not in recorded for p in printed)
    duplicated = sum(n - 1 for n in rows.values() if n > 1)
    finished: set[int] = set()
    rerun = 0
    failed: set[int] = set()
    for event in read_events(folder / "experiments" / "soak" / "events.jsonl"):
        if event["event"] != "status":
            continue
        trial_id, status = event["trial_id"], event["status"]
        if status == "InProgress" and trial_id in finished:
            rerun += 1
        if status in ("Completed", "Failed"):
            finished.add(trial_id)
        if status == "Failed":
            failed.add(trial_id)
    why = {
        trial_id: [
            line
            for log in sorted((folder / "tuner-logs").glob("*.err"))
            for line in log.read_text(errors="replace").splitlines()
            if f"trial {trial_id}" in line
        ]
        + (folder / "experiments" / "soak" / str(trial_id) / "std.err")
        .read_text(errors="replace")[-600:]
        .splitlines()
        for trial_id in sorted(failed)
    }
    return {
        "kills": kills,
        "printed": len(printed),
        "results": len(df),
        "lost": lost,
        "duplicated": duplicated,
        "rerun": rerun,
        "failed": len(failed),
        "why": why,  # per failed trial: what the tuner said of it, the end of its std.err
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--sleep", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--method",
        choices=["random_search", "asha"],
        default="random_search",
        help="asha: promotion type (pause and resume); results a trial prints after a pause "
        "decision are dropped by design (Syne Tune's semantics) and count as lost here",
    )
    args = parser.parse_args()
    start = time.monotonic()
    counts = soak(
        args.kills,
        args.trials,
        args.workers,
        args.epochs,
        args.sleep,
        args.seed,
        method=args.method,
    )
    counts["seconds"] = round(time.monotonic() - start)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
