"""Quality of Bayesian optimisation, side by side with Syne Tune 0.13.0 and Optuna (issue 6).

Part 1, single fidelity: simple regret (best value found minus the global minimum) after
``--evals`` sequential evaluations (default 50) over ``--seeds`` seeds (default 10), median and
quartiles, on Branin (2-d) and Hartmann6 (6-d). Methods, each with its library's defaults:

* ``synetune-bo``: ``bayesopt`` (this repository's synetune-plugin-gp);
* ``synetune-botorch``: ``botorch`` (synetune-plugin-botorch), only with ``--botorch``;
* ``syne-tune-bo``: Syne Tune 0.13.0 ``BayesianOptimization``;
* ``optuna-gp`` / ``optuna-tpe``: Optuna ``GPSampler`` / ``TPESampler``.

Part 2, multi-fidelity (``--mf``), 4 asynchronous workers, ``--mf-seeds`` seeds:
``random_search``, ``asha``, ``mobster`` (exp-decay resource kernel, the default),
``mobster-matern52`` (``gp_resource_kernel="matern52"``) and ``hypertune`` on the digits-mlp
learning-curve table through the Tuner and the simulator backend, ``--mf-digits-budget``
simulated seconds (see ``simulate_digits``: best validation error reported, and the true error
of the configuration each run returns), next to Syne Tune 0.13.0's ``ASHA``, ``MOBSTER`` and
``HyperTune`` on the same table (``st-*``, see ``simulate_digits_syne_tune``; Syne Tune needs
``'pyarrow<18'`` in its venv for the table); then the same GP methods and ``asha`` on a synthetic
benchmark whose learning curves cross (``learning_curve``, ``--mf-budget`` simulated seconds).

Peers run in scratch virtual environments, never dependencies of synetune::

    python -m venv /tmp/bo-st && /tmp/bo-st/bin/pip install 'syne-tune[gpsearchers]==0.13.0' 'numpy<2' 'pandas<2.2' 'scipy<1.14' 'pyarrow<18'
    python -m venv /tmp/bo-optuna && /tmp/bo-optuna/bin/pip install optuna torch==2.13.0 scipy
    python benchmarks/bo_quality.py [--seeds 10] [--evals 50] [--mf]

Every method runs in its own process with BLAS/OpenMP limited to one thread (the same for all).
This file is also the worker (``--worker METHOD``): it must import without synetune.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ST_PYTHON = "/tmp/bo-st/bin/python"
OPTUNA_PYTHON = "/tmp/bo-optuna/bin/python"
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# -- analytic functions (own copies; bounds and minima as in the literature) ------------------
BRANIN_MIN = 0.397887357729738
HARTMANN6_MIN = -3.322368011415515
_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(c: dict) -> float:
    x1, x2 = c["x1"], c["x2"]
    return float(
        (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1)
        + 10
    )


def hartmann6(c: dict) -> float:
    x = np.array([c[f"x{i}"] for i in range(6)])
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_A * (x - _P) ** 2, axis=1))))


FUNCTIONS = {
    "branin": (branin, {"x1": (-5.0, 10.0), "x2": (0.0, 15.0)}, BRANIN_MIN),
    "hartmann6": (hartmann6, {f"x{i}": (0.0, 1.0) for i in range(6)}, HARTMANN6_MIN),
}


# -- workers: one method, all seeds; print a JSON list of regrets ------------------------------
def run_synetune(name: str, function: str, seed: int, evals: int) -> float:
    import synetune
    from synetune_sdk.config_space import uniform

    f, bounds, fmin = FUNCTIONS[function]
    space = {k: uniform(lo, hi) for k, (lo, hi) in bounds.items()}
    searcher = synetune.searchers.create(
        name, config_space=space, metric="y", mode="min", random_seed=seed
    )
    best = math.inf
    for trial_id in range(evals):
        config = searcher.suggest(trial_id)
        searcher.register_pending(trial_id, config)
        value = f(config)
        best = min(best, value)
        searcher.on_trial_complete(trial_id, config, {"y": value})
    return best - fmin


def run_syne_tune(function: str, seed: int, evals: int) -> float:
    import logging
    from datetime import datetime

    logging.disable(logging.WARNING)
    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import BayesianOptimization

    f, bounds, fmin = FUNCTIONS[function]
    space = {k: uniform(lo, hi) for k, (lo, hi) in bounds.items()}
    scheduler = BayesianOptimization(space, metric="y", mode="min", random_seed=seed)
    best = math.inf
    for trial_id in range(evals):
        suggestion = scheduler.suggest(trial_id)
        trial = Trial(trial_id=trial_id, config=suggestion.config, creation_time=datetime.now())
        scheduler.on_trial_add(trial)
        value = f(suggestion.config)
        best = min(best, value)
        scheduler.on_trial_complete(trial, {"y": value})
    return best - fmin


def run_optuna(sampler_name: str, function: str, seed: int, evals: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    f, bounds, fmin = FUNCTIONS[function]
    sampler = (
        optuna.samplers.GPSampler(seed=seed)
        if sampler_name == "gp"
        else optuna.samplers.TPESampler(seed=seed)
    )
    study = optuna.create_study(sampler=sampler, direction="minimize")
    study.optimize(
        lambda t: f({k: t.suggest_float(k, lo, hi) for k, (lo, hi) in bounds.items()}),
        n_trials=evals,
    )
    return study.best_value - fmin


def worker(method: str, function: str, seeds: int, evals: int) -> list[float]:
    out = []
    for seed in range(seeds):
        if method == "synetune-bo":
            out.append(run_synetune("bayesopt", function, seed, evals))
        elif method == "synetune-botorch":
            import torch

            torch.set_num_threads(1)
            out.append(run_synetune("botorch", function, seed, evals))
        elif method == "syne-tune-bo":
            out.append(run_syne_tune(function, seed, evals))
        elif method == "optuna-gp":
            out.append(run_optuna("gp", function, seed, evals))
        elif method == "optuna-tpe":
            out.append(run_optuna("tpe", function, seed, evals))
        else:
            raise ValueError(f"unknown method {method!r}")
    return out


# -- multi-fidelity: a synthetic learning-curve benchmark, simulated asynchronously -------------
def learning_curve(config: dict, epoch: int, rng: np.random.Generator) -> float:
    """Validation error of ``config`` after ``epoch`` epochs (noisy, curves cross).

    A large learning rate learns fast but ends worse than a medium one, so early rungs can
    mislead; dropout and width have optima inside their ranges.
    """
    x = math.log10(config["lr"])  # in [-4, -1]
    final = (
        0.05
        + 0.08 * ((x + 2.7) / 1.3) ** 2
        + 0.3 * (config["dropout"] - 0.3) ** 2
        + 0.02 * (math.log2(config["width"]) - 7) ** 2 / 4
        + 0.02 * (config["optimizer"] == "sgd")
    )
    rate = 0.02 + 0.5 * 10 ** (x + 1)  # per epoch
    start = 0.9
    return float(final + (start - final) * math.exp(-rate * epoch) + 0.004 * rng.standard_normal())


def epoch_time(config: dict) -> float:
    return 2.0 + config["width"] / 64.0


def digits_tuner_syne_tune(
    scheduler_class: str,
    seed: int,
    budget: float,
    table: str | Path,
    tuner_name: str,
    n_workers: int = 4,
    tuner_sleep_time: float = 0.02,
    multi_fidelity: bool = True,
) -> tuple[Any, Any, Any]:
    """``(tuner, callback, blackbox)``: Syne Tune 0.13's baseline ``scheduler_class`` (a class
    name in ``syne_tune.optimizer.baselines``) on the digits-mlp table, in Syne Tune's venv; the
    one Syne Tune set-up of every benchmark on this table (``callback.dataframe()``: the results).

    Its simulator advances the clock by ``tuner_sleep_time`` per tuner loop and by modelled
    delays per event; both are set near zero so that, as in synetune's simulator, the budget
    is spent on training time only. A table seed is drawn per trial on both sides.
    """
    import logging
    import tempfile

    from simulator_throughput import syne_tune_blackbox
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_backend import SimulatorConfig
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository import simulated_tabular_backend
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
    from syne_tune.optimizer import baselines

    logging.disable(logging.WARNING)
    os.chdir(tempfile.mkdtemp(prefix="st-digits-"))  # Syne Tune writes into ~/syne-tune
    blackbox = syne_tune_blackbox(Path(table))
    # Syne Tune draws a table seed per trial only for its BlackboxTabular class
    simulated_tabular_backend.BlackboxTabular = type(blackbox)
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    kwargs = dict(metric="val_error", mode="min", random_seed=seed)
    if multi_fidelity:
        kwargs.update(resource_attr="epoch", max_resource_attr="epochs")
    callback = SimulatorCallback()
    tiny = 1e-3
    tuner = Tuner(
        trial_backend=UserBlackboxBackend(
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr="epochs",
            simulator_config=SimulatorConfig(tiny, tiny, tiny, tiny, tiny),
            tuner_sleep_time=tuner_sleep_time,
        ),
        scheduler=getattr(baselines, scheduler_class)(space, **kwargs),
        stop_criterion=StoppingCriterion(max_wallclock_time=budget),
        n_workers=n_workers,
        sleep_time=0,
        callbacks=[callback],
        tuner_name=tuner_name,
        save_tuner=False,
        results_update_interval=3600,
        print_update_interval=3600,
    )
    return tuner, callback, blackbox


def simulate_digits_syne_tune(
    name: str, seed: int, budget: float, table: str, n_workers: int = 4
) -> tuple[float, float]:
    """``simulate_digits`` for Syne Tune 0.13's baselines (``RandomSearch``, ``ASHA``,
    ``MOBSTER``, ``HyperTune``) on the same table (``digits_tuner_syne_tune``)."""
    scheduler_class = {
        "random_search": "RandomSearch",
        "asha": "ASHA",
        "mobster": "MOBSTER",
        "hypertune": "HyperTune",
    }[name]
    tuner_name = f"st-bo-quality-{name.replace('_', '-')}-{seed}"
    tuner, callback, blackbox = digits_tuner_syne_tune(
        scheduler_class, seed, budget, table, tuner_name, n_workers, 0.02, name != "random_search"
    )
    tuner.run()
    df = callback.dataframe()
    top = df[df["epoch"] == df["epoch"].max()]
    best = top.loc[top["val_error"].idxmin()]
    import pandas as pd

    table_df = pd.read_parquet(Path(table) / "evaluations.parquet")
    rows = table_df[table_df["epoch"] == table_df["epoch"].max()]
    for name in blackbox.configuration_space:
        value = best[f"config_{name}"]
        if isinstance(value, str):
            rows = rows[rows[name] == value]
        else:
            rows = rows[np.isclose(rows[name].astype(float), float(value), rtol=1e-6)]
    return float(df["val_error"].min()), float(rows["val_error"].mean())


def _variant(name: str, kwargs: dict) -> str:
    """The registered scheduler behind a method name; ``mobster-matern52`` adds its option."""
    if name == "mobster-matern52":
        kwargs["search_options"] = {"gp_resource_kernel": "matern52"}
        return "mobster"
    return name


def simulate(name: str, seed: int, budget: float, n_workers: int = 4) -> float:
    """Run scheduler ``name`` on the learning-curve benchmark until ``budget`` simulated seconds."""
    import heapq
    from datetime import datetime

    import synetune
    from synetune_sdk.config_space import choice, lograndint, loguniform, uniform
    from synetune_sdk.trial import SchedulerDecision, Trial

    space = {
        "lr": loguniform(1e-4, 1e-1),
        "dropout": uniform(0.0, 0.7),
        "width": lograndint(16, 1024),
        "optimizer": choice(["adam", "sgd"]),
        "epochs": 27,
    }
    kwargs = dict(
        config_space=space,
        metric="error",
        mode="min",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=seed,
    )
    if name == "hypertune":
        kwargs["brackets"] = 3
    scheduler = synetune.schedulers.create(_variant(name, kwargs), **kwargs)
    rng = np.random.default_rng(seed + 1000)
    events: list[tuple[float, int, int]] = []  # (time, trial_id, epoch)
    trials: dict[int, Trial] = {}
    progress: dict[int, int] = {}  # epochs done per trial
    best, now, next_id = math.inf, 0.0, 0

    def start(at: float) -> None:
        nonlocal next_id
        suggestion = scheduler.suggest(next_id)
        if suggestion is None:
            return
        if suggestion.spawn_new_trial_id:
            trial = Trial(next_id, dict(suggestion.config), datetime.now())
            trials[next_id] = trial
            scheduler.on_trial_add(trial)
            heapq.heappush(events, (at + epoch_time(trial.config), next_id, 1))
            next_id += 1
        else:  # promotion: resume from the checkpoint
            trial = trials[suggestion.checkpoint_trial_id]
            epoch = progress.get(trial.trial_id, 0) + 1
            heapq.heappush(events, (at + epoch_time(trial.config), trial.trial_id, epoch))

    for _ in range(n_workers):
        start(0.0)
    while events:
        now, trial_id, epoch = heapq.heappop(events)
        if now > budget:
            break
        trial = trials[trial_id]
        error = learning_curve(trial.config, epoch, rng)
        best = min(best, error)
        progress[trial_id] = epoch
        result = {"error": error, "epoch": epoch}
        decision = scheduler.on_trial_result(trial, result)
        if decision == SchedulerDecision.CONTINUE and epoch < 27:
            heapq.heappush(events, (now + epoch_time(trial.config), trial_id, epoch + 1))
            continue
        if decision == SchedulerDecision.CONTINUE:
            scheduler.on_trial_complete(trial, result)
        else:
            scheduler.on_trial_remove(trial)
        start(now)
    return best


def digits_tuner(
    name: str, seed: int, budget: float, tuner_name: str, n_workers: int = 4, **tuner_kwargs: Any
) -> tuple[Any, Any]:
    """``(tuner, blackbox)``: scheduler ``name`` on the digits-mlp table for ``budget`` simulated
    seconds, the real Tuner on the simulator backend as a user would build it (``name`` as in
    ``_variant``). The one set-up of every benchmark that runs synetune methods on this table."""
    import tempfile

    import synetune
    from synetune import StoppingCriterion, Tuner

    os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="digits-benchmark-"))
    blackbox = synetune.blackboxes.load("digits-mlp")
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    kwargs = dict(config_space=space, metric="val_error", mode="min", random_seed=seed)
    if name != "random_search":
        kwargs.update(resource_attr="epoch", max_resource_attr="epochs")
    name = _variant(name, kwargs)
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr="epochs",
            random_seed=seed,
        ),
        scheduler=synetune.schedulers.create(name, **kwargs),
        stop_criterion=StoppingCriterion(max_wallclock_time=budget),
        n_workers=n_workers,
        sleep_time=0.0,
        tuner_name=tuner_name,
        save_tuner=False,
        verbose="quiet",
        **tuner_kwargs,
    )
    return tuner, blackbox


def simulate_digits(name: str, seed: int, budget: float, n_workers: int = 4) -> tuple[float, float]:
    """Scheduler ``name`` on the digits-mlp table for ``budget`` simulated seconds
    (``digits_tuner``; ``mobster-matern52``: ``mobster`` with ``gp_resource_kernel="matern52"``).

    Returns the best ``val_error`` reported, and the true error of the configuration the run
    returns: the one with the best ``val_error`` at the highest epoch any trial reached, scored
    by its final (epoch 27) ``val_error`` averaged over the table's three training seeds (a
    lucky seed does not make a configuration good).
    """
    from synetune.experiments import load_experiment

    tuner_name = f"bo-quality-{name.replace('_', '-')}-{seed}"
    tuner, blackbox = digits_tuner(name, seed, budget, tuner_name, n_workers)
    tuner.run()
    df = load_experiment(tuner.tuner_path).results
    top = df[df["epoch"] == df["epoch"].max()]
    best = top.loc[top["val_error"].idxmin()]
    config = {k: best[f"config_{k}"] for k in blackbox.configuration_space}
    column = blackbox.objectives_names.index("val_error")
    values = [blackbox.objective_curve(config, seed=s)[-1, column] for s in range(3)]
    return tuner.best_result()[2], float(np.mean(values))


# -- driver ------------------------------------------------------------------------------------
def summary(values: list[float]) -> str:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return f"{med:10.3g}  [{q1:.3g}, {q3:.3g}]"


def run_method(
    method: str, function: str, seeds: int, evals: int
) -> tuple[list[float] | None, float]:
    python = {
        "syne-tune-bo": ST_PYTHON,
        "optuna-gp": OPTUNA_PYTHON,
        "optuna-tpe": OPTUNA_PYTHON,
    }.get(method, sys.executable)
    if not Path(python).exists():
        return None, 0.0
    cmd = [
        python,
        __file__,
        "--worker",
        method,
        "--function",
        function,
        "--seeds",
        str(seeds),
        "--evals",
        str(evals),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **SINGLE_THREAD})
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"{method} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None, elapsed
    return json.loads(proc.stdout.strip().splitlines()[-1]), elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evals", type=int, default=50)
    parser.add_argument("--functions", default="branin,hartmann6")
    parser.add_argument("--methods", default="synetune-bo,syne-tune-bo,optuna-gp,optuna-tpe")
    parser.add_argument("--botorch", action="store_true", help="also run synetune-botorch")
    parser.add_argument("--mf", action="store_true", help="also run the multi-fidelity comparison")
    parser.add_argument("--mf-seeds", type=int, default=5)
    parser.add_argument("--mf-budget", type=float, default=1500.0, help="simulated seconds")
    parser.add_argument(
        "--mf-digits-budget", type=float, default=10.0, help="simulated seconds on digits-mlp"
    )
    parser.add_argument("--table", help="digits-mlp table folder (Syne Tune worker)")
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--worker")
    parser.add_argument("--function")
    args = parser.parse_args()
    if args.worker:
        if args.worker.startswith("st-mfd-"):
            values = [
                simulate_digits_syne_tune(args.worker[7:], s, args.mf_digits_budget, args.table)
                for s in range(args.mf_seeds)
            ]
            print(json.dumps(values))
        elif args.worker.startswith("mfd-"):
            print(
                json.dumps(
                    [
                        simulate_digits(args.worker[4:], s, args.mf_digits_budget)
                        for s in range(args.mf_seeds)
                    ]
                )
            )
        elif args.worker.startswith("mf-"):
            print(
                json.dumps(
                    [simulate(args.worker[3:], s, args.mf_budget) for s in range(args.mf_seeds)]
                )
            )
        else:
            print(json.dumps(worker(args.worker, args.function, args.seeds, args.evals)))
        return
    methods = args.methods.split(",") + (["synetune-botorch"] if args.botorch else [])
    results: dict = {}
    if not args.skip_single:
        print(f"Simple regret after {args.evals} evaluations, {args.seeds} seeds: median [q1, q3]")
        for function in args.functions.split(","):
            print(f"\n{function}")
            for method in methods:
                values, elapsed = run_method(method, function, args.seeds, args.evals)
                results[f"{function}/{method}"] = values
                text = summary(values) if values else "not run (interpreter missing or failed)"
                print(f"  {method:18s} {text}   ({elapsed:.0f} s)", flush=True)
    if args.mf:
        import synetune

        table = str(synetune.blackboxes.generate("digits-mlp"))
        mf_runs = [
            (
                f"digits-mlp table (simulator backend), {args.mf_digits_budget:g} simulated s, "
                f"4 workers, {args.mf_seeds} seeds: best val_error reported | true final "
                "val_error of the returned configuration (table optimum 0.0167)",
                "mfd",
                ("random_search", "asha", "mobster", "mobster-matern52", "hypertune")
                + tuple(f"st-{n}" for n in ("asha", "mobster", "hypertune")),
            ),
            (
                f"Synthetic crossing learning curves: best validation error within "
                f"{args.mf_budget:.0f} simulated s, 4 workers, {args.mf_seeds} seeds",
                "mf",
                ("asha", "mobster", "mobster-matern52", "hypertune"),
            ),
        ]
        for title, prefix, names in mf_runs:
            print(f"\n{title}: median [q1, q3], mean (st-: Syne Tune 0.13.0)")
            for name in names:
                peer = name.startswith("st-")
                python = ST_PYTHON if peer else sys.executable
                if not Path(python).exists():
                    print(f"  {name:18s} not run ({python} missing)")
                    continue
                worker_name = f"st-{prefix}-{name[3:]}" if peer else f"{prefix}-{name}"
                cmd = [python, __file__, "--worker", worker_name, "--table", table]
                cmd += ["--mf-seeds", str(args.mf_seeds), "--mf-budget", str(args.mf_budget)]
                cmd += ["--mf-digits-budget", str(args.mf_digits_budget)]
                start = time.perf_counter()
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, env={**os.environ, **SINGLE_THREAD}
                )
                elapsed = time.perf_counter() - start
                if proc.returncode != 0:
                    print(f"  {name:18s} failed:\n{proc.stderr[-2000:]}")
                    continue
                values = json.loads(proc.stdout.strip().splitlines()[-1])
                results[f"{prefix}/{name}"] = values
                columns = list(zip(*values)) if isinstance(values[0], list) else [values]
                text = " | ".join(f"{summary(c)} {np.mean(c):.4g}" for c in columns)
                print(f"  {name:18s} {text}   ({elapsed:.0f} s)", flush=True)
    print("\n" + json.dumps(results))


if __name__ == "__main__":
    main()
