"""Speed of the live dashboard (``synetune dashboard``, synetune-plugin-dashboard) in headless
Chromium, against its targets:

* **open**: an experiment with 10,000 trials and 100,000 results (an ASHA-like log written in
  the kernel's ``events.jsonl`` layout: 10 results per trial, stop decisions, 6
  hyperparameters) opens, i.e. the page is loaded, its data fetched and parsed, the charts and
  the trial table drawn and painted, within 1.5 s. Measured from navigation start to the first
  paint after drawing (``performance.now()``), for the first open after the server started
  (it parses the log then: "cold") and for later opens (median of 5: "warm"). The analyses
  (importance, rungs), fetched after the charts, are reported beside it.
* **latency**: a result written to the log shows on that page within 2 s: time from the append
  (``time.time()``) to the page having redrawn with it (``Date.now()``), over 8 appends.
* **server CPU**: while 4 browsers watch a running tuning (a real tuner on the local backend, 4
  workers, each trial reporting an epoch every 0.25 s), the server's CPU time over 30 s as a
  share of one core (``/proc/<pid>/stat``), target under 5%.

The server runs as users run it, ``synetune dashboard --folder DIR --port P``, in its own
process. Needs Debian's chromium (``scripts/setup.sh`` installs it) and websocket-client; there
is no peer to compare with (Syne Tune has no live dashboard; optuna-dashboard is a different
design). Run::

    .venv/bin/python benchmarks/dashboard_speed.py            # all three
    .venv/bin/python benchmarks/dashboard_speed.py --quick    # fewer repeats, 10 s CPU window
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

HYPERPARAMETERS = {
    "lr": {"domain_cls": "Float", "domain_kwargs": {"lower": 1e-4, "upper": 1.0, "log": True}},
    "wd": {"domain_cls": "Float", "domain_kwargs": {"lower": 1e-6, "upper": 1e-2, "log": True}},
    "batch": {"domain_cls": "Integer", "domain_kwargs": {"lower": 16, "upper": 512, "log": True}},
    "layers": {"domain_cls": "Integer", "domain_kwargs": {"lower": 1, "upper": 4, "log": False}},
    "dropout": {"domain_cls": "Float", "domain_kwargs": {"lower": 0.0, "upper": 0.5, "log": False}},
    "act": {"domain_cls": "Categorical", "domain_kwargs": {"categories": ["relu", "tanh", "gelu"]}},
}


def write_big_experiment(folder: Path, trials: int = 10_000, per_trial: int = 10) -> None:
    """An ASHA-like run's log: ``trials`` trials of ``per_trial`` results each, the stopped ones
    with a STOP decision on their last result, 4 workers' worth of overlapping time."""
    rng = random.Random(0)
    folder.mkdir(parents=True)
    metadata = {
        "st_tuner_creation_timestamp": time.time(),
        "tuner_name": folder.name,
        "backend": "SimulatorBackend",
        "n_workers": 4,
        "metric_names": ["val_loss"],
        "metric_mode": "min",
        "scheduler_name": "ASHA",
        "config_space": {**HYPERPARAMETERS, "epochs": 81},
        "resource_attr": "epoch",
        "max_t": 81,
        "rung_levels": [1, 3, 9, 27],
        "type": "stopping",
        "method": "asha",
    }
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2))
    seq, clock = 0, 0.0
    with open(folder / "events.jsonl", "w") as f:
        for trial_id in range(trials):
            config = {
                "lr": 10 ** rng.uniform(-4, 0),
                "wd": 10 ** rng.uniform(-6, -2),
                "batch": int(2 ** rng.uniform(4, 9)),
                "layers": rng.randint(1, 4),
                "dropout": rng.uniform(0, 0.5),
                "act": rng.choice(["relu", "tanh", "gelu"]),
                "epochs": 81,
            }
            event = {
                "event": "trial",
                "trial_id": trial_id,
                "config": config,
                "creation_time": "2026-01-01T00:00:00",
                "checkpoint_trial_id": None,
            }
            f.write(json.dumps(event) + "\n")
            floor = abs(config["lr"] - 0.05) + 0.1 * config["dropout"] + rng.uniform(0, 0.2)
            for epoch in range(1, per_trial + 1):
                seq += 1
                clock += rng.uniform(0.0, 0.5)
                value = floor + 2.0 / (epoch + 1)
                result = {
                    "val_loss": value,
                    "epoch": epoch,
                    "st_worker_time": epoch * 1.3,
                    "st_worker_timestamp": clock,
                    "st_worker_iter": epoch - 1,
                }
                f.write(
                    json.dumps(
                        {
                            "event": "result",
                            "seq": seq,
                            "trial_id": trial_id,
                            "run": 1,
                            "result": result,
                            "st_tuner_time": clock,
                        }
                    )
                    + "\n"
                )
            status = "Completed" if trial_id % 10 == 0 else "Stopped"
            if status == "Stopped":
                f.write(
                    json.dumps(
                        {"event": "decision", "seq": seq, "trial_id": trial_id, "decision": "STOP"}
                    )
                    + "\n"
                )
            f.write(
                json.dumps(
                    {
                        "event": "status",
                        "trial_id": trial_id,
                        "status": status,
                        "st_tuner_time": clock,
                        "seen": seq,
                    }
                )
                + "\n"
            )


LIVE_SCRIPT = """
import argparse, time
from synetune_sdk import Reporter
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--epochs", type=int)
args, _ = parser.parse_known_args()
report = Reporter()
for epoch in range(1, args.epochs + 1):
    time.sleep(0.25)
    report(epoch=epoch, loss=1.0 / (epoch * args.lr + 1.0))
"""
LIVE_TUNER = """
import sys
import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import loguniform
Tuner(
    trial_backend=synetune.backends.create("local", entry_point=sys.argv[1]),
    scheduler=synetune.schedulers.create(
        "asha", config_space={"lr": loguniform(1e-3, 1.0), "epochs": 40}, metric="loss",
        mode="min", resource_attr="epoch", max_resource_attr="epochs", random_seed=1),
    stop_criterion=StoppingCriterion(max_wallclock_time=900), n_workers=4,
    tuner_name="live", suffix_tuner_name=False, verbose="quiet",
).run()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    synetune = Path(sys.executable).with_name("synetune")
    process = subprocess.Popen(
        [str(synetune), "dashboard", "--folder", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "static/app.js").read()
            return process, url
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the dashboard did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_time(browser, url: str) -> tuple[float, float]:
    browser.goto(url)
    drawn = browser.wait_for("window.__dash && window.__dash.drawn", timeout=60, interval=0.01)
    analysed = browser.wait_for("window.__dash.analysed", timeout=60, interval=0.01)
    return drawn / 1000, analysed / 1000


def measure_open(browser, base: str, name: str, repeats: int) -> dict[str, float]:
    cold, cold_analysis = open_time(browser, f"{base}?cold#/exp/{name}")
    warm = [open_time(browser, f"{base}?r={i}#/exp/{name}") for i in range(repeats)]
    results = browser.evaluate("window.__dash.results")
    trials = browser.evaluate("window.__dash.trials")
    assert (results, trials) == (100_000, 10_000), (results, trials)
    return {
        "cold_s": cold,
        "cold_analysis_s": cold_analysis,
        "warm_median_s": statistics.median(w[0] for w in warm),
        "warm_max_s": max(w[0] for w in warm),
        "warm_analysis_median_s": statistics.median(w[1] for w in warm),
    }


def measure_latency(browser, folder: Path, appends: int) -> list[float]:
    """Append one result at a random phase of the page's polling and time until it is drawn."""
    latencies = []
    seq = 10**7
    for i in range(appends):
        time.sleep(random.uniform(0.5, 1.5))
        before = browser.evaluate("window.__dash.updates || 0")
        line = {
            "event": "result",
            "seq": seq + i,
            "trial_id": i,
            "run": 1,
            "st_tuner_time": 1e6,
            "result": {"val_loss": 0.01, "epoch": 11, "st_worker_time": 20.0},
        }
        written = time.time()
        with open(folder / "events.jsonl", "a") as f:
            f.write(json.dumps(line) + "\n")
        browser.wait_for(f"(window.__dash.updates || 0) > {before}", timeout=30, interval=0.01)
        latencies.append(browser.evaluate("window.__dash.updated") / 1000 - written)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 10 s CPU window")
    args = parser.parse_args()
    from synetune_plugin_dashboard.browser import Browser

    repeats, appends, window = (3, 4, 10.0) if args.quick else (5, 8, 30.0)
    with tempfile.TemporaryDirectory(prefix="dashboard-speed-") as tmp:
        root = Path(tmp) / "experiments"
        big = root / "big-asha"
        started = time.monotonic()
        write_big_experiment(big)
        size = (big / "events.jsonl").stat().st_size
        print(
            f"wrote 10,000 trials / 100,000 results ({size / 1e6:.1f} MB of events.jsonl) "
            f"in {time.monotonic() - started:.1f}s"
        )
        server, base = start_server(root)
        try:
            with Browser() as browser:
                opened = measure_open(browser, base, "big-asha", repeats)
                print(
                    f"open 10k trials / 100k results: cold {opened['cold_s']:.2f}s "
                    f"(analyses {opened['cold_analysis_s']:.2f}s), warm median "
                    f"{opened['warm_median_s']:.2f}s, max {opened['warm_max_s']:.2f}s "
                    f"(analyses {opened['warm_analysis_median_s']:.2f}s); target 1.5s"
                )
                latencies = measure_latency(browser, big, appends)
                print(
                    f"new result shown after: median {statistics.median(latencies):.2f}s, "
                    f"max {max(latencies):.2f}s over {len(latencies)} appends; target 2s"
                )
            cpu = watch_running_tuning(root, base, server.pid, window)
            print(
                f"server CPU with 4 browsers watching a running tuning ({cpu['results']} "
                f"results in {window:.0f}s): {100 * cpu['share']:.2f}% of one core; target 5%"
            )
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def watch_running_tuning(root: Path, base: str, server_pid: int, window: float) -> dict:
    from synetune_plugin_dashboard.browser import Browser

    script = root.parent / "live_train.py"
    script.write_text(textwrap.dedent(LIVE_SCRIPT))
    env = dict(os.environ, SYNETUNE_FOLDER=str(root))
    tuner = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(LIVE_TUNER), str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    browsers: list = []
    try:
        events = root / "live" / "events.jsonl"
        deadline = time.monotonic() + 60
        while not (events.exists() and b'"result"' in events.read_bytes()):
            if time.monotonic() > deadline or tuner.poll() is not None:
                raise RuntimeError("the live tuner did not report within 60 s")
            time.sleep(0.2)
        for _ in range(4):
            browser = Browser(width=1200, height=900)
            browsers.append(browser)
            browser.goto(f"{base}#/exp/live")
            browser.wait_for("window.__dash && window.__dash.drawn", timeout=60)
        time.sleep(3)  # past the pages' first loads
        results_before = browsers[0].evaluate("window.__dash.results")
        cpu_before, wall_before = cpu_seconds(server_pid), time.monotonic()
        time.sleep(window)
        cpu_after, wall_after = cpu_seconds(server_pid), time.monotonic()
        results = browsers[0].evaluate("window.__dash.results") - results_before
        polls = sum(b.evaluate("window.__dash.polls") for b in browsers)
        if tuner.poll() is not None:
            raise RuntimeError("the live tuner ended during the measurement")
        return {
            "share": (cpu_after - cpu_before) / (wall_after - wall_before),
            "results": results,
            "polls": polls,
        }
    finally:
        for browser in browsers:
            browser.close()
        if tuner.poll() is None:
            os.killpg(tuner.pid, signal.SIGINT)
            try:
                tuner.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(tuner.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
