"""Multi-objective quality, side by side with Optuna 5 and Syne Tune 0.13.0 (issue 15).

Median hypervolume after ``--evals`` evaluations (default 100) over ``--seeds`` seeds (default
10), and seconds per suggestion at about 100 observations, on three two-objective problems:

* ``zdt1`` and ``dtlz2`` (synetune-plugin-analytic, 6 inputs in [0, 1]): ``f1``, ``f2``, both
  minimised, reference points (11, 11) and (1.1, 1.1) from
  ``synetune_plugin_analytic.multiobjective``; the hypervolume of the true front is given too.
* ``digits-mlp`` (the shipped learning-curve table): ``val_error`` against ``elapsed_time``
  (training cost) at epoch 27. A budget of ``evals`` full trainings (``evals * 27`` epochs); the
  hypervolume counts the results of configurations trained to epoch 27, so MOASHA, which stops
  trials early, gets the same training budget as the single-fidelity methods. Reference point:
  ``default_reference_point`` of every configuration and seed of the table at epoch 27; "front"
  is the hypervolume of that whole table. Each trial reads the table at seed ``trial_id % 3``.

Every method proposes one configuration at a time and sees its result before the next (one
worker), driven here through its library's ask/tell or scheduler API on the same functions
(the table lookups are what synetune's simulator backend replays). Methods, each with its
library's defaults and ``random_seed``/``seed`` = the seed:

* synetune, by registry name: ``random_search``, ``nsga2``, ``morea``, ``moasha`` (digits only,
  multi-fidelity), ``mo_random_scalarization``, ``ehvi``; a name no installed plugin registers
  is reported as not installed;
* ``optuna-nsga2``, ``optuna-tpe``, ``optuna-gp``: Optuna 5 ``NSGAIISampler``, ``TPESampler``,
  ``GPSampler`` on a study with two ``minimize`` directions;
* ``st-nsga2``, ``st-morea``, ``st-moasha``: Syne Tune 0.13.0 ``NSGA2``, ``MOREA``, ``MOASHA``
  (``baselines`` / ``schedulers.multiobjective``); Syne Tune 0.13.0 has no ``EHVI`` (it came in a
  later release), so it is not run.

For peers the digits hyperparameters on a log grid are integer grid indices (the grid is
log-spaced, so the index is the log scale); synetune uses the table's own space (``logfinrange``).
"Seconds per suggestion" is the CPU time of the suggestion calls (Optuna: ``ask`` plus the
``suggest_*`` calls) for the last 10 of the evaluations, averaged (median over seeds), with wall
time next to it; the machine is shared, so CPU time is the steadier figure.

Peers run in scratch virtual environments, never dependencies of synetune::

    python -m venv /tmp/peers/st && /tmp/peers/st/bin/pip install 'syne-tune[moo]==0.13.0' 'numpy<2' 'pandas<2.2' 'scipy<1.14' 'pyarrow<18'
    python -m venv /tmp/peers/optuna && /tmp/peers/optuna/bin/pip install 'optuna>=5,<6' torch==2.13.0 scipy
    python benchmarks/mo_quality.py [--seeds 10] [--slow-seeds 3] [--evals 100] [--problems zdt1,dtlz2,digits-mlp] [--methods ...]

``--jobs N`` runs N worker processes at once (one per method and problem, and with N > 1 one
per seed for the slow methods; CPU time per suggestion is per process, so it is not inflated by
that; with ``--jobs 1`` every method's seeds share one process, which saves its imports per
seed), ``--save FILE`` keeps every finished run, and ``--from FILE`` prints the table of such a
file. ``--slow-seeds`` runs the GP-based methods (``ehvi``, ``mo_random_scalarization``,
``optuna-gp``) on fewer seeds, marked in the table.

Every method runs in its own process with BLAS/OpenMP (and torch) limited to one thread. This
file is also the worker (``--worker METHOD``): it imports neither synetune nor a peer at the top.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ST_PYTHON = "/tmp/peers/st/bin/python"
OPTUNA_PYTHON = "/tmp/peers/optuna/bin/python"
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
DIMENSION = 6
MAX_EPOCH = 27
SYNETUNE_METHODS = (
    "random_search",
    "nsga2",
    "morea",
    "moasha",
    "mo_random_scalarization",
    "ehvi",
)
PEER_METHODS = ("optuna-nsga2", "optuna-tpe", "optuna-gp", "st-nsga2", "st-morea", "st-moasha")
MULTI_FIDELITY = ("moasha", "st-moasha")
SLOW = ("ehvi", "optuna-gp", "mo_random_scalarization")
CLOCK = time.process_time


# -- the problems (own copies, so that peers' workers need no synetune) -------------------------
def zdt1(x: list[float]) -> tuple[float, float]:
    g = 1.0 + 9.0 * sum(x[1:]) / (len(x) - 1)
    return x[0], g * (1.0 - math.sqrt(x[0] / g))


def dtlz2(x: list[float]) -> tuple[float, float]:
    g = sum((v - 0.5) ** 2 for v in x[1:])
    return (1 + g) * math.cos(0.5 * math.pi * x[0]), (1 + g) * math.sin(0.5 * math.pi * x[0])


ANALYTIC = {"zdt1": zdt1, "dtlz2": dtlz2}
METRICS = {"zdt1": ["f1", "f2"], "dtlz2": ["f1", "f2"], "digits-mlp": ["val_error", "elapsed_time"]}


class Digits:
    """The digits-mlp table as grid indices -> (val_error, elapsed_time) per seed and epoch."""

    def __init__(self, folder: str):
        spec = json.loads((Path(folder) / "spec.json").read_text())
        self.names: list[str] = spec["names"]
        self.grids: dict[str, list[Any]] = spec["grids"]
        self.rows: dict[str, int] = spec["rows"]
        data = np.load(Path(folder) / "values.npz")
        self.val_error, self.elapsed = data["val_error"], data["elapsed"]

    def index(self, name: str, value: Any) -> int:
        grid = self.grids[name]
        if isinstance(grid[0], str):
            return grid.index(value)
        return int(np.argmin([abs(math.log(float(value)) - math.log(g)) for g in grid]))

    def row(self, indices: list[int]) -> int:
        return self.rows[",".join(map(str, indices))]

    def values(self, row: int, trial_id: int, epoch: int) -> tuple[float, float]:
        seed = trial_id % self.val_error.shape[1]
        return (
            float(self.val_error[row, seed, epoch - 1]),
            float(self.elapsed[row, seed, epoch - 1]),
        )


def export_digits(folder: Path) -> dict[str, Any]:
    """Write the table for the workers; returns its reference point and front hypervolume."""
    import synetune
    from synetune_sdk.multiobjective import default_reference_point, hypervolume

    blackbox = synetune.blackboxes.load("digits-mlp")
    space = blackbox.configuration_space
    names = list(space)
    grids = {
        n: [v.item() if hasattr(v, "item") else v for v in d.grid(d.size())]
        for n, d in space.items()
    }
    digits = Digits.__new__(Digits)
    digits.grids, digits.names = grids, names
    rows = {}
    for i, config in enumerate(blackbox.all_configurations()):
        rows[",".join(str(digits.index(n, config[n])) for n in names)] = i
    objectives = blackbox.objectives_names
    values = blackbox.objectives_evaluations
    val_error = values[..., objectives.index("val_error")]
    elapsed = values[..., objectives.index("elapsed_time")]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps({"names": names, "grids": grids, "rows": rows}))
    np.savez(folder / "values.npz", val_error=val_error, elapsed=elapsed)
    Y = np.column_stack([val_error[:, :, -1].ravel(), elapsed[:, :, -1].ravel()])
    reference = default_reference_point(Y)
    return {"reference_point": reference.tolist(), "front": hypervolume(Y, reference)}


# -- the sequential driver: scheduler-style methods (synetune and Syne Tune) --------------------
def drive_scheduler(
    scheduler: Any,
    trial_cls: Any,
    decisions: Any,
    problem: str,
    evals: int,
    table: Digits | None,
    multi_fidelity: bool,
) -> tuple[list, list]:
    """Ask, evaluate, tell, one trial at a time; returns (points, suggestion times)."""
    from datetime import datetime

    points, times = [], []
    epochs_left = evals * MAX_EPOCH
    trial_id = 0
    while (epochs_left > 0) if table is not None else (trial_id < evals):
        start_cpu, start_wall = CLOCK(), time.perf_counter()
        suggestion = scheduler.suggest(trial_id)
        times.append((CLOCK() - start_cpu, time.perf_counter() - start_wall))
        if suggestion is None:
            break
        config = suggestion.config
        trial = trial_cls(trial_id=trial_id, config=config, creation_time=datetime.now())
        scheduler.on_trial_add(trial)
        if table is None:
            x = [float(config[f"x{i + 1}"]) for i in range(DIMENSION)]
            f1, f2 = ANALYTIC[problem](x)
            result = {"f1": f1, "f2": f2}
            scheduler.on_trial_result(trial, result)
            scheduler.on_trial_complete(trial, result)
            points.append([f1, f2])
        else:
            row = table.row([table.index(n, config[n]) for n in table.names])
            first = 1 if multi_fidelity else MAX_EPOCH
            for epoch in range(first, MAX_EPOCH + 1):
                epochs_left -= 1 if multi_fidelity else MAX_EPOCH
                error, cost = table.values(row, trial_id, epoch)
                result = {"val_error": error, "elapsed_time": cost, "epoch": epoch}
                decision = scheduler.on_trial_result(trial, result)
                if epoch == MAX_EPOCH:
                    scheduler.on_trial_complete(trial, result)
                    points.append([error, cost])
                elif decision != decisions.CONTINUE:
                    scheduler.on_trial_remove(trial)
                    break
                if epochs_left <= 0:
                    break
        trial_id += 1
    return points, times


def synetune_space(problem: str, table: Digits | None) -> dict[str, Any]:
    if table is None:
        from synetune_sdk.config_space import uniform

        return {f"x{i + 1}": uniform(0.0, 1.0) for i in range(DIMENSION)}
    import synetune

    space = synetune.blackboxes.load("digits-mlp").configuration_space
    return {**space, "epochs": MAX_EPOCH}


def run_synetune(method: str, problem: str, seed: int, evals: int, table: Digits | None) -> Any:
    import synetune
    from synetune_sdk.trial import SchedulerDecision, Trial

    kwargs: dict[str, Any] = {
        "config_space": synetune_space(problem, table),
        "metric": METRICS[problem],
        "mode": "min",
        "random_seed": seed,
    }
    if method == "moasha":
        kwargs.update(time_attr="epoch", max_t=MAX_EPOCH)
    scheduler = synetune.schedulers.create(method, **kwargs)

    def trial_cls(trial_id: int, config: dict, creation_time: Any) -> Any:
        return Trial(trial_id, config, creation_time)

    return drive_scheduler(
        scheduler, trial_cls, SchedulerDecision, problem, evals, table, method == "moasha"
    )


def run_syne_tune(method: str, problem: str, seed: int, evals: int, table: Digits | None) -> Any:
    import logging
    import random

    logging.disable(logging.WARNING)
    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import choice, randint, uniform
    from syne_tune.optimizer import baselines
    from syne_tune.optimizer.scheduler import SchedulerDecision
    from syne_tune.optimizer.schedulers.multiobjective import MOASHA

    random.seed(seed)
    np.random.seed(seed)
    if table is None:
        space = {f"x{i + 1}": uniform(0.0, 1.0) for i in range(DIMENSION)}
    else:
        space = {
            n: choice(g) if isinstance(g[0], str) else randint(0, len(g) - 1)
            for n, g in table.grids.items()
        }
        space["epochs"] = MAX_EPOCH
    metrics = METRICS[problem]
    if method == "st-moasha":
        scheduler = MOASHA(space, metrics=metrics, mode="min", time_attr="epoch", max_t=MAX_EPOCH)
    else:
        cls = {"st-nsga2": baselines.NSGA2, "st-morea": baselines.MOREA}[method]
        scheduler = cls(space, metric=metrics, mode=["min", "min"], random_seed=seed)
    wrapped = scheduler if table is None else _IndexedScheduler(scheduler, table)
    return drive_scheduler(
        wrapped, Trial, SchedulerDecision, problem, evals, table, method == "st-moasha"
    )


class _IndexedScheduler:
    """A peer scheduler on grid indices, seen by the driver with the table's values."""

    def __init__(self, scheduler: Any, table: Digits):
        self.scheduler, self.table = scheduler, table

    def suggest(self, trial_id: int) -> Any:
        suggestion = self.scheduler.suggest(trial_id)
        if suggestion is not None and suggestion.config is not None:
            config = dict(suggestion.config)
            for n, g in self.table.grids.items():
                if not isinstance(g[0], str):
                    config[n] = g[int(config[n])]
            self._last = suggestion.config
            suggestion = type("S", (), {"config": config})()
        return suggestion

    def on_trial_add(self, trial: Any) -> None:
        trial.config = self._last
        self.scheduler.on_trial_add(trial)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.scheduler, name)


def run_optuna(method: str, problem: str, seed: int, evals: int, table: Digits | None) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings

    warnings.filterwarnings("ignore")
    sampler = {
        "optuna-nsga2": optuna.samplers.NSGAIISampler,
        "optuna-tpe": optuna.samplers.TPESampler,
        "optuna-gp": optuna.samplers.GPSampler,
    }[method](seed=seed)
    study = optuna.create_study(sampler=sampler, directions=["minimize", "minimize"])
    points, times = [], []
    for trial_id in range(evals):
        start_cpu, start_wall = CLOCK(), time.perf_counter()
        trial = study.ask()
        if table is None:
            x = [trial.suggest_float(f"x{i + 1}", 0.0, 1.0) for i in range(DIMENSION)]
        else:
            indices = [
                table.grids[n].index(trial.suggest_categorical(n, table.grids[n]))
                if isinstance(table.grids[n][0], str)
                else trial.suggest_int(n, 0, len(table.grids[n]) - 1)
                for n in table.names
            ]
        times.append((CLOCK() - start_cpu, time.perf_counter() - start_wall))
        if table is None:
            values = ANALYTIC[problem](x)
        else:
            values = table.values(table.row(indices), trial_id, MAX_EPOCH)
        study.tell(trial, list(values))
        points.append(list(values))
    return points, times


def worker(
    method: str, problem: str, seeds: list[int], evals: int, table_folder: str | None
) -> list:
    if method == "ehvi" or method.startswith("optuna"):
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:
            pass
    table = Digits(table_folder) if problem == "digits-mlp" else None
    run = (
        run_optuna
        if method.startswith("optuna")
        else run_syne_tune
        if method.startswith("st-")
        else run_synetune
    )
    out = []
    for seed in seeds:
        points, times = run(method, problem, seed, evals, table)
        last = times[-10:]
        out.append(
            {
                "points": points,
                "cpu": float(np.mean([c for c, _ in last])),
                "wall": float(np.mean([w for _, w in last])),
                "suggestions": len(times),
            }
        )
    return out


# -- driver ------------------------------------------------------------------------------------
def hypervolume2(points: list, reference: list[float]) -> float:
    """Exact 2-D hypervolume (minimisation); a copy so the summary needs no synetune."""
    P = np.array([p for p in points if p[0] < reference[0] and p[1] < reference[1]])
    if len(P) == 0:
        return 0.0
    P = P[np.lexsort((P[:, 1], P[:, 0]))]
    volume, level = 0.0, reference[1]
    for a, b in P:
        if b < level:
            volume += (reference[0] - a) * (level - b)
            level = b
    return float(volume)


def python_for(method: str) -> str:
    if method.startswith("optuna"):
        return OPTUNA_PYTHON
    if method.startswith("st-"):
        return ST_PYTHON
    return sys.executable


def run_task(
    python: str, method: str, problem: str, seeds: list[int], args: Any, table: Path
) -> Any:
    """One method on one problem for ``seeds``, in its own process: (runs or None, seconds)."""
    cmd = [python, __file__, "--worker", method, "--problem", problem, "--table", str(table)]
    cmd += ["--seed", ",".join(map(str, seeds)), "--evals", str(args.evals)]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, **SINGLE_THREAD},
        cwd=str(Path(__file__).parent),
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        print(
            f"{method} on {problem}, seeds {seeds} failed:\n{proc.stderr[-3000:]}", file=sys.stderr
        )
        return None, elapsed
    return json.loads(proc.stdout.strip().splitlines()[-1]), elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evals", type=int, default=100)
    parser.add_argument("--problems", default="zdt1,dtlz2,digits-mlp")
    parser.add_argument("--methods", default=",".join(SYNETUNE_METHODS + PEER_METHODS))
    parser.add_argument(
        "--slow-seeds",
        type=int,
        help=f"seeds for the GP methods {', '.join(SLOW)} (default: --seeds); on a loaded "
        "2-core machine 10 seeds of them take hours",
    )
    parser.add_argument(
        "--seed-list",
        help="comma-separated seeds to run instead of range(--seeds), to split a long run into "
        "chunks (merge the saved files with --from a.json,b.json)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes at once")
    parser.add_argument("--save", help="write every finished run to this JSON file as it ends")
    parser.add_argument(
        "--from",
        dest="from_file",
        help="print the table of --save files (comma-separated: their runs are merged)",
    )
    parser.add_argument("--worker")
    parser.add_argument("--problem")
    parser.add_argument("--seed", help="worker: comma-separated seeds")
    parser.add_argument("--table")
    args = parser.parse_args()
    if args.from_file:
        table_from(args.from_file, args.seeds, args.evals)
        return
    if args.worker:
        seeds = [int(seed) for seed in args.seed.split(",")]
        runs = worker(args.worker, args.problem, seeds, args.evals, args.table)
        print(json.dumps(runs))
        return
    from concurrent.futures import ThreadPoolExecutor

    from synetune_plugin_analytic.multiobjective import max_hypervolume, reference_point

    import synetune

    os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="mo-quality-"))
    registered = {n.lower() for n in synetune.schedulers.names()}
    table = Path(tempfile.mkdtemp(prefix="mo-quality-digits-"))
    problems = args.problems.split(",")
    info = {
        p: {"reference_point": list(reference_point(p)), "front": max_hypervolume(p)}
        for p in problems
        if p != "digits-mlp"
    }
    if "digits-mlp" in problems:
        info["digits-mlp"] = export_digits(table)
    seed_list = [int(seed) for seed in args.seed_list.split(",")] if args.seed_list else None
    rows: list[tuple[str, str, str]] = []  # (problem, method, why not run) in table order
    tasks = []
    for problem in problems:
        for method in args.methods.split(","):
            if method in MULTI_FIDELITY and problem != "digits-mlp":
                continue
            python = python_for(method)
            if not method.startswith(("optuna", "st-")) and method.lower() not in registered:
                rows.append((problem, method, "not installed"))
            elif not Path(python).exists():
                rows.append((problem, method, f"not run ({python} missing)"))
            else:
                rows.append((problem, method, ""))
                if method in SLOW and args.jobs > 1:  # one process per seed, run in parallel
                    seeds = seed_list or list(range(args.slow_seeds or args.seeds))
                    tasks += [(problem, method, [seed], python) for seed in seeds]
                else:  # one process for every seed: imports are most of their time
                    tasks.append((problem, method, seed_list or list(range(args.seeds)), python))
    tasks.sort(key=lambda t: t[1] not in SLOW)  # the long ones first
    runs: dict[tuple[str, str], list] = {}
    seconds: dict[tuple[str, str], float] = {}

    def one(task: tuple) -> None:
        problem, method, seeds, python = task
        results, elapsed = run_task(python, method, problem, seeds, args, table)
        key = (problem, method)
        seconds[key] = seconds.get(key, 0.0) + elapsed
        for seed, result in zip(seeds, results or []):
            runs.setdefault(key, []).append({"seed": seed, **result})
        if args.save:
            saved = {f"{p}/{m}": r for (p, m), r in runs.items()}
            Path(args.save).write_text(json.dumps({"fronts": info, "runs": saved}))

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        list(pool.map(one, tasks))
    print_table(rows, info, runs, seconds, args.evals, args.seeds)


def print_table(rows: list, info: dict, runs: dict, seconds: dict, evals: int, seeds: int) -> None:
    """The markdown table (``rows``: (problem, method, why not run)) and the raw figures."""
    print(
        f"Hypervolume after {evals} evaluations, {seeds} seeds (median [q1, q3]); "
        "s/suggestion: CPU (wall) at the last 10 suggestions, median over seeds\n"
    )
    print("| problem | method | hypervolume | gap to front | s/suggestion | run time |")
    print("|---|---|---|---|---|---|")
    results: dict[str, Any] = {}
    for problem, method, why in rows:
        ref, front = info[problem]["reference_point"], info[problem]["front"]
        key = (problem, method)
        done = runs.get(key, [])
        if why or not done:
            print(f"| {problem} | {method} | {why or 'failed'} | | | |")
            continue
        volumes = [hypervolume2(r["points"], ref) for r in done]
        q1, med, q3 = np.percentile(volumes, [25, 50, 75])
        cpu = float(np.median([r["cpu"] for r in done]))
        wall = float(np.median([r["wall"] for r in done]))
        results[f"{problem}/{method}"] = {"hypervolume": volumes, "cpu": cpu, "wall": wall}
        label = method if len(done) == seeds else f"{method} ({len(done)} seeds)"
        took = f"{seconds[key]:.0f} s" if key in seconds else ""
        print(
            f"| {problem} | {label} | {med:.4f} [{q1:.4f}, {q3:.4f}] | {front - med:.4f} | "
            f"{cpu:.3f} ({wall:.3f}) | {took} |"
        )
    print("\nfronts: " + json.dumps(info))
    print(json.dumps(results))


def table_from(paths: str, seeds: int, evals: int) -> None:
    """Print the table of runs saved with ``--save`` (finished or not; comma-separated files
    are merged, one run per problem, method and seed, the last file winning)."""
    fronts: dict[str, Any] = {}
    merged: dict[str, dict[int, Any]] = {}
    for path in paths.split(","):
        saved = json.loads(Path(path).read_text())
        fronts.update(saved["fronts"])
        for key, results in saved["runs"].items():
            merged.setdefault(key, {}).update({r["seed"]: r for r in results})
    runs = {tuple(k.split("/", 1)): [v[s] for s in sorted(v)] for k, v in merged.items()}
    order = list(SYNETUNE_METHODS + PEER_METHODS)
    problems = [p for p in ("zdt1", "dtlz2", "digits-mlp") if p in fronts]
    keys = sorted(runs, key=lambda k: (problems.index(k[0]), order.index(k[1])))
    rows = [(p, m, "") for p, m in keys]
    print_table(rows, fronts, runs, {}, evals, seeds)


if __name__ == "__main__":
    main()
