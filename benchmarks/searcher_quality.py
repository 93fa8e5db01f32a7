"""Model-based and evolutionary searchers side by side with Syne Tune 0.13.0 and Optuna (issue 16).

Part 1 (``--single``), simple regret (best value minus the global minimum) after ``--evals``
sequential evaluations (default 50) over ``--seeds`` seeds (default 10) on Branin and Hartmann6,
median and quartiles: synetune ``tpe``, ``kde``, ``bore``, ``cqr``, ``rea`` and
``random_search`` (each through its registered scheduler, library defaults) next to Optuna's
``TPESampler`` and Syne Tune's ``KDE``, ``BORE``, ``CQR``, ``REA`` and ``RandomSearch``.

Part 2 (``--latency``), seconds per suggestion on Hartmann6 after N observations (default 100
and 1000), ``benchmarks/bo_latency.py``'s protocol (N - warmup random observations, warmup
untimed steps, ``--repeat`` timed suggestions; mean and max): synetune ``tpe``, ``kde``,
``bore``, ``cqr`` next to Optuna's TPE and Syne Tune's ``KDE``, ``BORE``, ``CQR``.

Part 3 (``--mf``), the digits-mlp table through the Tuner and the simulator backend, 4 workers,
``--mf-budget`` simulated seconds, ``--mf-seeds`` seeds (as ``bo_quality.simulate_digits``: best
``val_error`` reported, and the true final error of the configuration the run returns by the
single, finalists and pool rules of ``returned_errors``, the same for every method): synetune ``asha``, ``bohb``, ``asha_bore``, ``asha_cqr``, ``dyhpo`` next to Syne Tune's
``ASHA``, ``BOHB``, ``ASHABORE``, ``ASHACQR``, ``DyHPO``; plus the wall and CPU seconds of each
run, the CPU seconds scaled to seconds per simulated hour for DyHPO. The default budget, 10
simulated seconds, is 40 worker-seconds, about 55 full 27-epoch trainings (0.72 s each on
average): not tiny for this table of 648 configurations. synetune's ``asha`` samples without
replacement and has started every configuration by about 30 simulated seconds (its runs end
there: a 30, 100 and 300 s budget gave the same result), so larger budgets only add trials at
the top rung, whose noisy best (a table seed drawn per trial) decides the returned
configuration; and ``asha_cqr`` (a quantile-model refit per new trial) already costs minutes
of CPU per 10 s run.

``--probe`` checks that each Syne Tune baseline constructs and fits its model (counts calls of
the model-fitting method) rather than silently suggesting at random.

Peers run in scratch virtual environments, never dependencies of synetune (the same as
``bo_quality.py``; Syne Tune's BORE needs xgboost, its digits table ``'pyarrow<18'``)::

    python -m venv /tmp/bo-st && /tmp/bo-st/bin/pip install 'syne-tune[gpsearchers,kde]==0.13.0' xgboost 'numpy<2' 'pandas<2.2' 'scipy<1.14' 'pyarrow<18'
    python -m venv /tmp/bo-optuna && /tmp/bo-optuna/bin/pip install optuna torch==2.13.0 scipy
    python benchmarks/searcher_quality.py --single --latency --mf [--seeds 10] [--mf-seeds 10]

Every method runs in its own process (``--jobs`` at a time) with BLAS/OpenMP on one thread.
This file is also the worker (``--worker``): it must import without synetune.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from bo_latency import NAMES, OptunaAdapter, SyneTuneAdapter, SynetuneAdapter, random_configs
from bo_quality import (
    FUNCTIONS,
    OPTUNA_PYTHON,
    SINGLE_THREAD,
    ST_PYTHON,
    digits_tuner,
    digits_tuner_syne_tune,
    hartmann6,
    run_optuna,
    summary,
)

SINGLE = {  # label -> (interpreter, name in its library)
    "synetune-random_search": ("synetune", "random_search"),
    "synetune-tpe": ("synetune", "tpe"),
    "synetune-kde": ("synetune", "kde"),
    "synetune-bore": ("synetune", "bore"),
    "synetune-cqr": ("synetune", "cqr"),
    "synetune-rea": ("synetune", "rea"),
    "optuna-tpe": ("optuna", "tpe"),
    "st-RandomSearch": ("st", "RandomSearch"),
    "st-KDE": ("st", "KDE"),
    "st-BORE": ("st", "BORE"),
    "st-CQR": ("st", "CQR"),
    "st-REA": ("st", "REA"),
}
# ablations, run only when named in --methods: the TPE variants with the other library's default
VARIANTS = {
    "synetune-tpe-univariate": ("synetune", "tpe", {"multivariate": False}),
    "optuna-tpe-multivariate": ("optuna", "tpe", {"multivariate": True}),
    # bore without xgboost (CI installs none): scikit-learn's histogram gradient boosting
    "synetune-bore-hgb": ("synetune", "bore", {"classifier": "hgb"}),
    # bore with xgboost's own min_child_weight=1, as Syne Tune's BORE fits it
    "synetune-bore-mcw1": ("synetune", "bore", {"classifier_kwargs": {"min_child_weight": 1}}),
}
LATENCY = ["synetune-tpe", "synetune-kde", "optuna-tpe", "st-KDE"]
LATENCY += ["synetune-bore", "st-BORE", "synetune-cqr", "st-CQR"]
MF = ["synetune-asha", "synetune-bohb", "synetune-asha_bore", "synetune-asha_cqr"]
MF += ["synetune-dyhpo", "st-ASHA", "st-BOHB", "st-ASHABORE", "st-ASHACQR", "st-DyHPO"]
# the method each Syne Tune baseline fits its model in (for --probe)
ST_FIT = {
    "KDE": ("syne_tune.optimizer.schedulers.searchers.kde.kde_searcher", "KernelDensityEstimator", "_train_kde"),
    "BOHB": ("syne_tune.optimizer.schedulers.searchers.kde.kde_searcher", "KernelDensityEstimator", "_train_kde"),
    "BORE": ("syne_tune.optimizer.schedulers.searchers.bore.bore", "Bore", "_train_model"),
    "ASHABORE": ("syne_tune.optimizer.schedulers.searchers.bore.bore", "Bore", "_train_model"),
    "REA": ("syne_tune.optimizer.schedulers.searchers.regularized_evolution", "RegularizedEvolution", "_mutate_config"),
}  # fmt: skip


def python_for(label: str) -> str:
    return {"st": ST_PYTHON, "optuna": OPTUNA_PYTHON}.get(label.split("-")[0], sys.executable)


# -- part 1: one method, one function, all seeds -----------------------------------------------
def run_scheduler(label: str, function: str, seed: int, evals: int) -> float:
    """``evals`` sequential suggest/evaluate steps of a synetune or Syne Tune scheduler."""
    from datetime import datetime

    f, bounds, fmin = FUNCTIONS[function]
    library, name, *options = SINGLE.get(label) or VARIANTS[label]
    search_options = {"search_options": options[0]} if options else {}
    if library == "st":
        import logging

        logging.disable(logging.WARNING)
        from syne_tune.backend.trial_status import Trial
        from syne_tune.config_space import uniform
        from syne_tune.optimizer import baselines

        space = {k: uniform(lo, hi) for k, (lo, hi) in bounds.items()}
        scheduler = getattr(baselines, name)(space, metric="y", mode="min", random_seed=seed)
    else:
        import synetune
        from synetune_sdk.config_space import uniform
        from synetune_sdk.trial import Trial

        space = {k: uniform(lo, hi) for k, (lo, hi) in bounds.items()}
        scheduler = synetune.schedulers.create(
            name, config_space=space, metric="y", mode="min", random_seed=seed, **search_options
        )
    best = math.inf
    for trial_id in range(evals):
        suggestion = scheduler.suggest(trial_id)
        trial = Trial(trial_id, dict(suggestion.config), datetime.now())
        scheduler.on_trial_add(trial)
        value = f(suggestion.config)
        best = min(best, value)
        scheduler.on_trial_complete(trial, {"y": value})
    return best - fmin


def single_worker(label: str, function: str, seeds: list[int], evals: int) -> list[float]:
    if label == "optuna-tpe":
        return [run_optuna("tpe", function, s, evals) for s in seeds]
    if label == "optuna-tpe-multivariate":
        return [run_optuna_multivariate(function, s, evals) for s in seeds]
    return [run_scheduler(label, function, s, evals) for s in seeds]


def run_optuna_multivariate(function: str, seed: int, evals: int) -> float:
    """``bo_quality.run_optuna`` with ``TPESampler(multivariate=True)``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    f, bounds, fmin = FUNCTIONS[function]
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    study.optimize(
        lambda t: f({k: t.suggest_float(k, lo, hi) for k, (lo, hi) in bounds.items()}),
        n_trials=evals,
    )
    return study.best_value - fmin


# -- part 2: seconds per suggestion (bo_latency's protocol and adapters) -----------------------
class OptunaTPEAdapter(OptunaAdapter):
    """bo_latency's Optuna adapter with the TPE sampler (Optuna's defaults) instead of GP."""

    def __init__(self) -> None:
        super().__init__()
        self.study = self.optuna.create_study(sampler=self.optuna.samplers.TPESampler(seed=0))


def latency_worker(label: str, sizes: list[int], repeat: int, warmup: int) -> dict:
    out = {}
    for size in sizes:
        initial = random_configs(size - warmup)
        if label == "optuna-tpe":
            adapter = OptunaTPEAdapter()
        elif label.startswith("st-"):
            adapter = SyneTuneAdapter(initial, label[3:])
        else:
            adapter = SynetuneAdapter(label.removeprefix("synetune-"))
        for config in initial:
            adapter.tell(config, hartmann6(config))
        times, cpu = [], []
        for step in range(warmup + repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            config = adapter.suggest()
            elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            adapter.tell({n: config[n] for n in NAMES}, hartmann6(config))
            if step >= warmup:
                times.append(elapsed)
                cpu.append(elapsed_cpu)
        # CPU seconds first: on a loaded machine wall time mostly measures the other processes
        out[size] = [float(np.mean(cpu)), float(np.max(cpu)), float(np.mean(times))]
    return out


# -- part 3: digits-mlp, Syne Tune side (bo_quality.simulate_digits_syne_tune, more baselines) --
def simulate_digits_st(name: str, seed: int, budget: float, table: str) -> tuple[float, ...]:
    """Syne Tune baseline ``name`` (class name) on the digits-mlp table: as
    ``bo_quality.simulate_digits_syne_tune`` (whose class map has no BOHB, ASHABORE, ASHACQR,
    DyHPO), the clock spent on training time only, a table seed per trial."""
    import pandas as pd

    tuner_name = f"st-searcher-quality-{name.lower()}-{seed}"
    tuner, callback, blackbox = digits_tuner_syne_tune(name, seed, budget, table, tuner_name)
    tuner.run()
    df = callback.dataframe()
    table_df = pd.read_parquet(Path(table) / "evaluations.parquet")
    returned = returned_errors(df, table_df, list(blackbox.configuration_space))
    return float(df["val_error"].min()), *returned


def simulate_digits_synetune(name: str, seed: int, budget: float, table: str) -> tuple[float, ...]:
    """synetune scheduler ``name`` on the digits-mlp table (``bo_quality.digits_tuner``: the
    Tuner on the simulator backend, 4 workers), scored by ``returned_errors``."""
    import pandas as pd

    from synetune.experiments import load_experiment

    tuner_name = f"searcher-quality-{name.replace('_', '-')}-{seed}"
    tuner, blackbox = digits_tuner(name, seed, budget, tuner_name)
    tuner.run()
    df = load_experiment(tuner.tuner_path).results
    table_df = pd.read_parquet(Path(table) / "evaluations.parquet")
    returned = returned_errors(df, table_df, list(blackbox.configuration_space))
    return tuner.best_result()[2], *returned


FINALISTS = 3  # configurations re-trained on every table seed by the "finalists" rule


def returned_errors(df: object, table_df: object, hps: list[str]) -> tuple[float, float, float]:
    """The true error (final ``val_error`` averaged over the table's training seeds) of what a
    run returns, by three rules applied alike to every method and library (``df``: one row per
    reported result with ``epoch``, ``val_error`` and ``config_<hp>`` columns):

    * single: the configuration with the best ``val_error`` at the highest epoch any trial
      reached (the first one reported among ties); one noisy training decides, so a
      configuration on a lucky training seed wins (the winner's curse of this table: the seeds
      of one configuration differ by up to 0.015 at epoch 27, while the 9 best configurations
      lie within 0.002 of the optimum);
    * finalists: the ``FINALISTS`` configurations with the best ``val_error`` at that epoch are
      re-trained on every table seed and the best mean is kept (what a user does with a noisy
      incumbent; the same 3 x 3 extra trainings for every method);
    * pool: the best of all that reached that epoch (an oracle: what the run found).
    """
    last = table_df[table_df["epoch"] == table_df["epoch"].max()]
    truth = last.groupby(hps, sort=False)["val_error"].mean().reset_index()

    def true_error(row: object) -> float:
        rows = truth
        for hp in hps:
            value = row[f"config_{hp}"]
            if isinstance(value, str):
                rows = rows[rows[hp] == value]
            else:
                rows = rows[np.isclose(rows[hp].astype(float), float(value), rtol=1e-6)]
        if len(rows) != 1:
            raise ValueError(f"{len(rows)} table configurations match {row.to_dict()}")
        return float(rows["val_error"].iloc[0])

    top = df[df["epoch"] == df["epoch"].max()].sort_values("val_error", kind="stable")
    errors = [true_error(row) for _, row in top.iterrows()]
    return errors[0], min(errors[:FINALISTS]), min(errors)


def mf_worker(label: str, seeds: list[int], budget: float, table: str) -> list[list[float]]:
    """Per seed: [best reported, true error of the returned configuration by the single,
    finalists and pool rules (``returned_errors``), wall seconds, CPU seconds of this process
    (the machine is shared: wall time depends on the load)]."""
    out = []
    calls = count_fits(label[3:]) if label.startswith("st-") else {}
    for seed in seeds:
        start, cpu = time.perf_counter(), time.process_time()
        if label.startswith("st-"):
            values = simulate_digits_st(label[3:], seed, budget, table)
            print(f"{label} seed {seed}: {calls['n']} model fits so far", file=sys.stderr)
        else:
            values = simulate_digits_synetune(label.removeprefix("synetune-"), seed, budget, table)
        out.append([*values, time.perf_counter() - start, time.process_time() - cpu])
    return out


# -- probe: does each Syne Tune baseline fit its model? ----------------------------------------
def count_fits(name: str) -> dict:
    """Count the successful calls of the method baseline ``name`` fits its model in (``ST_FIT``:
    a KDE pair, ``True`` from BORE's training, a mutated configuration from REA)."""
    import importlib

    calls = {"n": 0 if name in ST_FIT else None}
    if name in ST_FIT:
        module, cls, method = ST_FIT[name]
        klass = getattr(importlib.import_module(module), cls)
        original = getattr(klass, method)

        def counted(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            calls["n"] += result is not None and result is not False  # a model, not a refusal
            return result

        setattr(klass, method, counted)
    return calls


def probe_worker(name: str) -> dict:
    try:
        calls = count_fits(name)
        SINGLE.setdefault(f"st-{name}", ("st", name))
        regret = run_scheduler(f"st-{name}", "hartmann6", 0, 30)
    except Exception as error:  # noqa: BLE001 - the probe reports any failure
        return {"error": f"{type(error).__name__}: {error}"}
    return {"regret": round(regret, 4), "model_fits": calls["n"]}


# -- driver ------------------------------------------------------------------------------------
def launch(label: str, args: list[str]) -> tuple[object, float, str]:
    python = python_for(label)
    if not Path(python).exists():
        return None, 0.0, f"{python} missing"
    cmd = [python, __file__, "--worker", label, *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **SINGLE_THREAD})
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return None, elapsed, lines[-1] if lines else f"exit {proc.returncode}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), elapsed, ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--single", action="store_true")
    parser.add_argument("--latency", action="store_true")
    parser.add_argument("--mf", action="store_true")
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evals", type=int, default=50)
    parser.add_argument("--functions", default="branin,hartmann6")
    parser.add_argument("--methods", help="comma-separated labels (default: all of the part)")
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--mf-seeds", type=int, default=10)
    parser.add_argument("--mf-budget", type=float, default=10.0, help="simulated seconds")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes at a time")
    parser.add_argument("--chunk", type=int, default=5, help="seeds per worker process")
    parser.add_argument("--save", help="write the results as JSON to this file")
    parser.add_argument("--from", dest="load", help="print the tables of a --save file")
    parser.add_argument(
        "--seed-list", help="comma-separated seeds (--single: instead of 0..--seeds-1)"
    )
    parser.add_argument("--worker")
    parser.add_argument("--part")
    parser.add_argument("--function")
    parser.add_argument("--table")
    args = parser.parse_args()
    if args.worker:
        seeds = [int(s) for s in (args.seed_list or "0").split(",")]
        if args.part == "single":
            out = single_worker(args.worker, args.function, seeds, args.evals)
        elif args.part == "latency":
            sizes = [int(s) for s in args.sizes.split(",")]
            out = latency_worker(args.worker, sizes, args.repeat, args.warmup)
        elif args.part == "mf":
            out = mf_worker(args.worker, seeds, args.mf_budget, args.table)
        else:
            out = probe_worker(args.worker[3:])
        print(json.dumps(out))
        return
    pick = args.methods.split(",") if args.methods else None
    jobs: list[tuple[str, str, list[str]]] = []  # (part/key, label, worker args)
    if args.probe:
        for name in ("RandomSearch", "KDE", "BORE", "CQR", "REA"):
            jobs.append((f"probe/{name}", f"st-{name}", ["--part", "probe"]))
    if args.single:
        for function in args.functions.split(","):
            for label in pick or SINGLE:
                extra = ["--part", "single", "--function", function]
                extra += ["--evals", str(args.evals)]
                for chunk in single_chunks(args):
                    jobs.append((f"single/{function}/{label}", label, extra + chunk))
    if args.latency:
        for label in pick or LATENCY:
            extra = ["--part", "latency", "--sizes", args.sizes]
            extra += ["--repeat", str(args.repeat), "--warmup", str(args.warmup)]
            jobs.append((f"latency/{label}", label, extra))
    if args.mf:
        import synetune

        table = str(synetune.blackboxes.generate("digits-mlp"))
        for label in pick or MF:
            extra = ["--part", "mf", "--table", table, "--mf-budget", str(args.mf_budget)]
            for chunk in chunks(args.mf_seeds, args.chunk):
                jobs.append((f"mf/{label}", label, extra + chunk))
    if args.load:
        print_tables(json.loads(Path(args.load).read_text()), args)
        return
    # the slow model-based methods first, so that they do not become the tail
    jobs.sort(
        key=lambda job: not any(s in job[1] for s in ("bore", "BORE", "cqr", "DyHPO", "dyhpo"))
    )
    results: dict = {}
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [(key, pool.submit(launch, label, extra)) for key, label, extra in jobs]
        for key, future in futures:
            values, elapsed, error = future.result()
            entry = results.setdefault(key, {"values": [], "seconds": 0.0, "error": ""})
            entry["seconds"] += elapsed
            if values is None:
                entry["error"] = error
            elif isinstance(values, list):
                entry["values"] += values
            else:
                entry["values"] = values
            print(f"# {key}: {error or 'ok'} ({elapsed:.0f} s)", file=sys.stderr, flush=True)
            if args.save:
                Path(args.save).write_text(json.dumps(results, indent=1))
    print_tables(results, args)


def single_chunks(args: argparse.Namespace) -> list[list[str]]:
    """Worker arguments of part 1: the seeds of ``--seed-list`` (other seeds than 0..9 show
    whether a difference is seed luck) or 0..``--seeds``-1, ``--chunk`` seeds per process."""
    if not args.seed_list:
        return chunks(args.seeds, args.chunk)
    seeds = args.seed_list.split(",")
    return [
        ["--seed-list", ",".join(seeds[i : i + args.chunk])]
        for i in range(0, len(seeds), args.chunk)
    ]


def chunks(seeds: int, size: int) -> list[list[str]]:
    """Worker arguments for the seeds 0..seeds-1, ``size`` seeds per process."""
    return [
        ["--seed-list", ",".join(map(str, range(start, min(start + size, seeds))))]
        for start in range(0, seeds, size)
    ]


def print_tables(results: dict, args: argparse.Namespace) -> None:
    def cell(key: str, fmt=summary) -> str:
        entry = results.get(key)
        if entry is None:
            return "not run"
        if entry["error"] or not entry["values"]:
            return f"failed: {entry['error'][:100]}"
        return fmt(entry["values"])

    def seeds_note(values: list) -> str:
        expected = len(args.seed_list.split(",")) if args.seed_list else args.seeds
        return "" if len(values) == expected else f" ({len(values)} seeds)"

    probes = sorted(k for k in results if k.startswith("probe/"))
    if probes:
        print("\n| Syne Tune baseline | probe (30 evaluations, Hartmann6) |\n|---|---|")
        for key in probes:
            print(f"| {key[6:]} | {cell(key, json.dumps)} |")
    functions = [f for f in args.functions.split(",") if f"single/{f}/optuna-tpe" in results]
    labels = sorted({k.split("/")[2] for k in results if k.startswith("single/")})
    if labels:
        print(
            f"\nSimple regret after {args.evals} evaluations, "
            f"{'seeds ' + args.seed_list if args.seed_list else f'{args.seeds} seeds'}: "
            "median [q1, q3]\n"
        )
        functions = sorted({k.split("/")[1] for k in results if k.startswith("single/")})
        print("| method | " + " | ".join(functions) + " |")
        print("|---|" + "---|" * len(functions))
        for label in [lb for lb in [*SINGLE, *VARIANTS] if lb in labels]:
            cells = [
                cell(f"single/{f}/{label}", lambda v: f"{summary(v).strip()}" + seeds_note(v))
                for f in functions
            ]
            print(f"| {label} | " + " | ".join(cells) + " |")
    latency = [k for k in results if k.startswith("latency/")]
    if latency:
        sizes = args.sizes.split(",")
        print(
            f"\nCPU seconds per suggestion on Hartmann6 (one thread), mean (max) of {args.repeat}"
            " suggestions; wall seconds (mean, loaded machine) after the slash\n"
        )
        print("| method | " + " | ".join(f"N={s}" for s in sizes) + " |")
        print("|---|" + "---|" * len(sizes))
        for key in latency:
            cells = [
                cell(key, lambda v, s=s: f"{v[s][0]:.4f} ({v[s][1]:.4f}) / {v[s][2]:.3f}")
                for s in sizes
            ]
            print(f"| {key[8:]} | " + " | ".join(cells) + " |")
    mf = [k for k in results if k.startswith("mf/")]
    if mf:
        print(
            f"\ndigits-mlp, simulator backend, 4 workers, {args.mf_budget:g} simulated s, "
            f"{args.mf_seeds} seeds: median [q1, q3] (table optimum 0.0167); true final "
            "val_error of the returned configuration by the single, finalists and pool rules "
            "(returned_errors); wall and CPU seconds per run (median), CPU seconds per "
            "simulated hour (extrapolated linearly from the measured budget)\n"
        )
        print(
            "| method | best val_error reported | true error, single | true error, finalists "
            "| true error, pool | wall s per run | CPU s per run | CPU s per simulated hour |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for key in mf:

            def column(v: list, i: int) -> str:
                return summary([padded(row)[i] for row in v]).strip()

            wall = cell(key, lambda v: f"{np.median([padded(r)[4] for r in v]):.1f}")

            def cpu_s(v: list) -> float:  # runs saved before CPU time was recorded: nan
                return float(np.median([padded(r)[5] for r in v]))

            cpu = cell(key, lambda v: f"{cpu_s(v):.1f}")
            hour = cell(key, lambda v: f"{cpu_s(v) * 3600 / args.mf_budget:.0f}")
            n = len(results[key]["values"] or [])
            rules = " | ".join(cell(key, lambda v, i=i: column(v, i)) for i in (1, 2, 3))
            print(
                f"| {key[3:]} ({n} seeds) | {cell(key, lambda v: column(v, 0))} | {rules} | "
                f"{wall} | {cpu} | {hour} |"
            )
    print("\n" + json.dumps({k: v["values"] for k, v in results.items()}))


def padded(row: list) -> list:
    """An --mf result row in today's layout (best, single, finalists, pool, wall, CPU); rows
    saved before the finalists and pool rules (best, single, wall[, CPU]) get nan there."""
    if len(row) >= 6:
        return row
    return [row[0], row[1], np.nan, np.nan, row[2], row[3] if len(row) > 3 else np.nan]


if __name__ == "__main__":
    main()
