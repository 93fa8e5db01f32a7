"""Tuner overhead on the Ray backend, side by side with the local backend in the same run.

The method of ``benchmarks/local_overhead.py`` (its script and helpers are imported from it): a
trivial training script reports 3 epochs without sleeping; random search runs 20 trials on 2
workers and 100 trials on 4 workers, once on the ``local`` backend and once on the ``ray``
backend with a local Ray cluster of 4 logical CPUs (one per trial). For each we report:

* total wall time of ``tuner.run()``;
* overhead per trial: wall time per trial slot (``total * n_workers / n_trials``) minus the
  script's own run time measured alone (``python script.py ...``, median of 5);
* latency from a metric line being printed (the Reporter's ``st_worker_timestamp``) to the
  scheduler's decision (``on_trial_result`` called), p50 and p95.

The Ray cluster is started once before the runs (its start-up time is printed separately and is
not part of any per-trial figure) and warmed up with 4 trials; Ray's files go to a temporary
folder and ``RAY_AUTH_MODE=disabled`` keeps it from writing to ``~/.ray``::

    python benchmarks/ray_overhead.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_overhead import IMPORTS, SCRIPT, SETTINGS, percentile, script_time  # noqa: E402

RAY_CPUS = max(workers for _, workers in SETTINGS)


def run(backend_name: str, script: Path, n_trials: int, n_workers: int, folder: Path):
    """One tuning run; returns (wall seconds, report-to-decision latencies in seconds)."""
    import synetune
    from synetune import StoppingCriterion, Tuner
    from synetune.config_space import uniform

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
        trial_backend=synetune.backends.create(backend_name, entry_point=str(script)),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=n_trials),
        n_workers=n_workers,
        verbose="quiet",
        save_tuner=False,
    )
    start = time.perf_counter()
    tuner.run()
    return time.perf_counter() - start, latencies


def main() -> None:
    import ray

    rows = []
    with tempfile.TemporaryDirectory(prefix="st-ray-bench-") as tmp:
        os.environ["RAY_AUTH_MODE"] = "disabled"
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        start = time.perf_counter()
        ray.init(
            num_cpus=RAY_CPUS,
            include_dashboard=False,
            logging_level="warning",
            _temp_dir=str(Path(tmp) / "ray"),
        )
        ray_start = time.perf_counter() - start
        script = Path(tmp) / "train.py"
        script.write_text(SCRIPT.format(import_line=IMPORTS["synetune"]))
        alone = script_time(script, sys.executable)
        try:
            for backend in ("local", "ray"):  # warm-up: Ray's workers, the page cache
                run(backend, script, RAY_CPUS, RAY_CPUS, Path(tmp) / f"warmup-{backend}")
            for n_trials, n_workers in SETTINGS:
                for backend in ("local", "ray"):
                    folder = Path(tmp) / f"run-{backend}-{n_trials}"
                    wall, lat = run(backend, script, n_trials, n_workers, folder)
                    rows.append(
                        {
                            "engine": f"synetune {backend}",
                            "trials": n_trials,
                            "workers": n_workers,
                            "wall_s": wall,
                            "script_alone_s": alone,
                            "overhead_per_trial_s": wall * n_workers / n_trials - alone,
                            "latency_p50_ms": 1000 * percentile(lat, 0.5),
                            "latency_p95_ms": 1000 * percentile(lat, 0.95),
                            "results": len(lat),
                        }
                    )
        finally:
            ray.shutdown()
    print(
        f"Ray {ray.__version__}: local cluster start (ray.init, {RAY_CPUS} CPUs) {ray_start:.2f} s"
    )
    header = (
        f"{'engine':18} {'trials':>6} {'workers':>7} {'wall s':>8} {'alone s':>8} "
        f"{'ovh/trial s':>11} {'p50 ms':>8} {'p95 ms':>8} {'results':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['engine']:18} {r['trials']:6d} {r['workers']:7d} {r['wall_s']:8.2f} "
            f"{r['script_alone_s']:8.3f} {r['overhead_per_trial_s']:11.3f} "
            f"{r['latency_p50_ms']:8.1f} {r['latency_p95_ms']:8.1f} {r['results']:7d}"
        )


if __name__ == "__main__":
    main()
