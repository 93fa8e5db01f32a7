"""Scheduler throughput: decisions per second of ASHA (stopping and promotion) as results pile up.

A seeded simulation feeds the same stream of results to the scheduler: random learning curves
(one per trial, up to 27 epochs), 4 asynchronous workers whose epochs take random times, a worker
asking ``suggest`` whenever it is free (promotion: a paused trial may be resumed). Only the time
spent inside the scheduler (``suggest``, ``on_trial_result``, ``on_trial_remove``,
``on_trial_complete``) is measured, as CPU time of the process (``--clock wall`` for wall-clock
time); the table gives results per second at 1k, 10k and 100k
results, cumulated and over the last stretch (to show whether the cost per decision stays flat).

The stream depends on the decisions (a stopped trial reports no more), so two schedulers that
decide alike see the same stream: the script prints a digest of every decision and suggestion,
and equal digests mean equal decisions. At ``max_t`` Syne Tune answers STOP and synetune CONTINUE
(the script ends by itself); both count as "end" in the digest.

    python benchmarks/scheduler_throughput.py                      # synetune
    /tmp/st-venv/bin/python benchmarks/scheduler_throughput.py --syne-tune   # Syne Tune 0.13.0
    python benchmarks/scheduler_throughput.py --peer-python /tmp/st-venv/bin/python  # both

The Syne Tune side needs a scratch virtualenv (never a dependency of this project):
``python -m venv /tmp/st-venv && /tmp/st-venv/bin/pip install syne-tune==0.13.0 'numpy<2' 'pandas<2.2'``.
Note: with ``reduction_factor=3`` a trial reports about 3 results on average, so 100k results
take about 33k trials; ``--trials`` caps the number of trials (0: no cap).
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import logging
import random
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

MAX_T = 27
METRIC = "loss"
# CPU time of this process by default: on a shared machine other processes slow the wall clock
CLOCK = time.process_time


class Curve:
    """A random learning curve ``c + a * epoch**-b`` plus noise, and the time each epoch takes."""

    def __init__(self, seed: int, trial_id: int):
        rng = random.Random(f"{seed}-{trial_id}")
        a, b, c = rng.uniform(0.5, 2.0), rng.uniform(0.3, 1.5), rng.uniform(0.0, 1.0)
        self.loss = [0.0] + [c + a * e**-b + rng.gauss(0.0, 0.02) for e in range(1, MAX_T + 1)]
        speed = rng.uniform(0.5, 2.0)
        self.duration = [0.0] + [speed * rng.uniform(0.8, 1.2) for _ in range(MAX_T)]


class SyneTuneAdapter:
    name = "syne-tune 0.13.0"

    def __init__(self, kind: str, seed: int):
        logging.disable(logging.WARNING)  # Syne Tune logs a line per max_resource_attr warning
        from syne_tune.backend.trial_status import Trial
        from syne_tune.config_space import uniform
        from syne_tune.optimizer.baselines import ASHA

        self._trial_cls = Trial
        space = {"x": uniform(0.0, 1.0), "epochs": MAX_T}
        self.scheduler = ASHA(
            space,
            metric=METRIC,
            resource_attr="epoch",
            max_resource_attr="epochs",
            mode="min",
            type=kind,
            random_seed=seed,
        )

    def make_trial(self, trial_id: int, config: dict[str, Any]) -> Any:
        return self._trial_cls(trial_id=trial_id, config=config, creation_time=datetime.now())


class SynetuneAdapter:
    name = "synetune"

    def __init__(self, kind: str, seed: int):
        import synetune
        from synetune_sdk.config_space import uniform
        from synetune_sdk.trial import Trial

        self._trial_cls = Trial
        space = {"x": uniform(0.0, 1.0), "epochs": MAX_T}
        kwargs = dict(
            metric=METRIC,
            resource_attr="epoch",
            max_resource_attr="epochs",
            mode="min",
            type=kind,
            random_seed=seed,
        )
        if "random" in synetune.searchers.names():
            self.scheduler = synetune.schedulers.create("asha", config_space=space, **kwargs)
        else:  # the random searcher plugin is not installed: a minimal stand-in
            from synetune_sdk.searcher import Searcher

            class _Random(Searcher):
                def suggest(self, trial_id: int, **kw: Any) -> dict[str, Any]:
                    return {"x": random.random(), "epochs": MAX_T}

            self.scheduler = synetune.schedulers.create(
                "asha", config_space=space, searcher=_Random(space, METRIC), **kwargs
            )
        self.name += f" {synetune.__version__}"

    def make_trial(self, trial_id: int, config: dict[str, Any]) -> Any:
        return self._trial_cls(trial_id, config, datetime.now())


def simulate(
    adapter: Any, checkpoints: list[int], seed: int, n_workers: int, max_trials: int
) -> dict[str, Any]:
    """Run the workload until ``checkpoints[-1]`` results; time the scheduler calls."""
    scheduler = adapter.scheduler
    digest = hashlib.sha256()
    trials: dict[int, Any] = {}
    curves: dict[int, Curve] = {}
    epoch_done: dict[int, int] = {}
    events: list[tuple[float, int, int]] = []  # (time, seq, trial_id)
    seq = 0
    next_id = 0
    results = 0
    busy = 0.0
    rows = []
    last_busy, last_results = 0.0, 0
    targets = list(checkpoints)
    now = 0.0

    def launch(now: float) -> bool:
        nonlocal seq, next_id, busy
        if max_trials and next_id >= max_trials:
            # no new trials any more, but a paused trial may still be resumed
            pass
        t0 = CLOCK()
        suggestion = scheduler.suggest(next_id)
        busy += CLOCK() - t0
        if suggestion is None:
            return False
        if suggestion.spawn_new_trial_id:
            if max_trials and next_id >= max_trials:
                return False
            trial_id = next_id
            next_id += 1
            trials[trial_id] = adapter.make_trial(trial_id, dict(suggestion.config))
            curves[trial_id] = Curve(seed, trial_id)
            epoch_done[trial_id] = 0
            t0 = CLOCK()
            scheduler.on_trial_add(trials[trial_id])
            busy += CLOCK() - t0
            digest.update(f"N{trial_id};".encode())
        else:
            trial_id = suggestion.checkpoint_trial_id
            digest.update(f"R{trial_id};".encode())
        seq += 1
        heapq.heappush(
            events, (now + curves[trial_id].duration[epoch_done[trial_id] + 1], seq, trial_id)
        )
        return True

    for _ in range(n_workers):
        launch(0.0)
    while events and targets:
        now, _, trial_id = heapq.heappop(events)
        epoch = epoch_done[trial_id] + 1
        epoch_done[trial_id] = epoch
        result = {METRIC: curves[trial_id].loss[epoch], "epoch": epoch}
        trial = trials[trial_id]
        t0 = CLOCK()
        decision = scheduler.on_trial_result(trial, result)
        busy += CLOCK() - t0
        results += 1
        ended = epoch >= MAX_T
        digest.update(f"{trial_id}:{epoch}:{'end' if ended else decision};".encode())
        if decision == "CONTINUE" and not ended:
            seq += 1
            heapq.heappush(events, (now + curves[trial_id].duration[epoch + 1], seq, trial_id))
        else:
            t0 = CLOCK()
            if decision == "CONTINUE":
                scheduler.on_trial_complete(trial, result)
            else:
                scheduler.on_trial_remove(trial)
            busy += CLOCK() - t0
            launch(now)
        if results == targets[0]:
            targets.pop(0)
            window = results - last_results
            rows.append(
                {
                    "results": results,
                    "trials": next_id,
                    "rate": results / busy,
                    "window_rate": window / (busy - last_busy),
                    "us_per_result": 1e6 * (busy - last_busy) / window,
                }
            )
            last_busy, last_results = busy, results
    return {
        "name": adapter.name,
        "rows": rows,
        "digest": digest.hexdigest()[:16],
        "results": results,
    }


def run(
    side: str, kinds: list[str], checkpoints: list[int], seed: int, n_workers: int, max_trials: int
) -> dict[str, Any]:
    out = {}
    for kind in kinds:
        adapter = (
            SyneTuneAdapter(kind, seed) if side == "syne-tune" else SynetuneAdapter(kind, seed)
        )
        out[kind] = simulate(adapter, checkpoints, seed, n_workers, max_trials)
    return out


def print_table(reports: list[dict[str, Any]], kinds: list[str]) -> None:
    print(
        f"{'scheduler':<28}{'type':<11}{'results':>9}{'trials':>8}{'results/s':>12}{'last stretch/s':>16}{'us/result':>11}"
    )
    for kind in kinds:
        for report in reports:
            entry = report[kind]
            for row in entry["rows"]:
                print(
                    f"{entry['name']:<28}{kind:<11}{row['results']:>9}{row['trials']:>8}{row['rate']:>12.0f}"
                    f"{row['window_rate']:>16.0f}{row['us_per_result']:>11.1f}"
                )
            if len(entry["rows"]) < 1:
                print(
                    f"{entry['name']:<28}{kind:<11} (ran out of trials after {entry['results']} results)"
                )
    for kind in kinds:
        digests = {report[kind]["name"]: report[kind]["digest"] for report in reports}
        same = len(set(digests.values())) == 1
        extra = f" -> {'identical' if same else 'DIFFERENT'} decisions" if len(digests) > 1 else ""
        print(
            f"decision digest ({kind}): "
            + ", ".join(f"{k}: {v}" for k, v in digests.items())
            + extra
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--syne-tune",
        action="store_true",
        help="measure Syne Tune's ASHA (run with its virtualenv)",
    )
    parser.add_argument(
        "--peer-python", help="also run --syne-tune with this interpreter and compare"
    )
    parser.add_argument("--types", default="stopping,promotion")
    parser.add_argument(
        "--results", default="1000,10000,100000", help="checkpoints (number of results)"
    )
    parser.add_argument("--trials", type=int, default=0, help="cap on new trials (0: no cap)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--clock", choices=("cpu", "wall"), default="cpu", help="CPU time (default) or wall clock"
    )
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    kinds = args.types.split(",")
    checkpoints = sorted(int(x) for x in args.results.split(","))
    side = "syne-tune" if args.syne_tune else "synetune"
    report = run(side, kinds, checkpoints, args.seed, args.workers, args.trials)
    if args.json:
        print(json.dumps(report))
        return
    reports = [report]
    if args.peer_python:
        command = [
            args.peer_python,
            __file__,
            "--syne-tune",
            "--json",
            "--types",
            args.types,
            "--results",
            args.results,
        ]
        command += [
            "--trials",
            str(args.trials),
            "--workers",
            str(args.workers),
            "--seed",
            str(args.seed),
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"the Syne Tune side failed:\n{done.stderr}", file=sys.stderr)
        else:
            reports.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print_table(reports, kinds)


if __name__ == "__main__":
    main()
