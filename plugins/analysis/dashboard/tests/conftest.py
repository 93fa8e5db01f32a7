"""Experiments for the dashboard tests, made by real runs once per session: three finished
simulator runs on digits-mlp (ASHA stopping trials, ASHA pausing and resuming them, random
search), and
one tuner still running in a subprocess on the local backend (a training script that reports an
epoch every 0.3 s), stopped at the end of the session. Plus the running dashboard itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

RUNNING_SCRIPT = """
import argparse, time
from synetune_sdk import Reporter
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--epochs", type=int)
args, _ = parser.parse_known_args()
report = Reporter()
print("training with lr", args.lr, flush=True)
for epoch in range(1, args.epochs + 1):
    time.sleep(0.3)
    report(epoch=epoch, loss=1.0 / (epoch * args.lr + 1.0))
"""

RUNNING_TUNER = """
import sys
import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import loguniform
tuner = Tuner(
    trial_backend=synetune.backends.create("local", entry_point=sys.argv[1]),
    scheduler=synetune.schedulers.create(
        "fifo", config_space={"lr": loguniform(1e-3, 1.0), "epochs": 400},
        metric="loss", mode="min", random_seed=3,
    ),
    stop_criterion=StoppingCriterion(max_wallclock_time=300),
    n_workers=2, tuner_name="live-run", suffix_tuner_name=False, metadata={"method": "fifo"},
)
tuner.run()
"""


def simulated_run(method: str, seed: int, trials: int) -> str:
    import synetune
    from synetune import StoppingCriterion, Tuner

    name = method
    blackbox = synetune.blackboxes.load("digits-mlp")
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    kwargs = dict(config_space=space, metric="val_error", mode="min", random_seed=seed)
    if method.startswith("asha"):
        kwargs.update(resource_attr="epoch", max_resource_attr="epochs")
    if method == "asha-promotion":  # pauses trials at rungs and resumes the promoted ones
        method, kwargs["type"] = "asha", "promotion"
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr="epochs",
            seed=0,
        ),
        scheduler=synetune.schedulers.create(method, **kwargs),
        stop_criterion=StoppingCriterion(max_num_trials_started=trials),
        n_workers=4,
        tuner_name=f"{name}-sim-{seed}",
        metadata={"method": name, "seed": seed},
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    return tuner.name


@pytest.fixture(scope="session")
def experiments_root(tmp_path_factory: pytest.TempPathFactory):
    """The folder with the experiments; yields ``(root, names)`` with names keyed ``asha``,
    ``random``, ``promotion`` (ASHA pausing and resuming trials) and ``running``."""
    root = tmp_path_factory.mktemp("dashboard-experiments")
    previous = os.environ.get("SYNETUNE_FOLDER")
    os.environ["SYNETUNE_FOLDER"] = str(root)
    script = root.parent / "train_live.py"
    script.write_text(textwrap.dedent(RUNNING_SCRIPT))
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    live = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(RUNNING_TUNER), str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        names = {
            "asha": simulated_run("asha", 1, 40),
            "random": simulated_run("fifo", 2, 25),
            "promotion": simulated_run("asha-promotion", 3, 30),
        }
        names["running"] = "live-run"
        events = root / "live-run" / "events.jsonl"
        deadline = time.monotonic() + 40
        while not (events.exists() and b'"result"' in events.read_bytes()):
            assert live.poll() is None, "the running tuner ended early"
            assert time.monotonic() < deadline, "the running tuner reported nothing in 40 s"
            time.sleep(0.2)
        yield root, names
    finally:
        if live.poll() is None:
            os.killpg(live.pid, signal.SIGINT)
            try:
                live.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(live.pid, signal.SIGKILL)
                live.wait()
        if previous is None:
            os.environ.pop("SYNETUNE_FOLDER", None)
        else:
            os.environ["SYNETUNE_FOLDER"] = previous


@pytest.fixture(scope="session")
def dashboard(experiments_root):
    """The dashboard serving ``experiments_root`` on a free loopback port: its base URL."""
    from synetune_plugin_dashboard import make_server, url_of

    root, _ = experiments_root
    server = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield url_of(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$SYNETUNE_TEST_ARTIFACTS`` if set, else a temporary folder."""
    named = os.environ.get("SYNETUNE_TEST_ARTIFACTS")
    folder = Path(named) if named else tmp_path_factory.mktemp("dashboard-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
