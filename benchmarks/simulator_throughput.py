"""Simulator throughput: ASHA (or random search) with random search, 4 workers.

Reports results processed per wall second (and per CPU second of this process, which a busy
machine disturbs less) and simulated seconds per wall second at 500 and 5,000 trials, for
synetune and (optionally) Syne Tune 0.13.0's simulator on the same blackbox:

* ``--blackbox digits`` (default): the digits-mlp learning-curve table;
* ``--blackbox formula``: a cheap formula whose whole 81-epoch learning curve is computed in one
  call per trial (synetune: ``from_function(..., curve_fun=...)``; Syne Tune: a ``Blackbox``
  subclass answering ``fidelity=None`` with the whole curve, as its users write them). Here
  the tuner loop itself is what costs.

    python benchmarks/simulator_throughput.py                       # synetune only
    python benchmarks/simulator_throughput.py --syne-tune-python /tmp/st-venv/bin/python
    python benchmarks/simulator_throughput.py --blackbox formula --scheduler random_search \
        --trials 500 5000 50000 --syne-tune-python /tmp/st-venv/bin/python
    python benchmarks/simulator_throughput.py --profile 5000        # cProfile hot spots
    python benchmarks/simulator_throughput.py --blackbox precomputed --breakdown 2000
        # the loop alone: every trial gets one precomputed curve; microseconds per result by
        # component (a cProfile of one run, its shares scaled to an unprofiled run's time)

Syne Tune runs in its own virtual environment (synetune never depends on it)::

    python -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install syne-tune==0.13.0 'numpy<2' 'pandas<2.2' 'scikit-learn<1.6' \
        'scipy<1.14' 'pyarrow<18'

There this script runs with ``--syne-tune --table <folder>``: it imports only Syne Tune, reads
the same ``evaluations.parquet`` and builds a ``BlackboxOffline`` for ``UserBlackboxBackend``.
Both sides use ``allow_duplicates`` random search (5,000 trials exceed the 648 configurations),
table seed ``--seed`` for every trial, ``sleep_time=0``, results written only at the end and
no tuner pickling; each figure is the best of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

METRIC, RESOURCE_ATTR, MAX_RESOURCE_ATTR, ELAPSED = "val_error", "epoch", "epochs", "elapsed_time"
N_WORKERS = 4
FORMULA_EPOCHS = 81


def formula_curve(lr: float, x: float, np):
    """The cheap blackbox: validation error and cumulative time at every epoch, in one call."""
    epochs = np.arange(1, FORMULA_EPOCHS + 1)
    error = 0.1 + 3.0 * lr / np.sqrt(epochs) + 0.05 * (x - 0.3) ** 2
    return error, 0.5 * (1.0 + x) * epochs


def scheduler_arguments(scheduler: str, seed: int) -> dict:
    """What both libraries' ASHA / random search get (besides the configuration space)."""
    kwargs = dict(metric=METRIC, mode="min", random_seed=seed)
    if scheduler == "asha":
        kwargs.update(resource_attr=RESOURCE_ATTR, max_resource_attr=MAX_RESOURCE_ATTR)
        kwargs.update(search_options={"allow_duplicates": True})
    return kwargs


def synetune_blackbox(kind: str):
    import synetune

    if kind == "digits":
        return synetune.blackboxes.load("digits-mlp")
    import numpy as np
    from synetune_plugin_blackbox_repository import from_function

    from synetune.config_space import loguniform, randint, uniform

    fixed = formula_curve(0.01, 0.5, np)

    def curve(config, seed):
        error, elapsed = (
            fixed if kind == "precomputed" else formula_curve(config["lr"], config["x"], np)
        )
        return {METRIC: error, ELAPSED: elapsed}

    return from_function(
        {"lr": loguniform(1e-4, 1.0), "x": uniform(0.0, 1.0)},
        fidelity_space={RESOURCE_ATTR: randint(1, FORMULA_EPOCHS)},
        objectives_names=[METRIC, ELAPSED],
        curve_fun=curve,
    )


def run_synetune(num_trials: int, seed: int, kind: str, scheduler: str) -> dict[str, float]:
    import synetune
    from synetune import StoppingCriterion, Tuner

    blackbox = synetune_blackbox(kind)
    space = blackbox.configuration_space_with_max_resource_attr(MAX_RESOURCE_ATTR)
    backend_seed = seed % blackbox.num_seeds if kind == "digits" else seed
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr=ELAPSED,
            max_resource_attr=MAX_RESOURCE_ATTR,
            seed=backend_seed,
        ),
        scheduler=synetune.schedulers.create(
            scheduler, config_space=space, **scheduler_arguments(scheduler, seed)
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=num_trials),
        n_workers=N_WORKERS,
        sleep_time=0.0,
        tuner_name=f"throughput-{num_trials}-{seed}",
        save_tuner=False,
        results_update_interval=3600,
        print_update_interval=3600,
        verbose="quiet",
    )
    started, cpu = time.perf_counter(), time.process_time()
    tuner.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "wall": wall,
        "cpu": cpu,
        "results": tuner.tuning_status.num_results,
        "simulated": tuner.tuning_status.wallclock_time,
        "trials": tuner.tuning_status.num_trials_started,
    }


def syne_tune_blackbox(table: Path):
    """The digits-mlp table folder as a Syne Tune 0.13 ``BlackboxOffline`` (in Syne Tune's venv)."""
    import numpy as np
    import pandas as pd
    from syne_tune.blackbox_repository.blackbox_offline import BlackboxOffline
    from syne_tune.config_space import FiniteRange, choice, randint

    metadata = json.loads((table / "metadata.json").read_text())
    df = pd.read_parquet(table / "evaluations.parquet")
    space = {}
    for name, spec in metadata["configuration_space"].items():
        cls, kw = spec["domain_cls"], spec["domain_kwargs"]
        if cls == "FiniteRange":
            domain = FiniteRange(**kw)
            # use Syne Tune's own float values so that its exact lookup finds the rows
            values = pd.Series(domain.values)
            df[name] = df[name].map(lambda v, values=values: values[(values - v).abs().idxmin()])
        elif cls == "Integer":
            domain = randint(kw["lower"], kw["upper"])
        elif cls == "Categorical":
            domain = choice(kw["categories"])
        else:
            raise ValueError(f"no Syne Tune domain for {cls}")
        space[name] = domain
    fidelities = metadata["fidelity_values"]

    class OfflineWithFidelities(BlackboxOffline):
        # Syne Tune 0.13's BlackboxOffline has no fidelity_values, which its simulator needs
        @property
        def fidelity_values(self):
            return np.array(fidelities)

        @property
        def num_seeds(self):
            return int(df[metadata["seed_col"]].nunique())

    return OfflineWithFidelities(
        df_evaluations=df,
        configuration_space=space,
        fidelity_space={RESOURCE_ATTR: randint(fidelities[0], fidelities[-1])},
        objectives_names=metadata["objectives_names"],
        seed_col=metadata["seed_col"],
    )


def syne_tune_formula_blackbox():
    """The formula blackbox as a Syne Tune ``Blackbox`` subclass (in Syne Tune's venv)."""
    import numpy as np
    from syne_tune.blackbox_repository.blackbox import Blackbox
    from syne_tune.config_space import loguniform, randint, uniform

    class Formula(Blackbox):
        def _objective_function(self, configuration, fidelity=None, seed=None):
            error, elapsed = formula_curve(configuration["lr"], configuration["x"], np)
            if fidelity is None:
                return np.column_stack([error, elapsed])
            position = int(fidelity[RESOURCE_ATTR]) - 1
            return {METRIC: error[position], ELAPSED: elapsed[position]}

        @property
        def fidelity_values(self):
            return np.arange(1, FORMULA_EPOCHS + 1)

    return Formula(
        {"lr": loguniform(1e-4, 1.0), "x": uniform(0.0, 1.0)},
        fidelity_space={RESOURCE_ATTR: randint(1, FORMULA_EPOCHS)},
        objectives_names=[METRIC, ELAPSED],
    )


def run_syne_tune(
    num_trials: int, seed: int, table: Path, kind: str, scheduler: str
) -> dict[str, float]:
    import logging

    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
    from syne_tune.optimizer.baselines import ASHA, RandomSearch

    logging.getLogger("syne_tune").setLevel(logging.ERROR)
    blackbox = syne_tune_blackbox(table) if kind == "digits" else syne_tune_formula_blackbox()
    callback = SimulatorCallback()
    scheduler_class = ASHA if scheduler == "asha" else RandomSearch
    tuner = Tuner(
        trial_backend=UserBlackboxBackend(
            blackbox=blackbox,
            elapsed_time_attr=ELAPSED,
            max_resource_attr=MAX_RESOURCE_ATTR,
            seed=seed,
        ),
        scheduler=scheduler_class(
            blackbox.configuration_space_with_max_resource_attr(MAX_RESOURCE_ATTR),
            **scheduler_arguments(scheduler, seed),
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=num_trials),
        n_workers=N_WORKERS,
        sleep_time=0,
        callbacks=[callback],
        tuner_name=f"st-throughput-{num_trials}-{seed}",
        save_tuner=False,
        results_update_interval=3600,
        print_update_interval=3600,
    )
    started, cpu = time.perf_counter(), time.process_time()
    tuner.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    results = callback.dataframe()
    return {
        "wall": wall,
        "cpu": cpu,
        "results": len(results),
        "simulated": float(results["st_tuner_time"].max()),
        "trials": int(results["trial_id"].nunique()),
    }


def best_of(function, repeats: int, *args) -> dict[str, float]:
    runs = [function(*args) for _ in range(repeats)]
    return min(runs, key=lambda r: r["cpu"] / max(1, r["results"]))


def line(name: str, trials: int, run: dict[str, float]) -> str:
    per_s = run["results"] / run["wall"]
    return (
        f"{name:<10} {trials:>5} trials: {run['results']:>6} results in {run['wall']:6.2f} s wall "
        f"({run['cpu']:6.2f} s CPU) -> {per_s:>7.0f} results/s "
        f"({run['results'] / run['cpu']:>7.0f} per CPU s), "
        f"{run['simulated'] / run['wall']:>7.1f} simulated s per wall s"
    )


# where a function's own time goes: the first pattern found in its file name
COMPONENTS = [
    ("simulator backend", "synetune_plugin_simulator"),
    ("blackbox (curve lookup)", "blackbox_repository"),
    ("backend base (sdk)", "synetune_sdk/backend.py"),
    ("record: journal and result table", "synetune/journal.py"),
    ("record: journal and result table", "synetune/results.py"),
    ("record: journal and result table", "json/"),
    ("status and stop criterion", "synetune_sdk/context.py"),
    ("status and stop criterion", "synetune_sdk/stopping.py"),
    ("scheduler and searcher", "synetune_plugin_fifo"),
    ("scheduler and searcher", "synetune_plugin_hyperband"),
    ("scheduler and searcher", "synetune_plugin_random"),
    ("scheduler and searcher", "synetune_sdk/config_space.py"),
    ("tuner loop", "synetune/tuner.py"),
    ("callbacks and status line", "synetune/console.py"),
    ("callbacks and status line", "synetune_plugin_progress"),
]


def breakdown(trials: int, seed: int, setting: tuple[str, str]) -> None:
    """Microseconds per result of each part of the loop: a cProfile run's shares of its
    own time, scaled to the CPU time of a run without the profiler."""
    import cProfile
    import pstats

    plain = best_of(run_synetune, 2, trials, seed, *setting)
    profiler = cProfile.Profile()
    profiler.enable()
    run_synetune(trials, seed, *setting)
    profiler.disable()
    totals: dict[str, float] = {}
    for (filename, _, function), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        own = row[2]
        where = filename.replace("\\", "/")
        if filename == "~":  # a builtin: file writes, csv, zlib, heapq, dict methods ...
            where = function
        name = next((c for c, pattern in COMPONENTS if pattern in where), None)
        if name is None:
            name = (
                "writing results.csv.zip"
                if "writerows" in where or "compress" in where
                else "other"
            )
        totals[name] = totals.get(name, 0.0) + own
    whole = sum(totals.values())
    per_result = 1e6 * plain["cpu"] / plain["results"]
    print(line("synetune", trials, plain))
    print(f"\n{per_result:.1f} us of CPU per result ({setting[1]}, {setting[0]} blackbox):\n")
    print("| part | us per result | share |")
    print("|---|---|---|")
    for name, own in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"| {name} | {per_result * own / whole:.1f} | {own / whole:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[500, 5000])
    parser.add_argument(
        "--blackbox", choices=["digits", "formula", "precomputed"], default="digits"
    )
    parser.add_argument("--scheduler", choices=["asha", "random_search"], default="asha")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--syne-tune", action="store_true", help="run Syne Tune (in its venv)")
    parser.add_argument("--table", type=Path, help="digits-mlp folder (with --syne-tune)")
    parser.add_argument("--syne-tune-python", help="also run Syne Tune with this interpreter")
    parser.add_argument("--json", action="store_true", help="print one JSON line per size")
    parser.add_argument("--profile", type=int, metavar="TRIALS", help="cProfile one run")
    parser.add_argument(
        "--breakdown", type=int, metavar="TRIALS", help="microseconds per result by component"
    )
    args = parser.parse_args()

    os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="synetune-bench-"))
    setting = (args.blackbox, args.scheduler)
    if args.syne_tune:
        os.chdir(tempfile.mkdtemp(prefix="st-bench-"))  # Syne Tune writes into ~/syne-tune
        for trials in args.trials:
            run = best_of(run_syne_tune, args.repeats, trials, args.seed, args.table, *setting)
            print(
                json.dumps({"trials": trials, **run})
                if args.json
                else line("syne-tune", trials, run)
            )
        return
    if args.breakdown:
        breakdown(args.breakdown, args.seed, setting)
        return
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        run = run_synetune(args.profile, args.seed, *setting)
        profiler.disable()
        print(line("synetune", args.profile, run))
        pstats.Stats(profiler).sort_stats("tottime").print_stats(
            int(os.environ.get("PROFILE_LINES", "20"))
        )
        return
    import synetune

    table = synetune.blackboxes.generate("digits-mlp")
    shown = table if args.blackbox == "digits" else "formula, whole curve per call"
    print(f"blackbox: {shown} (4 workers, {args.scheduler}, best of {args.repeats} runs)")
    for trials in args.trials:
        run = best_of(run_synetune, args.repeats, trials, args.seed, *setting)
        print(line("synetune", trials, run))
    if args.syne_tune_python:
        command = [args.syne_tune_python, __file__, "--syne-tune", "--table", str(table)]
        command += ["--blackbox", args.blackbox, "--scheduler", args.scheduler]
        command += ["--repeats", str(args.repeats), "--seed", str(args.seed), "--trials"]
        command += [str(t) for t in args.trials]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print(f"Syne Tune run failed:\n{done.stderr[-3000:]}", file=sys.stderr)
            sys.exit(1)
        for text in done.stdout.splitlines():  # Syne Tune also logs its result tables
            if text.startswith(("syne-tune ", "{")):
                print(text)


if __name__ == "__main__":
    main()
