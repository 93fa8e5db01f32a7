"""Quality of transfer tuning, side by side with Syne Tune 0.13.0 (issue 17).

Leave one task out of the ``mlp-tasks`` table (synetune-plugin-mlp-tasks: 128 MLP
configurations x 3 seeds x 27 epochs on 7 classification tasks), transfer from the other six,
and tune the held-out task on the simulator with 4 workers. Every method runs in its own
process with BLAS/OpenMP limited to one thread, over ``--seeds`` seeds per held-out task.

Budget: epochs trained, summed over trials (the simulator's results in simulated-time order; one
result is one epoch). ``10 full`` = 10 x 27 epochs, the cost of 10 full-fidelity evaluations;
``25% / 50% / 100%`` are fractions of ``--large-evals`` (default 30) full-fidelity evaluations.
Scores (both printed; averaged over tasks and seeds, lower is better):
``reported``: normalized regret of the best ``val_error`` reported so far,
``(best - min) / (max - min)`` with min and max over every value of the held-out task's table
(all configurations, seeds, epochs). A trial's values are one table seed drawn at random, so
this rewards luck: a repeated configuration is another draw.
``true``: the configuration the run would return at that budget (best reported value, at the
epoch it was reported) scored by its true value, the mean over the table's seeds at that
epoch, normalized by the min and max of those means; repeats gain nothing by luck there.

Methods (synetune, then Syne Tune 0.13.0's same class as ``st-*``):

* ``random_search``, ``asha`` (the non-transfer bases);
* ``zero_shot`` (ZeroShotTransfer), ``quantile_based`` (FIFO + QuantileBasedSurrogateSearcher),
  ``bounding_box`` (BoundingBox around random search, 1 configuration per task);
* ``asha_cts`` (ASHACTS), ``rush`` (RUSHScheduler, type stopping).

Syne Tune gets ``TransferLearningTaskEvaluations`` built from the same table (objective
``val_error``, all seeds and epochs). Peer venv (a scratch environment, never a dependency)::

    python -m venv /tmp/peers/st && /tmp/peers/st/bin/pip install 'syne-tune[basic]==0.13.0' \
        xgboost scikit-learn 'pyarrow<18'
    python benchmarks/transfer_quality.py [--seeds 10] [--large-evals 30] [--jobs 1] [--methods zero_shot,asha,...]
    # an ablation: synetune's rush with Syne Tune's hurdle
    python benchmarks/transfer_quality.py --no-syne-tune --methods rush --method-kwargs '{"hurdle": "best"}'
    # Syne Tune's slow CTS in chunks of seeds, saved, then the tables from the saved runs
    python benchmarks/transfer_quality.py --only-syne-tune --methods quantile_based --seeds 2 \
        --first-seed 2 --save st.jsonl
    python benchmarks/transfer_quality.py --load runs.jsonl st.jsonl

This file is also the worker (``--worker METHOD``): it must import without synetune.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ST_PYTHON = "/tmp/peers/st/bin/python"
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
METHODS = [
    "random_search",
    "asha",
    "zero_shot",
    "quantile_based",
    "bounding_box",
    "asha_cts",
    "rush",
]
MULTI_FIDELITY = {"asha", "asha_cts", "rush"}
METRIC, RESOURCE, MAX_RESOURCE = "val_error", "epoch", "epochs"
N_WORKERS = 4


def table_folder() -> Path:
    """The generated mlp-tasks folder (generated from the shipped table on first use)."""
    import synetune

    return Path(synetune.blackboxes.generate("mlp-tasks"))


def checkpoints(num_epochs: int, large_evals: int) -> dict[str, int]:
    return {
        "10 full": 10 * num_epochs,
        "25%": large_evals * num_epochs // 4,
        "50%": large_evals * num_epochs // 2,
        "100%": large_evals * num_epochs,
    }


def true_table(folder: Path, task: str) -> dict[tuple, np.ndarray]:
    """Per configuration (its key), the mean over the table's seeds of val_error per epoch."""
    import pandas as pd

    metadata = json.loads((folder / "metadata.json").read_text())
    names = [n for n, v in metadata["configuration_space"].items() if isinstance(v, dict)]
    df = pd.read_parquet(folder / f"evaluations-{task}.parquet")
    df["_key"] = [config_key(r) for r in df[names].to_dict("records")]
    means = df.groupby(["_key", RESOURCE], sort=True)[METRIC].mean()
    return {key: group.to_numpy() for key, group in means.groupby(level=0)}


def config_key(config: dict) -> tuple:
    """A configuration as a key both sides agree on (Syne Tune snaps grid floats its own way)."""
    out = []
    for name in sorted(config):
        value = config[name]
        out.append((name, f"{value:.6g}" if isinstance(value, int | float) else str(value)))
    return tuple(out)


def regrets(
    df, table: np.ndarray, truth: dict[tuple, np.ndarray], marks: dict[str, int]
) -> dict[str, dict[str, float]]:
    """Both scores of one run, at every budget of ``marks``.

    ``reported``: normalized regret of the best val_error reported so far (a trial's value is
    one draw of its table seed, so repeating a configuration is rewarded by luck).
    ``true``: normalized regret of the configuration the run would return at that budget (the
    one with the best reported value, at the epoch it was reported), scored by its true value,
    the mean over the table's seeds at that epoch, normalized by the min and max of those
    means; repeats gain nothing by luck there.
    """
    values = df[METRIC].to_numpy(dtype=float)
    names = sorted(c[len("config_") :] for c in df.columns if c.startswith("config_"))
    names = [n for n in names if n != MAX_RESOURCE]
    records = df[[f"config_{n}" for n in names]].to_dict("records")
    keys = [config_key({n: r[f"config_{n}"] for n in names}) for r in records]
    epochs = df[RESOURCE].to_numpy(dtype=int)
    low, high = float(np.nanmin(table)), float(np.nanmax(table))
    all_means = np.concatenate(list(truth.values()))
    true_low, true_high = float(all_means.min()), float(all_means.max())
    out: dict[str, dict[str, float]] = {"reported": {}, "true": {}}
    incumbent, best = -1, np.inf
    checkpoints_sorted = sorted(marks.items(), key=lambda kv: kv[1])
    position = 0
    for label, n in checkpoints_sorted:
        while position < min(n, len(values)):
            if values[position] < best:
                incumbent, best = position, values[position]
            position += 1
        out["reported"][label] = (best - low) / (high - low)
        true = truth[keys[incumbent]][epochs[incumbent] - 1]
        out["true"][label] = (true - true_low) / (true_high - true_low)
    return {kind: {label: scores[label] for label in marks} for kind, scores in out.items()}


# -- synetune ------------------------------------------------------------------------------
def run_synetune(
    method: str, task: str, seed: int, marks: dict[str, int], folder: Path, extra: dict
) -> dict:
    import tempfile

    from synetune_plugin_blackbox_repository import read_blackbox

    import synetune
    from synetune import StoppingCriterion, Tuner, load_experiment
    from synetune_sdk.transfer import from_blackboxes

    os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="transfer-quality-"))
    blackboxes = read_blackbox(folder)
    blackbox = blackboxes[task]
    others = {t: b for t, b in blackboxes.items() if t != task}
    evals = from_blackboxes(others, objectives=[METRIC])
    space = blackbox.configuration_space_with_max_resource_attr(MAX_RESOURCE)
    kwargs = dict(config_space=space, metric=METRIC, mode="min", random_seed=seed)
    if method in MULTI_FIDELITY:
        kwargs.update(resource_attr=RESOURCE, max_resource_attr=MAX_RESOURCE)
    if method not in ("random_search", "asha"):
        kwargs["transfer_learning_evaluations"] = evals
    kwargs.update(extra)
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr=MAX_RESOURCE,
            random_seed=seed,
        ),
        scheduler=synetune.schedulers.create(method, **kwargs),
        stop_criterion=StoppingCriterion(max_num_evaluations=max(marks.values()) + N_WORKERS),
        n_workers=N_WORKERS,
        sleep_time=0.0,
        tuner_name=f"transfer-{method.replace('_', '-')}-{task.replace('_', '-')}-{seed}",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    df = load_experiment(tuner.tuner_path).results.sort_values("st_tuner_time", kind="stable")
    table = blackbox.objectives_evaluations[..., blackbox.objectives_names.index(METRIC)]
    return regrets(df, table, true_table(folder, task), marks)


# -- Syne Tune 0.13.0 (in its venv) ------------------------------------------------------------
def syne_tune_task(folder: Path, task: str):
    """A task of the table as Syne Tune's BlackboxOffline, plus its TransferLearningTaskEvaluations."""
    import pandas as pd
    from syne_tune.blackbox_repository.blackbox_offline import BlackboxOffline
    from syne_tune.config_space import FiniteRange, choice, randint
    from syne_tune.optimizer.schedulers.transfer_learning import TransferLearningTaskEvaluations

    metadata = json.loads((folder / "metadata.json").read_text())
    df = pd.read_parquet(folder / f"evaluations-{task}.parquet")
    space = {}
    for name, spec in metadata["configuration_space"].items():
        if not isinstance(spec, dict):
            space[name] = spec  # a constant
            df[name] = spec
            continue
        cls, kw = spec["domain_cls"], spec["domain_kwargs"]
        if cls == "FiniteRange":
            domain = FiniteRange(**kw)
            values = np.asarray(domain.values)  # Syne Tune's own floats, for its exact lookup
            column = df[name].to_numpy(dtype=float)
            nearest = np.abs(column[:, None] - values[None, :]).argmin(axis=1)
            df[name] = values[nearest].astype(type(domain.values[0]))
        elif cls == "Integer":
            domain = randint(kw["lower"], kw["upper"])
        elif cls == "Categorical":
            domain = choice(kw["categories"])
        else:
            raise ValueError(f"no Syne Tune domain for {cls}")
        space[name] = domain
    fidelities = metadata["fidelity_values"]
    seed_col = metadata["seed_col"]
    num_seeds = int(df[seed_col].nunique())

    class OfflineWithFidelities(BlackboxOffline):
        # Syne Tune 0.13's BlackboxOffline lacks fidelity_values and num_seeds, which its
        # simulator needs
        @property
        def fidelity_values(self):
            return np.array(fidelities)

        @property
        def num_seeds(self):
            return num_seeds

    blackbox = OfflineWithFidelities(
        df_evaluations=df,
        configuration_space=space,
        fidelity_space={RESOURCE: randint(fidelities[0], fidelities[-1])},
        objectives_names=metadata["objectives_names"],
        seed_col=seed_col,
    )
    # the table is sorted by configuration, seed, epoch: reshape to (configs, seeds, epochs)
    per_config = num_seeds * len(fidelities)
    hps = df[list(space)].iloc[::per_config].reset_index(drop=True)
    hps[MAX_RESOURCE] = fidelities[-1]  # Syne Tune wants every key of the space as a column
    values = df[METRIC].to_numpy().reshape(len(hps), num_seeds, len(fidelities), 1)
    tle = TransferLearningTaskEvaluations(
        configuration_space={**space, MAX_RESOURCE: fidelities[-1]},
        hyperparameters=hps,
        objectives_names=[METRIC],
        objectives_evaluations=values,
    )
    return blackbox, tle


def run_syne_tune(method: str, task: str, seed: int, marks: dict[str, int], folder: Path) -> dict:
    import logging
    import tempfile

    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_backend import SimulatorConfig
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository import simulated_tabular_backend
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
    from syne_tune.optimizer import baselines
    from syne_tune.optimizer.schedulers import FIFOScheduler, HyperbandScheduler
    from syne_tune.optimizer.schedulers.transfer_learning import BoundingBox, RUSHScheduler
    from syne_tune.optimizer.schedulers.transfer_learning.quantile_based.quantile_based_searcher import (
        QuantileBasedSurrogateSearcher,
    )

    logging.disable(logging.WARNING)
    os.chdir(tempfile.mkdtemp(prefix="st-transfer-quality-"))
    tasks = json.loads((folder / "metadata.json").read_text())["tasks"]
    blackbox, _ = syne_tune_task(folder, task)
    tle = {t: syne_tune_task(folder, t)[1] for t in tasks if t != task}
    simulated_tabular_backend.BlackboxTabular = type(blackbox)  # a table seed per trial
    space = blackbox.configuration_space_with_max_resource_attr(MAX_RESOURCE)
    common = dict(metric=METRIC, mode="min", random_seed=seed)
    mf = dict(resource_attr=RESOURCE, max_resource_attr=MAX_RESOURCE)
    if method == "random_search":
        scheduler = baselines.RandomSearch(space, **common)
    elif method == "asha":
        scheduler = baselines.ASHA(space, **common, **mf)
    elif method == "zero_shot":
        scheduler = baselines.ZeroShotTransfer(space, transfer_learning_evaluations=tle, **common)
    elif method == "quantile_based":
        searcher = QuantileBasedSurrogateSearcher(space, METRIC, tle, mode="min", random_seed=seed)
        scheduler = FIFOScheduler(space, searcher=searcher, **common)
    elif method == "bounding_box":
        scheduler = BoundingBox(
            lambda cs, mode, metric: baselines.RandomSearch(
                cs, metric=metric, mode=mode, random_seed=seed
            ),
            space,
            METRIC,
            tle,
            mode="min",
        )
    elif method == "asha_cts":
        # baselines.ASHACTS of 0.13.0 raises a TypeError (points_to_evaluate passed twice to
        # the searcher); this is what it builds
        searcher = QuantileBasedSurrogateSearcher(space, METRIC, tle, mode="min", random_seed=seed)
        scheduler = HyperbandScheduler(space, searcher=searcher, **common, **mf)
    elif method == "rush":
        scheduler = RUSHScheduler(space, tle, METRIC, mode="min", random_seed=seed, **mf)
    else:
        raise ValueError(method)
    callback = SimulatorCallback()
    tiny = 1e-3
    tuner = Tuner(
        trial_backend=UserBlackboxBackend(
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr=MAX_RESOURCE,
            simulator_config=SimulatorConfig(tiny, tiny, tiny, tiny, tiny),
            tuner_sleep_time=0.02,
        ),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_evaluations=max(marks.values()) + N_WORKERS),
        n_workers=N_WORKERS,
        sleep_time=0,
        callbacks=[callback],
        tuner_name=f"st-transfer-{method.replace('_', '-')}-{seed}",
        save_tuner=False,
        results_update_interval=3600,
        print_update_interval=3600,
    )
    tuner.run()
    df = callback.dataframe().sort_values("st_tuner_time", kind="stable")
    import pandas as pd

    table = pd.read_parquet(folder / f"evaluations-{task}.parquet")[METRIC].to_numpy()
    return regrets(df, table, true_table(folder, task), marks)


# -- driver ----------------------------------------------------------------------------------
def worker(args: argparse.Namespace) -> None:
    marks = checkpoints(args.num_epochs, args.large_evals)
    out = {}
    for task in args.tasks.split(","):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            if args.impl == "st":
                result = run_syne_tune(args.worker, task, seed, marks, Path(args.folder))
            else:
                extra = json.loads(args.method_kwargs)
                result = run_synetune(args.worker, task, seed, marks, Path(args.folder), extra)
            out[f"{task}/{seed}"] = result
    print("RESULT " + json.dumps(out))


def run_method(method: str, impl: str, args: argparse.Namespace, folder: Path, tasks: list[str]):
    python = ST_PYTHON if impl == "st" else sys.executable
    if not Path(python).exists():
        return None, 0.0
    cmd = [python, __file__, "--worker", method, "--impl", impl, "--tasks", ",".join(tasks)]
    cmd += ["--seeds", str(args.seeds), "--first-seed", str(args.first_seed)]
    cmd += ["--large-evals", str(args.large_evals), "--num-epochs", str(args.num_epochs)]
    cmd += ["--folder", str(folder), "--method-kwargs", args.method_kwargs]
    env = {**os.environ, **SINGLE_THREAD, "PYTHONPATH": str(Path(__file__).parent)}
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :]), elapsed
    sys.stderr.write(f"{impl}:{method} failed:\n{proc.stderr[-3000:]}\n")
    return None, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker")
    parser.add_argument("--impl", default="synetune")
    parser.add_argument("--tasks", default="")
    parser.add_argument("--folder", default="")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first .. first+seeds-1")
    parser.add_argument("--large-evals", type=int, default=30)
    parser.add_argument("--num-epochs", type=int, default=27)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--no-syne-tune", action="store_true")
    parser.add_argument("--only-syne-tune", action="store_true")
    parser.add_argument(
        "--method-kwargs", default="{}", help="JSON: extra arguments of synetune's methods"
    )
    parser.add_argument("--jobs", type=int, default=1, help="methods run at the same time")
    parser.add_argument("--save", help="append every run's scores to this JSON-lines file")
    parser.add_argument(
        "--load", nargs="+", help="print the tables of saved JSON-lines files (runs nothing)"
    )
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.load:
        print_tables(load_saved(args.load))
        return
    folder = Path(args.folder) if args.folder else table_folder()
    metadata = json.loads((folder / "metadata.json").read_text())
    tasks = args.tasks.split(",") if args.tasks else metadata["tasks"]
    args.num_epochs = int(metadata["fidelity_values"][-1])
    marks = checkpoints(args.num_epochs, args.large_evals)
    print(
        f"mlp-tasks, leave one task out over {len(tasks)} tasks x seeds {args.first_seed}.."
        f"{args.first_seed + args.seeds - 1}, {N_WORKERS} workers; budgets in epochs: {marks} "
        f"(measured on a loaded 2-core machine; the regrets do not depend on its speed)\n"
    )
    impls = [] if args.only_syne_tune else ["synetune"]
    impls += [] if args.no_syne_tune else ["st"]
    jobs = [(method, impl) for method in args.methods.split(",") for impl in impls]
    from concurrent.futures import ThreadPoolExecutor

    runs = {}
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {job: pool.submit(run_method, *job, args, folder, tasks) for job in jobs}
        for job, future in futures.items():
            results, elapsed = future.result()
            label = job_label(job, args.method_kwargs)
            runs[label] = {"results": results or {}, "wall_s": elapsed}
            sys.stderr.write(f"{label}: {elapsed:.0f} s\n")
            if args.save and results is not None:
                with open(args.save, "a") as f:
                    f.write(json.dumps({"label": label, **runs[label]}) + "\n")
    print_tables(runs)


def job_label(job: tuple[str, str], extra: str) -> str:
    method, impl = job
    label = method if impl == "synetune" else f"st-{method}"
    if impl == "synetune" and json.loads(extra):
        label += " " + json.dumps(json.loads(extra), sort_keys=True)
    return label


def load_saved(paths: list[str]) -> dict[str, dict]:
    """Runs of several saved files merged by label (later files add seeds or overwrite)."""
    runs: dict[str, dict] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            entry = json.loads(line)
            run = runs.setdefault(entry["label"], {"results": {}, "wall_s": 0.0})
            run["results"].update(entry["results"])
            run["wall_s"] += entry["wall_s"]
    return runs


def print_tables(runs: dict[str, dict]) -> None:
    """One table per score: mean over held-out tasks and seeds (runs), lower is better."""
    marks = next(
        (list(r["reported"]) for run in runs.values() for r in run["results"].values()), []
    )
    for kind in ("reported", "true"):
        print(f"\nscore: {kind}")
        print("| method | " + " | ".join(marks) + " | runs | wall s |")
        print("|" + "---|" * (len(marks) + 3))
        for label, run in runs.items():
            results = list(run["results"].values())
            if not results:
                print(f"| {label} | " + " | ".join("n/a" for _ in marks) + " | 0 | |")
                continue
            cells = [f"{np.mean([r[kind][mark] for r in results]):.4f}" for mark in marks]
            print(
                f"| {label} | " + " | ".join(cells) + f" | {len(results)} | {run['wall_s']:.0f} |"
            )


if __name__ == "__main__":
    main()
