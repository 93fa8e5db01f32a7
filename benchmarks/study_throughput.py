"""Study runner throughput: a 5 methods x 2 blackboxes x N seeds study, parallel vs sequential.

Each of the 100 experiments (default: 10 seeds) runs at least 500 trials on the simulator
(``max_num_trials_finished = 500``; single-fidelity analytic blackboxes ``hartmann6`` and
``branin``; methods random search, grid search, regularized evolution, TPE and KDE, which all
fit a single-fidelity benchmark). Two ways of running the same study, each from a fresh
``$SYNETUNE_FOLDER`` and each in its own process tree with BLAS pinned to one thread:

* parallel: ``synetune study run STUDY --max-parallel 2`` (the runner with 2 worker processes),
  then ``synetune study report``;
* sequential: one process that runs the combinations one after another in-process (what a
  user's own loop does), no runner.

Reported: wall time of both, parallel efficiency ``T_sequential / (2 * T_parallel)``, the time of
the report, and the runner's overhead per experiment from the markers the workers write:
start to first trial (task received -> first trial started: loading the blackbox, building the
scheduler and tuner) and end to results on disk (tuning ended -> results, tuner and marker
written). No peer runs here: Syne Tune's experiment launcher needs its benchmarking extras and
launches one process per experiment; the sequential loop is the baseline instead.

    python benchmarks/study_throughput.py                 # 5 x 2 x 10, 500 trials
    python benchmarks/study_throughput.py --seeds 2       # a quick look
    python benchmarks/study_throughput.py --ray           # also on a local Ray cluster
    python benchmarks/study_throughput.py --ray-head      # ... started apart (ray start --head)

CPU time is that of the whole process tree (``RUSAGE_CHILDREN``): on a loaded machine the wall
times mostly measure the other processes, the CPU times what the runs themselves cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = """name = "throughput"
seeds = "0-{last}"
benchmarks = ["hartmann6", "branin"]

[stop]
max_num_trials_finished = {trials}

[methods]
RS = "random_search"
GRID = {{ scheduler = "grid_search", arguments = {{ search_options = {{ num_samples = 25 }} }} }}
REA = "rea"
TPE = "tpe"
KDE = "kde"
"""
SEQUENTIAL = """
import sys
from synetune_plugin_study.study import load_study
from synetune_plugin_study.worker import run_combination
for combo in load_study(sys.argv[1]).combinations():
    run_combination(combo, combo.state())
"""
ONE_THREAD = {
    k: "1"
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
}


def timed(command: list[str], folder: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the whole process tree) of ``command``."""
    env = {**os.environ, **ONE_THREAD, "SYNETUNE_FOLDER": str(folder)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def markers(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("throughput-*/study.json")):
        out.append(json.loads(path.read_text()))
    return out


def spread(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    return f"median {1000 * statistics.median(values):.0f} ms, p90 {1000 * p90:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--max-parallel", type=int, default=2)
    parser.add_argument("--ray", action="store_true", help="also run it with --executor ray")
    parser.add_argument(
        "--ray-head",
        action="store_true",
        help="run --executor ray on a cluster started apart with `ray start --head` (stopped "
        "with `ray stop` at the end, which stops every Ray cluster of this user)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="study-throughput-"))
    study = work / "study.toml"
    study.write_text(STUDY.format(last=args.seeds - 1, trials=args.trials))
    runs = 5 * 2 * args.seeds
    print(f"{runs} experiments of {args.trials} trials, in {work}", flush=True)
    load_before = os.getloadavg()[0]

    synetune = [sys.executable, "-m", "synetune", "study"]
    parallel_folder = work / "parallel"
    run = [*synetune, "run", str(study), "--max-parallel", str(args.max_parallel)]
    parallel, parallel_cpu = timed(run, parallel_folder)
    report, _ = timed(
        [*synetune, "report", str(study), "-o", str(work / "report")], parallel_folder
    )
    print(f"parallel: {parallel:.1f} s (+ report {report:.1f} s)", flush=True)
    sequential, sequential_cpu = timed([sys.executable, "-c", SEQUENTIAL, str(study)], work / "seq")
    print(f"sequential: {sequential:.1f} s", flush=True)
    on_ray = None
    if args.ray:  # a local Ray cluster started by the runner (no --address)
        on_ray, ray_cpu = timed([*run, "--executor", "ray"], work / "ray")
        print(f"ray: {on_ray:.1f} s", flush=True)
    ray_cli = str(Path(sys.executable).with_name("ray"))
    on_head = None
    if args.ray_head:
        cpus = str(args.max_parallel)
        subprocess.run([ray_cli, "start", "--head", "--num-cpus", cpus], check=True)
        try:
            on_head, head_cpu = timed(
                [*run, "--executor", "ray", "--address", "auto"], work / "head"
            )
        finally:
            subprocess.run([ray_cli, "stop"], check=False)
        print(f"ray (ray start --head): {on_head:.1f} s", flush=True)

    done = markers(parallel_folder)
    assert len(done) == runs and all(m["status"] == "finished" for m in done), "runs missing"
    start_overhead = [m["first_trial"] - m["received"] for m in done]
    end_overhead = [m["finished"] - m["tuning_end"] for m in done]
    in_workers = sum(m["finished"] - m["received"] for m in done)
    efficiency = sequential / (args.max_parallel * parallel)
    n = args.max_parallel
    print()
    print(f"| {runs} experiments x {args.trials} trials | wall | CPU (user + sys) |")
    print("|---|---|---|")
    print(f"| sequential, one process | {sequential:.1f} s | {sequential_cpu:.1f} s |")
    print(f"| `study run --max-parallel {n}` | {parallel:.1f} s | {parallel_cpu:.1f} s |")
    if on_ray is not None:
        print(
            f"| `study run --max-parallel {n} --executor ray` | {on_ray:.1f} s | {ray_cpu:.1f} s (driver and Ray workers) |"
        )
    if on_head is not None:
        print(
            f"| `study run --max-parallel {n} --executor ray --address auto` on `ray start --head` "
            f"| {on_head:.1f} s | {head_cpu:.1f} s (driver only: the cluster is not its child) |"
        )
    print(f"| speed-up (wall) | {sequential / parallel:.2f}x | |")
    print(
        f"| parallel efficiency, sequential / ({n} x parallel), wall | {100 * efficiency:.0f}% | |"
    )
    print(
        f"| CPU the runner adds, parallel / sequential CPU | | {parallel_cpu / sequential_cpu:.2f}x |"
    )
    print(f"| `study report` | {report:.1f} s | |")
    print(f"| workers busy, time in tasks / ({n} x wall) | {in_workers / (n * parallel):.0%} | |")
    print(f"| start to first trial | {spread(start_overhead)} | |")
    print(f"| end to results on disk | {spread(end_overhead)} | |")
    print(
        f"| load average (1 min) before / after | {load_before:.1f} / {os.getloadavg()[0]:.1f} | |"
    )
    print(f"| CPU cores | {os.cpu_count()} | |")


if __name__ == "__main__":
    main()
