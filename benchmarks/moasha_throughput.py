"""MOASHA: the same decisions as Syne Tune 0.13.0's MOASHA, and results per second of both.

A seeded simulation drives a MOASHA scheduler with two objectives: random learning curves
(``loss``, decreasing with epochs) against a per-trial cost (``latency``, or its inverse
``throughput`` maximised in the second scenario), 4 asynchronous workers whose epochs take random
times, some trials reporting every second epoch only (rung levels are skipped) and some ending
early (``on_trial_complete``). The stream depends on the decisions (a stopped trial reports no
more), so the script records every event it fed to the scheduler and every decision.

    .venv/bin/python benchmarks/moasha_throughput.py              # synetune's moasha
    /tmp/peers/st/bin/python benchmarks/moasha_throughput.py --syne-tune
    .venv/bin/python benchmarks/moasha_throughput.py --peer-python /tmp/peers/st/bin/python
    /tmp/peers/st/bin/python benchmarks/moasha_throughput.py --syne-tune --record \
        plugins/schedulers/multiobjective/tests/data/moasha_syne_tune_stream.json.gz

``--record`` writes the events and Syne Tune's decisions of every scenario to a compressed
fixture, plus Syne Tune's verdicts on 300 random rungs with 2-4 objectives and many ties; ``test_multiobjective_moasha.py`` replays it through ``moasha`` and asserts the same
decisions. Equal digests printed by the two sides also mean equal decisions. Only the time spent
inside the scheduler (``on_trial_add``, ``on_trial_result``, ``on_trial_complete``,
``on_trial_remove``) is measured, as CPU time of the process; BLAS runs single-threaded.

The Syne Tune side needs a scratch virtualenv (never a dependency of this project):
``python -m venv /tmp/peers/st && /tmp/peers/st/bin/pip install syne-tune==0.13.0 'numpy<2'``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import heapq  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from typing import Any  # noqa: E402

CLOCK = time.process_time
SCENARIOS = {
    # name: scheduler arguments and stream settings
    "min-1bracket": dict(
        metrics=["loss", "latency"],
        mode="min",
        max_t=81,
        grace_period=3,
        reduction_factor=3,
        brackets=1,
        seed=0,
        results=6000,
    ),
    "minmax-3brackets": dict(
        metrics=["loss", "throughput"],
        mode=["min", "max"],
        max_t=64,
        grace_period=2,
        reduction_factor=2,
        brackets=3,
        seed=1,
        results=6000,
    ),
}


class Trial:
    """One simulated trial: its learning curve, cost and how it reports."""

    def __init__(self, seed: int, trial_id: int, max_t: int):
        rng = random.Random(f"{seed}-{trial_id}")
        a, b, c = rng.uniform(0.5, 2.0), rng.uniform(0.3, 1.5), rng.uniform(0.0, 1.0)
        cost = (1.2 - c) * rng.uniform(0.7, 1.3)  # good losses cost more: a trade-off
        curve = [c + a * e**-b + rng.gauss(0.0, 0.02) for e in range(1, max_t + 1)]
        self.loss = [0.0] + [round(v, 6) for v in curve]
        self.cost = [round(cost * rng.uniform(0.95, 1.05), 6) for _ in range(max_t + 1)]
        self.step = 2 if trial_id % 5 == 0 else 1  # skips every other epoch
        self.last = max_t if trial_id % 7 != 3 else rng.randint(1, max_t - 1)  # ends early
        speed = rng.uniform(0.5, 2.0)
        self.duration = [speed * rng.uniform(0.8, 1.2) for _ in range(max_t + 1)]

    def result(self, metrics: list[str], epoch: int) -> list[float]:
        second = self.cost[epoch] if metrics[1] == "latency" else round(1.0 / self.cost[epoch], 6)
        return [self.loss[epoch], second]


def simulate(adapter: Any, sc: dict[str, Any], n_workers: int = 4) -> dict[str, Any]:
    """Drive ``adapter`` until ``sc['results']`` results were handled; returns the events,
    decisions and the time spent in the scheduler."""
    metrics, max_t, seed = sc["metrics"], sc["max_t"], sc["seed"]
    events: list[list[Any]] = []
    decisions: list[str] = []
    spent = 0.0
    heap: list[tuple[float, int, int]] = []  # (time of next report, trial id, epoch)
    trials: dict[int, Trial] = {}
    next_id = 0

    def start(now: float) -> None:
        nonlocal next_id, spent
        trial = trials[next_id] = Trial(seed, next_id, max_t)
        events.append(["a", next_id])
        t0 = CLOCK()
        adapter.add(next_id)
        spent += CLOCK() - t0
        first = min(trial.step, trial.last)
        heapq.heappush(heap, (now + sum(trial.duration[1 : first + 1]), next_id, first))
        next_id += 1

    for _ in range(n_workers):
        start(0.0)
    while len(decisions) < sc["results"]:
        now, trial_id, epoch = heapq.heappop(heap)
        trial = trials[trial_id]
        values = trial.result(metrics, epoch)
        result = {"epoch": epoch, metrics[0]: values[0], metrics[1]: values[1]}
        events.append(["r", trial_id, epoch, *values])
        t0 = CLOCK()
        decision = adapter.result(trial_id, result)
        spent += CLOCK() - t0
        decisions.append(decision)
        if decision == "S":
            events.append(["x", trial_id])
            t0 = CLOCK()
            adapter.remove(trial_id)
            spent += CLOCK() - t0
            start(now)
        elif epoch >= trial.last:
            events.append(["c", trial_id, epoch, *values])
            t0 = CLOCK()
            adapter.complete(trial_id, result)
            spent += CLOCK() - t0
            start(now)
        else:
            nxt = min(epoch + trial.step, trial.last)
            heapq.heappush(heap, (now + sum(trial.duration[epoch + 1 : nxt + 1]), trial_id, nxt))
    return {"events": events, "decisions": "".join(decisions), "seconds": spent}


class _Adapter:
    """Maps the simulation's calls onto a scheduler with the common Trial/result interface."""

    def __init__(self, scheduler: Any, trial_cls: Any):
        self.scheduler, self._trial_cls, self._trials = scheduler, trial_cls, {}

    def add(self, trial_id: int) -> None:
        trial = self._trial_cls(trial_id=trial_id, config={}, creation_time=datetime.now())
        self._trials[trial_id] = trial
        self.scheduler.on_trial_add(trial)

    def result(self, trial_id: int, result: dict[str, Any]) -> str:
        decision = self.scheduler.on_trial_result(self._trials[trial_id], result)
        return "S" if decision == "STOP" else "C"

    def complete(self, trial_id: int, result: dict[str, Any]) -> None:
        self.scheduler.on_trial_complete(self._trials[trial_id], result)

    def remove(self, trial_id: int) -> None:
        self.scheduler.on_trial_remove(self._trials[trial_id])


def make_syne_tune(sc: dict[str, Any]) -> _Adapter:
    import numpy as np
    from syne_tune.backend.trial_status import Trial as StTrial
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.schedulers.multiobjective import MOASHA

    np.random.seed(sc["seed"])  # Syne Tune draws brackets from numpy's global state
    scheduler = MOASHA(
        {"x": uniform(0.0, 1.0)},
        metrics=sc["metrics"],
        mode=sc["mode"],
        time_attr="epoch",
        max_t=sc["max_t"],
        grace_period=sc["grace_period"],
        reduction_factor=sc["reduction_factor"],
        brackets=sc["brackets"],
    )
    return _Adapter(scheduler, StTrial)


def make_synetune(sc: dict[str, Any]) -> _Adapter:
    import synetune
    from synetune_sdk.config_space import uniform
    from synetune_sdk.trial import Trial as SynTrial

    scheduler = synetune.schedulers.create(
        "moasha",
        config_space={"x": uniform(0.0, 1.0)},
        metrics=sc["metrics"],
        mode=sc["mode"],
        time_attr="epoch",
        max_t=sc["max_t"],
        grace_period=sc["grace_period"],
        reduction_factor=sc["reduction_factor"],
        brackets=sc["brackets"],
        random_seed=sc["seed"],
    )
    return _Adapter(scheduler, SynTrial)


def priority_cases(n_cases: int = 300, seed: int = 0) -> list[list[Any]]:
    """Syne Tune's stop/continue verdict for the last row of random rungs with 2-4 objectives
    and values rounded to 1-3 decimals (ties and duplicates), for ``reduction_factor=3``."""
    import numpy as np
    from syne_tune.optimizer.schedulers.multiobjective.multiobjective_priority import (
        NonDominatedPriority,
    )

    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n_cases):
        n, m = int(rng.integers(2, 40)), int(rng.integers(2, 5))
        Y = np.round(rng.random((n, m)), int(rng.integers(1, 4)))
        priorities = NonDominatedPriority()(Y)  # as MOASHA's _Bracket.on_result ranks them
        ranks = np.searchsorted(sorted(priorities), priorities) / len(priorities)
        cases.append([Y.tolist(), bool(ranks[-1] > 1 / 3)])
    return cases


def run(syne_tune: bool, record: str | None) -> list[dict[str, Any]]:
    reports, fixture = [], {}
    for name, sc in SCENARIOS.items():
        make = make_syne_tune if syne_tune else make_synetune
        with contextlib.redirect_stdout(io.StringIO()):  # Syne Tune prints a line per trial
            out = simulate(make(sc), sc)
        digest = hashlib.sha256(out["decisions"].encode()).hexdigest()[:16]
        n = len(out["decisions"])
        reports.append(
            {
                "scenario": name,
                "results": n,
                "stops": out["decisions"].count("S"),
                "seconds": out["seconds"],
                "results_per_s": n / out["seconds"],
                "digest": digest,
            }
        )
        fixture[name] = {
            "scheduler": {k: v for k, v in sc.items() if k not in ("seed", "results")},
            "seed": sc["seed"],
            "events": out["events"],
            "decisions": out["decisions"],
        }
    if record:
        fixture["priority_cases"] = priority_cases()
        with gzip.open(record, "wt", compresslevel=9) as f:
            json.dump(fixture, f, separators=(",", ":"))
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--syne-tune", action="store_true", help="run Syne Tune's MOASHA")
    parser.add_argument("--record", help="write events and decisions to this .json.gz")
    parser.add_argument("--peer-python", help="also run Syne Tune with this interpreter")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = parser.parse_args()
    reports = run(args.syne_tune, args.record)
    if args.json:
        print(json.dumps(reports))
        return
    side = "syne-tune 0.13.0" if args.syne_tune else "synetune"
    rows = [(side, r) for r in reports]
    if args.peer_python:
        cmd = [args.peer_python, __file__, "--syne-tune", "--json"]
        peer = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        rows += [("syne-tune 0.13.0", r) for r in peer]
    print(f"{'scheduler':18} {'scenario':18} {'results':>8} {'stops':>6} {'results/s':>10} digest")
    for who, r in rows:
        print(
            f"{who:18} {r['scenario']:18} {r['results']:>8} {r['stops']:>6} "
            f"{r['results_per_s']:>10.0f} {r['digest']}"
        )
    if args.peer_python:
        for mine, theirs in zip(reports, peer):
            same = "same decisions" if mine["digest"] == theirs["digest"] else "DIFFERENT decisions"
            ratio = mine["results_per_s"] / theirs["results_per_s"]
            print(f"{mine['scenario']}: {same}; synetune / syne-tune throughput = {ratio:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
