"""The third-party package is discovered through its entry point and runs by name."""

from __future__ import annotations

import subprocess
import sys

import synetune
from synetune import AskTellScheduler
from synetune.config_space import uniform
from synetune_sdk.testing import SchedulerContract


def test_listed_by_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "synetune.cli", "plugins", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"synetune-hillclimb"' in out.stdout and '"hillclimb"' in out.stdout


def test_runs_by_name_and_improves():
    scheduler = synetune.schedulers.create(
        "hillclimb",
        config_space={"x": uniform(-2, 2), "y": uniform(-2, 2)},
        metric="loss",
        random_seed=0,
    )
    ask_tell = AskTellScheduler(scheduler)
    losses = []
    for _ in range(60):
        trial = ask_tell.ask()
        losses.append(trial.config["x"] ** 2 + trial.config["y"] ** 2)
        ask_tell.tell(trial, {"loss": losses[-1]})
    assert min(losses) < 0.05 < losses[0]


class TestHillClimbContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "hillclimb",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
        )
