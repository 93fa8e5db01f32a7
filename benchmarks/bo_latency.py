"""Seconds per Bayesian-optimisation suggestion at 25, 50, 100 and 200 observations (issue 6).

Side by side: synetune ``bayesopt`` (synetune-plugin-gp), synetune ``botorch``
(synetune-plugin-botorch: SingleTaskGP + LogEI + optimize_acqf, and ``synetune-botorch-warp``
with Kumaraswamy input warping and qLogNEI, Syne Tune's choices), Syne Tune 0.13.0
``BayesianOptimization`` (``syne-tune``) and ``BoTorch`` (``syne-tune-botorch``) and Optuna
``GPSampler``. Targets: synetune ``bayesopt`` <= 0.03 s at 100 and <= 0.06 s at 200
observations; synetune ``botorch`` <= 1 s at 100 observations and at most Syne Tune's
``BoTorch``.

Protocol, the same for every library: Hartmann6 (6 continuous hyperparameters); the optimiser
first gets ``N - warmup`` random observations (the same for all libraries), then runs
``warmup`` untimed suggest/evaluate steps (so that warm starts are in their steady state), then
``repeat`` timed steps; reported are the mean and the maximum of the timed ``suggest`` calls
(Optuna: ``study.ask`` plus the ``suggest_float`` calls). Each library runs in its own process with
BLAS/OpenMP limited to one thread; peers run in scratch virtual environments::

    python benchmarks/bo_latency.py [--sizes 25,50,100,200] [--repeat 5]

This file is also the worker (``--worker NAME``): it must import without synetune.
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

# the Hartmann6 function and the peers' scratch venvs are bo_quality's (same folder)
from bo_quality import OPTUNA_PYTHON, SINGLE_THREAD, ST_PYTHON, hartmann6

NAMES = [f"x{i}" for i in range(6)]


def random_configs(n: int) -> list[dict]:
    rng = np.random.default_rng(12345)
    return [dict(zip(NAMES, map(float, rng.uniform(size=6)))) for _ in range(n)]


# -- one adapter per library: tell(config, value) and suggest() -> config ---------------------
class SynetuneAdapter:
    def __init__(self, name: str):
        import synetune
        from synetune_sdk.config_space import uniform

        options = {}
        if name.startswith("botorch"):
            import torch

            torch.set_num_threads(1)
            if name == "botorch-warp":
                name, options = "botorch", {"input_warping": True, "acquisition": "qlognei"}
        space = {n: uniform(0.0, 1.0) for n in NAMES}
        self.searcher = synetune.searchers.create(
            name,
            config_space=space,
            metric="y",
            mode="min",
            random_seed=0,
            points_to_evaluate=[],
            **options,
        )
        self.next_id = 0

    def tell(self, config: dict, value: float) -> None:
        self.searcher.on_trial_complete(self.next_id, config, {"y": value})
        self.next_id += 1

    def suggest(self) -> dict:
        config = self.searcher.suggest(self.next_id)
        self.searcher.register_pending(self.next_id, config)
        return config


class SyneTuneAdapter:
    """Syne Tune 0.13: observations enter as points_to_evaluate (suggested without a model)."""

    def __init__(self, initial: list[dict], baseline: str = "BayesianOptimization"):
        import logging

        logging.disable(logging.WARNING)
        from syne_tune.config_space import uniform
        from syne_tune.optimizer import baselines

        if baseline == "BoTorch":
            import torch

            torch.set_num_threads(1)
        space = {n: uniform(0.0, 1.0) for n in NAMES}
        self.scheduler = getattr(baselines, baseline)(
            space, metric="y", mode="min", random_seed=0, points_to_evaluate=list(initial)
        )
        self.next_id = 0
        self.pending = None

    def tell(self, config: dict, value: float) -> None:
        from datetime import datetime

        from syne_tune.backend.trial_status import Trial

        if self.pending is None:  # an initial observation: let the scheduler hand it out first
            self.suggest()
        trial = Trial(trial_id=self.next_id, config=self.pending, creation_time=datetime.now())
        self.scheduler.on_trial_add(trial)
        self.scheduler.on_trial_complete(trial, {"y": value})
        self.next_id += 1
        self.pending = None

    def suggest(self) -> dict:
        self.pending = self.scheduler.suggest(self.next_id).config
        return self.pending


class OptunaAdapter:
    def __init__(self):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.distributions = {n: optuna.distributions.FloatDistribution(0.0, 1.0) for n in NAMES}
        self.study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
        self.trial = None

    def tell(self, config: dict, value: float) -> None:
        if self.trial is None:
            self.study.add_trial(
                self.optuna.trial.create_trial(
                    params=config, distributions=self.distributions, value=value
                )
            )
        else:
            self.study.tell(self.trial, value)
            self.trial = None

    def suggest(self) -> dict:
        self.trial = self.study.ask()
        return {n: self.trial.suggest_float(n, 0.0, 1.0) for n in NAMES}


def worker(name: str, sizes: list[int], repeat: int, warmup: int) -> dict:
    out = {}
    for size in sizes:
        initial = random_configs(size - warmup)
        if name == "syne-tune":
            adapter = SyneTuneAdapter(initial)
        elif name == "syne-tune-botorch":
            adapter = SyneTuneAdapter(initial, "BoTorch")
        elif name == "optuna-gp":
            adapter = OptunaAdapter()
        else:
            adapter = SynetuneAdapter(name.removeprefix("synetune-"))
        for config in initial:
            adapter.tell(config, hartmann6(config))
        times = []
        for step in range(warmup + repeat):
            start = time.perf_counter()
            config = adapter.suggest()
            elapsed = time.perf_counter() - start
            adapter.tell(config, hartmann6(config))
            if step >= warmup:
                times.append(elapsed)
        out[size] = [float(np.mean(times)), float(np.max(times))]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="25,50,100,200")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--methods", default="synetune-bayesopt,synetune-botorch,syne-tune,optuna-gp"
    )
    parser.add_argument("--worker")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.worker:
        print(json.dumps(worker(args.worker, sizes, args.repeat, args.warmup)))
        return
    print(f"Seconds per suggestion on Hartmann6, mean (max) of {args.repeat} suggestions")
    print(f"{'method':20s}" + "".join(f"{f'N={s}':>18s}" for s in sizes))
    results = {}
    for method in args.methods.split(","):
        python = {
            "syne-tune": ST_PYTHON,
            "syne-tune-botorch": ST_PYTHON,
            "optuna-gp": OPTUNA_PYTHON,
        }
        python = python.get(method, sys.executable)
        if not Path(python).exists():
            print(f"{method:20s} not run ({python} missing)")
            continue
        cmd = [
            python,
            __file__,
            "--worker",
            method,
            "--sizes",
            args.sizes,
            "--repeat",
            str(args.repeat),
            "--warmup",
            str(args.warmup),
        ]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, **SINGLE_THREAD}
        )
        if proc.returncode != 0:
            print(f"{method:20s} failed: {proc.stderr[-1500:]}")
            continue
        values = json.loads(proc.stdout.strip().splitlines()[-1])
        results[method] = values
        cells = "".join(f"{values[str(s)][0]:>10.3f} ({values[str(s)][1]:.3f})" for s in sizes)
        print(f"{method:20s}{cells}", flush=True)
    print("\n" + json.dumps(results))


if __name__ == "__main__":
    main()
