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

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_overhead import (  # noqa: E402
    IMPORTS,
    SCRIPT,
    SETTINGS,
    print_table,
    run_synetune,
    script_time,
    table_row,
)

RAY_CPUS = max(workers for _, workers in SETTINGS)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
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
                run_synetune(script, RAY_CPUS, RAY_CPUS, Path(tmp) / f"warmup-{backend}", backend)
            for n_trials, n_workers in SETTINGS:
                for backend in ("local", "ray"):
                    folder = Path(tmp) / f"run-{backend}-{n_trials}"
                    wall, lat = run_synetune(script, n_trials, n_workers, folder, backend)
                    engine = f"synetune {backend}"
                    rows.append(table_row(engine, n_trials, n_workers, wall, alone, lat))
        finally:
            ray.shutdown()
    print(
        f"Ray {ray.__version__}: local cluster start (ray.init, {RAY_CPUS} CPUs) {ray_start:.2f} s"
    )
    print_table(rows, engine_width=18, with_results=True)


if __name__ == "__main__":
    main()
