"""Each distribution's wheel installs and works on its own in a fresh virtual environment.

One shared development environment hides undeclared dependencies; these tests install the
built wheels (not the editable tree) into empty virtual environments.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def build_wheel(source: Path, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    name = source.joinpath("pyproject.toml").read_text().split('name = "', 1)[1].split('"', 1)[0]
    [wheel] = [w for w in out.glob("*.whl") if w.name.startswith(name.replace("-", "_") + "-")]
    return wheel


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path / "bin" / "python"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheels")
    return {
        "sdk": build_wheel(ROOT / "sdk", out),
        "kernel": build_wheel(ROOT / "kernel", out),
        "local": build_wheel(ROOT / "plugins/backends/local", out),
    }


def test_sdk_wheel_alone_gives_a_working_reporter(wheels, tmp_path):
    python = make_venv(tmp_path / "venv")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(wheels["sdk"])], check=True, capture_output=True
    )
    code = "from synetune_sdk import Reporter; Reporter()(epoch=1, loss=0.5)"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("[tune-metric]: {") and '"loss": 0.5' in out.stdout
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, check=True
    )
    assert {line.split("==")[0].lower() for line in listed.stdout.split()} <= {
        "synetune-sdk",
        "pip",
        "setuptools",
    }


def test_kernel_with_one_plugin_wheel_lists_and_runs_it(wheels, tmp_path):
    python = make_venv(tmp_path / "venv")
    install = [
        python,
        "-m",
        "pip",
        "install",
        "-q",
        str(wheels["sdk"]),
        str(wheels["kernel"]),
        str(wheels["local"]),
    ]
    subprocess.run(install, check=True, capture_output=True)
    listing = subprocess.run(
        [tmp_path / "venv/bin/synetune", "plugins"], capture_output=True, text=True, check=True
    )
    assert "synetune-plugin-local" in listing.stdout and "backends: local, python" in listing.stdout
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import argparse
            from synetune_sdk import Reporter
            p = argparse.ArgumentParser(); p.add_argument("--x", type=float); p.add_argument("--st_checkpoint_dir")
            a = p.parse_args()
            Reporter()(loss=(a.x - 0.3) ** 2)
            """
        )
    )
    launcher = tmp_path / "launch.py"
    launcher.write_text(
        textwrap.dedent(
            f"""
            import synetune
            from synetune import StoppingCriterion, Tuner
            from synetune_sdk import Scheduler, SchedulerDecision, TrialSuggestion

            class Grid(Scheduler):
                def __init__(self):
                    super().__init__({{}})
                    self.xs = [0.1, 0.3, 0.9]
                def suggest(self, trial_id):
                    return TrialSuggestion.start_suggestion({{"x": self.xs[trial_id]}}) if trial_id < 3 else None
                def on_trial_result(self, trial, result):
                    return SchedulerDecision.CONTINUE
                def metric_names(self):
                    return ["loss"]
                def metric_mode(self):
                    return "min"

            tuner = Tuner(synetune.backends.create("local", entry_point={str(script)!r}), Grid(),
                          StoppingCriterion(max_wallclock_time=60), n_workers=2, verbose="quiet")
            tuner.run()
            print("BEST", tuner.best_config())
            """
        )
    )
    env = {"SYNETUNE_FOLDER": str(tmp_path / "results"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [python, str(launcher)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "BEST (1, {'x': 0.3})" in out.stdout
