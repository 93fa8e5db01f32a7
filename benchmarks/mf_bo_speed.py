"""MOBSTER and Hyper-Tune on the digits-mlp simulator: time per run and final regret, side by side
with Syne Tune 0.13.0's ``MOBSTER`` and ``HyperTune`` (issue 19).

Both libraries run their own Tuner on their own simulator backend over the same digits-mlp
learning-curve table (648 configurations, 27 epochs, three training seeds; a table seed is drawn
per trial on both sides), 4 workers, ``--budget`` simulated seconds (default one hour), each
method with its library's defaults (``resource_attr="epoch"``, ``max_resource_attr="epochs"``,
``random_seed=seed``). Syne Tune's simulator advances its clock by ``tuner_sleep_time`` per tuner
loop and by modelled delays per event; both are set to 1e-3 s (an epoch takes about 0.027 s; with
``bo_quality.py``'s 0.02 s per loop Syne Tune saw half as many results per simulated second) so
that, as in synetune's simulator, the budget is spent on training time.

A full 27-epoch trial takes about 0.7 simulated seconds, so both libraries exhaust the 648
configurations long before a simulated hour: their searchers (no duplicates by default) then
answer no configuration, and both Tuners stop once the running trials end (Syne Tune: "Tuning is
finishing as the whole configuration space got exhausted"). Each record says where the run
stopped (``simulated``, ``trials``) and why (``exhausted``).

Per run (one process per library, method and seed, BLAS/OpenMP limited to one thread): wall and
CPU seconds of ``tuner.run()`` (CPU seconds are what to compare on a loaded machine), trials,
results, and the final regret: the true error of the configuration the run returns (best
``val_error`` at the highest epoch any trial reached, scored by its epoch-27 ``val_error``
averaged over the three training seeds) minus the table's optimum (0.0167).

Syne Tune runs in a scratch virtual environment, never a dependency of synetune::

    python -m venv /tmp/peers/st && /tmp/peers/st/bin/pip install \
        'syne-tune[gpsearchers]==0.13.0' 'numpy<2' 'pandas<2.2' 'scipy<1.14' 'pyarrow<18'

    python benchmarks/mf_bo_speed.py --seeds 10 --out /tmp/mf.jsonl      # runs, then the table
    python benchmarks/mf_bo_speed.py --libs synetune --seeds 3            # synetune only
    python benchmarks/mf_bo_speed.py --summarize /tmp/mf.jsonl            # table of saved runs
    python benchmarks/mf_bo_speed.py --profile mobster                    # cProfile of one run

Runs are sequential; each appends one JSON line to ``--out`` as it ends, so a long run can be
summarised (or resumed with ``--skip-done``) at any time. This file is also the worker
(``--worker LIB:METHOD --seed S``): it must import without synetune.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ST_PYTHON = "/tmp/peers/st/bin/python"
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
METHODS = ("mobster", "hypertune")
LIBS = ("synetune", "syne-tune")
N_WORKERS = 4
# Syne Tune's simulated clock advances by this much per tuner loop: small next to an epoch of
# digits-mlp (0.027 s), so that it sees as many results per simulated second as synetune
TUNER_SLEEP_TIME = 1e-3
TABLE_OPTIMUM = 0.016666666666666666  # best epoch-27 val_error, averaged over training seeds


def true_error(table: Path, config: dict) -> float:
    """Epoch-27 ``val_error`` of ``config`` averaged over the table's training seeds."""
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(table / "evaluations.parquet")
    rows = df[df["epoch"] == df["epoch"].max()]
    for name, value in config.items():
        if isinstance(value, str):
            rows = rows[rows[name] == value]
        else:
            rows = rows[np.isclose(rows[name].astype(float), float(value), rtol=1e-6)]
    if rows.empty:
        raise ValueError(f"configuration {config} not found in the table")
    return float(rows["val_error"].mean())


def returned_config(df, names) -> dict:
    """The configuration a run returns: best ``val_error`` at the highest epoch reached."""
    top = df[df["epoch"] == df["epoch"].max()]
    best = top.loc[top["val_error"].idxmin()]
    return {k: best[f"config_{k}"] for k in names}


def run_synetune(method: str, seed: int, budget: float, table: Path) -> dict:
    from bo_quality import digits_tuner

    from synetune.experiments import load_experiment

    started, cpu = time.perf_counter(), time.process_time()
    tuner, blackbox = digits_tuner(
        method,
        seed,
        budget,
        f"mf-bo-speed-{method}-{seed}",
        N_WORKERS,
        results_update_interval=3600,
        print_update_interval=3600,
    )
    tuner.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    df = load_experiment(tuner.tuner_path).results
    status = tuner.tuning_status
    return {
        "wall": wall,
        "cpu": cpu,
        "trials": status.num_trials_started,
        "results": status.num_results,
        "simulated": status.wallclock_time,
        "exhausted": status.wallclock_time < budget,
        "best_reported": float(df["val_error"].min()),
        "returned_error": true_error(table, returned_config(df, blackbox.configuration_space)),
    }


def run_syne_tune(method: str, seed: int, budget: float, table: Path) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    from bo_quality import digits_tuner_syne_tune

    scheduler_class = {"mobster": "MOBSTER", "hypertune": "HyperTune"}[method]
    started, cpu = time.perf_counter(), time.process_time()
    tuner, callback, blackbox = digits_tuner_syne_tune(
        scheduler_class,
        seed,
        budget,
        table,
        f"st-mf-bo-speed-{method}-{seed}",
        N_WORKERS,
        TUNER_SLEEP_TIME,
    )
    tuner.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    df = callback.dataframe()
    status = tuner.tuning_status
    simulated = float(tuner.trial_backend.time_keeper.time())  # st_tuner_time is real time
    return {
        "wall": wall,
        "cpu": cpu,
        "trials": int(status.num_trials_started),
        "results": int(len(df)),
        "simulated": simulated,
        "exhausted": bool(simulated < budget),
        "best_reported": float(df["val_error"].min()),
        "returned_error": true_error(table, returned_config(df, blackbox.configuration_space)),
    }


# -- driver ------------------------------------------------------------------------------------
def digits_table() -> Path:
    import synetune

    return Path(synetune.blackboxes.generate("digits-mlp"))


def run_one(lib: str, method: str, seed: int, budget: float, table: Path) -> dict | None:
    python = ST_PYTHON if lib == "syne-tune" else sys.executable
    if not Path(python).exists():
        print(f"{lib}: {python} missing, not run", file=sys.stderr)
        return None
    cmd = [python, __file__, "--worker", f"{lib}:{method}", "--seed", str(seed)]
    cmd += ["--budget", str(budget), "--table", str(table)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **SINGLE_THREAD})
    if proc.returncode != 0:
        print(f"{lib}:{method} seed {seed} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"lib": lib, "method": method, "seed": seed, "budget": budget, **record}


def summarize(records: list[dict]) -> None:
    import numpy as np

    def stats(values: list[float], fmt: str) -> str:
        q1, med, q3 = np.percentile(values, [25, 50, 75])
        return f"{med:{fmt}} [{q1:{fmt}}, {q3:{fmt}}]"

    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["method"], r["lib"], r["budget"]), []).append(r)
    print(
        f"{'method':10s} {'library':10s} {'seeds':>5s} {'wall s':>8s} {'CPU s':>8s} "
        f"{'trials':>6s} {'sim s':>7s}  regret median [q1, q3]"
    )
    for (method, lib, _), rs in sorted(groups.items()):
        regrets = [r["returned_error"] - TABLE_OPTIMUM for r in rs]
        print(
            f"{method:10s} {lib:10s} {len(rs):5d} {np.median([r['wall'] for r in rs]):8.1f} "
            f"{np.median([r['cpu'] for r in rs]):8.1f} "
            f"{np.median([r['trials'] for r in rs]):6.0f} "
            f"{np.median([r['simulated'] for r in rs]):7.1f}  {stats(regrets, '.4f')}"
            f"  exhausted {sum(bool(r['exhausted']) for r in rs)}/{len(rs)}"
        )


def profile(method: str, seed: int, budget: float, top: int) -> None:
    import cProfile
    import pstats

    for name, value in SINGLE_THREAD.items():
        os.environ.setdefault(name, value)
    table = digits_table()
    profiler = cProfile.Profile()
    profiler.enable()
    record = run_synetune(method, seed, budget, table)
    profiler.disable()
    print(json.dumps(record))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 .. N-1")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=3600.0, help="simulated seconds")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--libs", default=",".join(LIBS))
    parser.add_argument("--out", help="append one JSON line per run here")
    parser.add_argument("--skip-done", action="store_true", help="skip runs already in --out")
    parser.add_argument("--summarize", nargs="+", help="print the table of saved runs")
    parser.add_argument("--profile", help="cProfile one synetune run of this method")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--worker")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table")
    args = parser.parse_args()
    if args.worker:
        lib, method = args.worker.split(":")
        run = run_syne_tune if lib == "syne-tune" else run_synetune
        print(json.dumps(run(method, args.seed, args.budget, Path(args.table))))
        return
    if args.summarize:
        records = [
            json.loads(line)
            for path in args.summarize
            for line in Path(path).read_text().splitlines()
            if line.strip()
        ]
        summarize(records)
        return
    if args.profile:
        profile(args.profile, args.seed, args.budget, args.top)
        return
    table = digits_table()
    done: set[tuple] = set()
    if args.out and args.skip_done and Path(args.out).exists():
        for line in Path(args.out).read_text().splitlines():
            r = json.loads(line)
            done.add((r["lib"], r["method"], r["seed"], r["budget"]))
    records = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for method in args.methods.split(","):
            for lib in args.libs.split(","):
                if (lib, method, seed, args.budget) in done:
                    continue
                record = run_one(lib, method, seed, args.budget, table)
                if record is None:
                    continue
                records.append(record)
                print(json.dumps(record), flush=True)
                if args.out:
                    with open(args.out, "a") as f:
                        f.write(json.dumps(record) + "\n")
    if records:
        summarize(records)


if __name__ == "__main__":
    main()
