"""Compare ASHA with random search on the digits-mlp learning curves, on simulated time.

Each method runs over several seeds on the simulator backend (4 simulated workers, no
training, no sleeping); the plot shows the mean best validation error found so far against
simulated time, with the spread over seeds. Run it from the repository root::

    pip install matplotlib        # only for the plot
    python examples/simulated/compare_asha_random.py --seeds 5 --max-wallclock-time 30

(30 simulated seconds on 4 workers is about 170 full 27-epoch trainings: the digits MLPs train
fast on the CPU that generated the table.)

It writes ``compare_asha_random.png`` (``--output``) and prints the final best error per method.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import synetune
from synetune import StoppingCriterion, Tuner

METRIC, RESOURCE_ATTR, MAX_RESOURCE_ATTR = "val_error", "epoch", "epochs"
METHODS = ("asha", "random_search")


def run(blackbox, method: str, seed: int, max_wallclock_time: float, n_workers: int) -> Tuner:
    """One simulated tuning run; returns the finished tuner."""
    space = blackbox.configuration_space_with_max_resource_attr(MAX_RESOURCE_ATTR)
    kwargs = {"config_space": space, "metric": METRIC, "mode": "min", "random_seed": seed}
    if method == "asha":
        kwargs.update(resource_attr=RESOURCE_ATTR, max_resource_attr=MAX_RESOURCE_ATTR)
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr=MAX_RESOURCE_ATTR,
            random_seed=seed,
        ),
        scheduler=synetune.schedulers.create(method, **kwargs),
        stop_criterion=StoppingCriterion(max_wallclock_time=max_wallclock_time),
        n_workers=n_workers,
        sleep_time=0.0,
        tuner_name=f"compare-{method.replace('_', '-')}-{seed}",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    return tuner


def best_so_far(tuner: Tuner, grid: list[float]) -> list[float]:
    """Best ``METRIC`` reported up to each simulated time of ``grid``."""
    from synetune.experiments import load_experiment

    df = load_experiment(tuner.tuner_path).results.sort_values("st_tuner_time")
    times, best = df["st_tuner_time"].to_numpy(), df[METRIC].cummin().to_numpy()
    out, position = [], 0
    for t in grid:
        while position < len(times) and times[position] <= t:
            position += 1
        out.append(float(best[position - 1]) if position else float("nan"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-wallclock-time", type=float, default=30.0, help="simulated s")
    parser.add_argument("--n-workers", type=int, default=4)
    parser.add_argument("--output", type=Path, default=Path("compare_asha_random.png"))
    args = parser.parse_args()

    import numpy as np

    blackbox = synetune.blackboxes.load("digits-mlp")
    grid = list(np.linspace(0.0, args.max_wallclock_time, 200))
    curves: dict[str, list[list[float]]] = {m: [] for m in METHODS}
    for method in METHODS:
        started = time.perf_counter()
        for seed in range(args.seeds):
            tuner = run(blackbox, method, seed, args.max_wallclock_time, args.n_workers)
            curves[method].append(best_so_far(tuner, grid))
        wall = time.perf_counter() - started
        finals = [c[-1] for c in curves[method]]
        print(
            f"{method:>14}: best {METRIC} after {args.max_wallclock_time:g} simulated s: "
            f"{np.mean(finals):.4f} +- {np.std(finals):.4f} over {args.seeds} seeds "
            f"({wall:.1f} s of wall time for all seeds)"
        )
    plot(curves, grid, args.output)
    print(f"plot written to {args.output}")


def plot(curves: dict[str, list[list[float]]], grid: list[float], output: Path) -> None:
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, runs in curves.items():
        values = np.array(runs)
        with warnings.catch_warnings():  # before the first result every seed is nan
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
        ax.plot(grid, mean, label=f"{method} (mean of {len(runs)} seeds)")
        ax.fill_between(grid, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel("simulated time (s), 4 workers")
    ax.set_ylabel(f"best {METRIC} so far")
    ax.set_yscale("log")
    ax.set_title("digits-mlp: ASHA vs random search on the simulator")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(output, dpi=120)


if __name__ == "__main__":
    main()
