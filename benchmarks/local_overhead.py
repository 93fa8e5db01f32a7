"""Tuner overhead on the local backend, side by side with Syne Tune 0.13.0's LocalBackend.

A trivial training script reports 3 epochs without sleeping; random search runs 20 trials on
2 workers and 100 trials on 4 workers. For each setting we report:

* total wall time of ``tuner.run()``;
* overhead per trial: wall time per trial slot (``total * n_workers / n_trials``) minus the
  script's own run time measured alone (``python script.py ...``, median of 5);
* latency from a metric line being printed (the Reporter's ``st_worker_timestamp``) to the
  scheduler's decision (``on_trial_result`` called), p50 and p95.

Each library's script reports with its own Reporter. Syne Tune runs in a scratch virtual
environment (never a dependency of synetune)::

    python benchmarks/local_overhead.py                 # synetune only
    python benchmarks/local_overhead.py --syne-tune     # also Syne Tune (creates /tmp/st-venv)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """
import argparse
{import_line}
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--st_checkpoint_dir", type=str, default=None)
args, _ = parser.parse_known_args()
report = Reporter()
for epoch in range(1, args.epochs + 1):
    report(epoch=epoch, loss=(args.x - 0.3) ** 2 + 1.0 / epoch)
"""
IMPORTS = {
    "synetune": "from synetune_sdk import Reporter",
    "syne-tune": "from syne_tune import Reporter",
}
SETTINGS = [(20, 2), (100, 4)]
ST_VENV = Path("/tmp/st-venv")


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[index]


def script_time(script: Path, python: str) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([python, str(script), "--x", "0.5"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_synetune(
    script: Path, n_trials: int, n_workers: int, folder: Path, backend: str = "local"
) -> tuple[float, list[float]]:
    """One synetune run on ``backend`` (``ray_overhead.py`` measures the Ray backend with it);
    returns (wall seconds, report-to-decision latencies in seconds)."""
    import synetune
    from synetune import StoppingCriterion, Tuner
    from synetune_sdk.config_space import uniform

    latencies: list[float] = []
    scheduler = synetune.schedulers.create(
        "random_search",
        config_space={"x": uniform(0, 1), "epochs": 3},
        metric="loss",
        random_seed=0,
    )
    decide = scheduler.on_trial_result

    def timed_decide(trial, result):
        latencies.append(time.time() - result["st_worker_timestamp"])
        return decide(trial, result)

    scheduler.on_trial_result = timed_decide
    os.environ["SYNETUNE_FOLDER"] = str(folder)
    tuner = Tuner(
        trial_backend=synetune.backends.create(backend, entry_point=str(script)),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=n_trials),
        n_workers=n_workers,
        verbose="quiet",
        save_tuner=False,
    )
    start = time.perf_counter()
    tuner.run()
    return time.perf_counter() - start, latencies


def run_syne_tune(
    script: Path, n_trials: int, n_workers: int, folder: Path, sleep_time: float | None
) -> tuple[float, list[float]]:
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend import LocalBackend
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import RandomSearch

    latencies: list[float] = []

    class TimedRandomSearch(RandomSearch):
        def on_trial_result(self, trial, result):
            latencies.append(time.time() - result["st_worker_timestamp"])
            return super().on_trial_result(trial, result)

    os.environ["SYNETUNE_FOLDER"] = str(folder)
    kwargs = {} if sleep_time is None else {"sleep_time": sleep_time}
    tuner = Tuner(
        trial_backend=LocalBackend(entry_point=str(script)),
        scheduler=TimedRandomSearch(
            {"x": uniform(0, 1), "epochs": 3}, metric="loss", random_seed=0
        ),
        # Syne Tune fires when started > N: N - 1 gives N trials
        stop_criterion=StoppingCriterion(max_num_trials_started=n_trials - 1),
        n_workers=n_workers,
        save_tuner=False,
        **kwargs,
    )
    start = time.perf_counter()
    tuner.run()
    return time.perf_counter() - start, latencies


def measure(engine: str, sleep_time: float | None) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "train.py"
        script.write_text(SCRIPT.format(import_line=IMPORTS[engine]))
        alone = script_time(script, sys.executable)
        for n_trials, n_workers in SETTINGS:
            folder = Path(tmp) / f"run-{n_trials}"
            if engine == "synetune":
                wall, lat = run_synetune(script, n_trials, n_workers, folder)
            else:
                wall, lat = run_syne_tune(script, n_trials, n_workers, folder, sleep_time)
            label = engine if sleep_time is None else f"{engine} (sleep_time={sleep_time})"
            rows.append(table_row(label, n_trials, n_workers, wall, alone, lat))
    return rows


def table_row(
    engine: str, n_trials: int, n_workers: int, wall: float, alone: float, latencies: list[float]
) -> dict:
    """The figures of one run, as the module docstring defines them."""
    return {
        "engine": engine,
        "trials": n_trials,
        "workers": n_workers,
        "wall_s": wall,
        "script_alone_s": alone,
        "overhead_per_trial_s": wall * n_workers / n_trials - alone,
        "latency_p50_ms": 1000 * percentile(latencies, 0.5),
        "latency_p95_ms": 1000 * percentile(latencies, 0.95),
        "results": len(latencies),
    }


def ensure_syne_tune_venv() -> Path:
    python = ST_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ST_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "syne-tune==0.13.0",
                "numpy<2",
                "pandas<2.2",
            ],
            check=True,
        )
    return python


def print_table(rows: list[dict], engine_width: int = 34, with_results: bool = False) -> None:
    """The rows as a fixed-width table; ``with_results`` adds the number of results seen."""
    header = (
        f"{'engine':{engine_width}} {'trials':>6} {'workers':>7} {'wall s':>8} {'alone s':>8} "
        f"{'ovh/trial s':>11} {'p50 ms':>8} {'p95 ms':>8}"
    ) + (f" {'results':>7}" if with_results else "")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['engine']:{engine_width}} {r['trials']:6d} {r['workers']:7d} {r['wall_s']:8.2f} "
            f"{r['script_alone_s']:8.3f} {r['overhead_per_trial_s']:11.3f} "
            f"{r['latency_p50_ms']:8.1f} {r['latency_p95_ms']:8.1f}"
            + (f" {r['results']:7d}" if with_results else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--syne-tune", action="store_true", help="also measure Syne Tune 0.13.0 in /tmp/st-venv"
    )
    parser.add_argument(
        "--engine", choices=["synetune", "syne-tune"], default=None, help=argparse.SUPPRESS
    )
    parser.add_argument("--sleep-time", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # child mode: print JSON rows
        print(json.dumps(measure(args.engine, args.sleep_time)))
        return
    rows = measure("synetune", None)
    if args.syne_tune:
        python = ensure_syne_tune_venv()
        for sleep_time in (None, 0.1):
            cmd = [str(python), __file__, "--engine", "syne-tune"]
            if sleep_time is not None:
                cmd += ["--sleep-time", str(sleep_time)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True)
            rows += json.loads(out.stdout.strip().splitlines()[-1])
    print_table(rows)


if __name__ == "__main__":
    main()
