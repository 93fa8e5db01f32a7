"""Hypervolume and non-dominated sorting: synetune_sdk.multiobjective against Optuna and Syne Tune.

Every library runs in its own process on the same seeded point sets (minimisation) and prints
the value it computed and the best of ``--repeats`` timings (CPU time, BLAS single-threaded):

* ``hv2``: hypervolume of 10,000 random points in 2-D (a front of a few dozen),
* ``hv2-front``: 2,000 points all on the front y1 + y2 = 1,
* ``hv3``: 2,000 points on the unit sphere's positive octant (all on the front), 3-D,
* ``hv4``: 200 points on the sphere in 4-D,
* ``hv2-cumulative``: the hypervolume after each of 2,000 points (synetune: incremental; Syne
  Tune's ``hypervolume_cumulative`` and Optuna recompute each prefix),
* ``sort2``: non-domination ranks of 10,000 random 2-D points (Optuna's
  ``_fast_non_domination_rank``; Syne Tune's MOASHA uses pymoo's ``NonDominatedSorting``).

    .venv/bin/python benchmarks/hypervolume_speed.py                 # all three, side by side
    .venv/bin/python benchmarks/hypervolume_speed.py --only synetune
    .venv/bin/python benchmarks/hypervolume_speed.py --repeats 1 --timeout 120  # loaded machine

Peers live in scratch virtualenvs, never dependencies of this project:
``python -m venv /tmp/peers/st && /tmp/peers/st/bin/pip install syne-tune==0.13.0 'numpy<2'``
(pymoo comes with it) and ``python -m venv /tmp/peers/optuna && /tmp/peers/optuna/bin/pip
install 'optuna==5.*'``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

PYTHONS = {
    "synetune": str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"),
    "optuna": "/tmp/peers/optuna/bin/python",
    "syne-tune": "/tmp/peers/st/bin/python",
}


def cases():
    import numpy as np

    rng = np.random.default_rng(0)
    t = np.sort(rng.random(2000))
    sphere3 = np.abs(rng.normal(size=(2000, 3)))
    sphere4 = np.abs(rng.normal(size=(200, 4)))
    return {
        "hv2-front": (np.c_[t, 1 - t], [1.1, 1.1]),
        "hv2": (rng.random((10_000, 2)), [1.0, 1.0]),
        "hv3": (sphere3 / np.linalg.norm(sphere3, axis=1, keepdims=True), [1.1] * 3),
        "hv4": (sphere4 / np.linalg.norm(sphere4, axis=1, keepdims=True), [1.1] * 4),
        "sort2": (rng.random((10_000, 2)), None),
        "hv2-cumulative": (rng.random((2000, 2)), [1.0, 1.0]),
    }


def functions(library: str):
    import numpy as np

    if library == "synetune":
        from synetune_sdk.multiobjective import (
            hypervolume,
            hypervolume_over_time,
            nondominated_sort,
        )

        return hypervolume, hypervolume_over_time, nondominated_sort
    if library == "optuna":
        from optuna._hypervolume import compute_hypervolume
        from optuna.study._multi_objective import _fast_non_domination_rank

        def hv(Y, r):
            return compute_hypervolume(np.asarray(Y), np.asarray(r, dtype=float))

        def cumulative(Y, r):
            return np.array([hv(Y[: k + 1], r) for k in range(len(Y))])

        return hv, cumulative, _fast_non_domination_rank
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
    from syne_tune.optimizer.schedulers.multiobjective.utils import (
        hypervolume,
        hypervolume_cumulative,
    )

    def ranks(Y):
        out = np.empty(len(Y), dtype=int)
        for rank, front in enumerate(NonDominatedSorting().do(Y)):
            out[front] = rank
        return out

    return (
        lambda Y, r: hypervolume(Y, np.asarray(r, dtype=float)),
        lambda Y, r: hypervolume_cumulative(Y, np.asarray(r, dtype=float)),
        ranks,
    )


def measure(library: str, repeats: int) -> None:
    """Print one JSON line per case as it finishes (the parent keeps what came before a
    timeout: pymoo's uncompiled hypervolume, Syne Tune's, takes minutes on the larger sets)."""
    import numpy as np

    hv, cumulative, ranks = functions(library)
    for name, (Y, r) in cases().items():
        best, value = float("inf"), None
        for _ in range(repeats if name != "hv2-cumulative" or library == "synetune" else 1):
            start = time.process_time()
            if name == "sort2":
                value = ranks(Y)
            elif name == "hv2-cumulative":
                value = cumulative(Y, r)
            else:
                value = hv(Y, r)
            best = min(best, time.process_time() - start)
        if name == "sort2":
            summary = float(np.max(value))  # number of fronts - 1
        elif name == "hv2-cumulative":
            summary = float(np.asarray(value)[-1])
        else:
            summary = float(value)
        print(json.dumps({name: {"seconds": best, "value": summary}}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(PYTHONS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per library")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.only, args.repeats)
        return
    results = {}
    for library, python in PYTHONS.items():
        if args.only and library != args.only:
            continue
        if not Path(python).exists():
            print(f"{library}: {python} missing, skipped", file=sys.stderr)
            continue
        command = [python, __file__, "--child", "--only", library, "--repeats", str(args.repeats)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
            stdout = done.stdout
            if done.returncode != 0:
                print(f"{library} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        except subprocess.TimeoutExpired as err:
            stdout = err.stdout.decode() if isinstance(err.stdout, bytes) else err.stdout or ""
        results[library] = {}
        for line in stdout.splitlines():
            if line.startswith("{"):
                results[library].update(json.loads(line))
    print(f"{'case':<16}" + "".join(f"{lib:>24}" for lib in results))
    for name in cases():
        cells = [
            f"{r[name]['seconds'] * 1000:9.1f} ms ({r[name]['value']:.6g})"
            if name in r
            else f"> {args.timeout:.0f} s (timeout)"
            for r in results.values()
        ]
        print(f"{name:<16}" + "".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
