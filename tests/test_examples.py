"""The example launchers run as a newcomer runs them (short budgets, real training)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import synetune
from synetune import list_experiments, load_experiment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "digits"


def launch(script: str, *args: str, folder: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SYNETUNE_FOLDER=str(folder))
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_main_job_random_search(synetune_folder):
    out = launch(
        "launch_random_search.py",
        "--max-trials",
        "2",
        "--epochs",
        "3",
        "--max-wallclock-time",
        "200",
        folder=synetune_folder,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "best configuration:" in out.stdout and "results:" in out.stdout
    [name] = list_experiments(synetune_folder)
    df = load_experiment(name, root=synetune_folder).results
    assert sorted(df["trial_id"].unique()) == [0, 1] and df["val_acc"].max() > 0.5


@pytest.mark.parametrize("kind", ["promotion"])
def test_asha_example(synetune_folder, kind):
    if "asha" not in synetune.schedulers.names():
        pytest.fail("the hyperband plugin must be installed (requirements-dev.txt)")
    out = launch(
        "launch_asha.py",
        "--type",
        kind,
        "--max-trials",
        "4",
        "--epochs",
        "3",
        "--max-wallclock-time",
        "200",
        folder=synetune_folder,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    [name] = list_experiments(synetune_folder)
    df = load_experiment(name, root=synetune_folder).results
    assert (df["st_decision"] == "PAUSE").any()
