"""A simulated run killed with SIGKILL at random moments and resumed loses no result.

On simulated time the log is written through Python's buffer (flushed before every save of the
tuner): a kill loses the unflushed tail, which is the same as a kill a moment earlier. Each
resume must go on from the saved tuner and the log, and the finished run must hold every epoch
of every trial it ran, in order, with nothing lost in between.
"""

from __future__ import annotations

import csv
import io
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

SCRIPT = r"""
import sys
from pathlib import Path

import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import randint, uniform
from synetune_plugin_blackbox_repository import from_function


def curve(config, seed):  # defined before a resume: the saved tuner refers to it
    # (killed between the renames of a save, only tuner.dill.bak is there: load falls back)
    import numpy as np

    epochs = np.arange(1, 28)
    return {"loss": config["x"] + 1.0 / epochs, "time": (1.0 + config["x"]) * epochs}


path = Path(sys.argv[1])
if any((path / name).exists() for name in ("tuner.dill", "tuner.dill.bak")):
    Tuner.load(path).run()
    sys.exit(0)

blackbox = from_function(
    {"x": uniform(0.0, 1.0)},
    fidelity_space={"epoch": randint(1, 27)},
    objectives_names=["loss", "time"],
    curve_fun=curve,
)
space = blackbox.configuration_space_with_max_resource_attr("epochs")
Tuner(
    trial_backend=synetune.backends.create(
        "simulator", blackbox=blackbox, elapsed_time_attr="time", max_resource_attr="epochs"
    ),
    scheduler=synetune.schedulers.create(
        sys.argv[2], config_space=space, metric="loss", mode="min", random_seed=1,
        **({"resource_attr": "epoch", "max_resource_attr": "epochs"} if sys.argv[2] == "asha" else {}),
    ),
    stop_criterion=StoppingCriterion(max_num_trials_started=int(sys.argv[3])),
    n_workers=4,
    sleep_time=0.0,
    tuner_name=path.name,
    suffix_tuner_name=False,
    results_update_interval=0.05,
    verbose="quiet",
).run()
"""


def rows(path: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(path / "results.csv.zip") as zf:
        return list(csv.DictReader(io.StringIO(zf.read("results.csv").decode())))


def run_with_kills(tmp_path: Path, scheduler: str, trials: int, kills: int) -> Path:
    env = {**os.environ, "SYNETUNE_FOLDER": str(tmp_path)}
    path = tmp_path / f"crash-{scheduler.replace('_', '-')}"
    command = [sys.executable, "-c", SCRIPT, str(path), scheduler, str(trials)]
    rng = random.Random(0)
    killed = 0
    for _ in range(4 * kills):
        if killed == kills:
            break
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        # let it save a first time, then kill it at a random moment
        deadline = time.monotonic() + 60
        while not (path / "tuner.dill").exists() and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.05, 0.6))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed += 1
        else:
            assert process.returncode == 0, process.stderr.read()
            break
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert killed >= 1, "the run ended before it could be killed: give it more trials"
    return path


def check_nothing_lost(path: Path, trials: int, max_epoch: int | None) -> None:
    table = rows(path)
    assert len({r["trial_id"] for r in table}) == trials
    epochs: dict[str, list[int]] = {}
    for row in table:
        epochs.setdefault(row["trial_id"], []).append(int(row["epoch"]))
    for trial_id, seen in epochs.items():
        # a trial restarted from its checkpoint may report a level twice, never skip one
        assert sorted(set(seen)) == list(range(1, max(seen) + 1)), (trial_id, seen)
        if max_epoch is not None:
            assert max(seen) == max_epoch, (trial_id, seen)


def test_killed_random_search_run_resumes_with_every_epoch_of_every_trial(tmp_path):
    path = run_with_kills(tmp_path, "random_search", trials=1200, kills=3)
    # random search never stops a trial: each one reports all 27 epochs
    check_nothing_lost(path, 1200, max_epoch=None)
    completed = [r for r in rows(path) if r["epoch"] == "27"]
    assert len({r["trial_id"] for r in completed}) >= 1200 - 4  # the last ones may be stopped


def test_killed_asha_run_resumes_without_gaps(tmp_path):
    path = run_with_kills(tmp_path, "asha", trials=3000, kills=3)
    check_nothing_lost(path, 3000, max_epoch=None)
