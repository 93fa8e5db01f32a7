"""Two-objective analytic test problems (ZDT1, ZDT2, ZDT3, DTLZ2) with known Pareto fronts.

Public API of synetune-plugin-analytic for benchmarks: ``zdt1``, ``zdt2``, ``zdt3``, ``dtlz2``
(the objectives of one input vector), ``pareto_front(name, num_points)`` (points on the true
front), ``reference_point(name)`` and ``max_hypervolume(name)`` (the hypervolume of the true
front under that reference point), so that a benchmark reports the hypervolume gap of a run.

Inputs ``x1..xd`` lie in [0, 1]; both objectives ``f1``, ``f2`` are minimised. Definitions as in
Zitzler, Deb and Thiele (2000) and Deb, Thiele, Laumanns and Zitzler (2002), with ``d`` inputs:

    ZDT:   f1 = x1,  g = 1 + 9 / (d - 1) * sum(x2..xd),  f2 = g * h(f1 / g)
           ZDT1 h(u) = 1 - sqrt(u);  ZDT2 h(u) = 1 - u**2;
           ZDT3 h(u) = 1 - sqrt(u) - u * sin(10 pi f1)
    DTLZ2: g = sum((x2..xd - 0.5)**2),
           f1 = (1 + g) cos(pi x1 / 2),  f2 = (1 + g) sin(pi x1 / 2)

The true fronts are reached where g is minimal (x2..xd = 0 for ZDT, 0.5 for DTLZ2). Reference
points are BoTorch's (its test problems use the same): (11, 11) for ZDT, every ZDT point lies
inside it (f1 <= 1, f2 <= g <= 10); (1.1, 1.1) for DTLZ2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from synetune_plugin_blackbox_repository import BlackboxFunction

from synetune_sdk.config_space import uniform

PROBLEMS = ("zdt1", "zdt2", "zdt3", "dtlz2")
OBJECTIVES = ("f1", "f2")
DEFAULT_DIMENSION = 6
MAX_DIMENSION = 30
_REFERENCE = {"zdt1": (11.0, 11.0), "zdt2": (11.0, 11.0), "zdt3": (11.0, 11.0), "dtlz2": (1.1, 1.1)}
# f1 ranges of the five pieces of ZDT3's disconnected front (Deb, 2001)
ZDT3_FRONT_PIECES = (
    (0.0, 0.0830015349),
    (0.1822287280, 0.2577623634),
    (0.4093136748, 0.4538821041),
    (0.6183967944, 0.6525117038),
    (0.8233317983, 0.8518328654),
)


def _zdt_g(x: Sequence[float]) -> float:
    return 1.0 + 9.0 * sum(x[1:]) / (len(x) - 1)


def zdt1(x: Sequence[float]) -> tuple[float, float]:
    f1, g = x[0], _zdt_g(x)
    return f1, g * (1.0 - math.sqrt(f1 / g))


def zdt2(x: Sequence[float]) -> tuple[float, float]:
    f1, g = x[0], _zdt_g(x)
    return f1, g * (1.0 - (f1 / g) ** 2)


def zdt3(x: Sequence[float]) -> tuple[float, float]:
    f1, g = x[0], _zdt_g(x)
    return f1, g * (1.0 - math.sqrt(f1 / g) - f1 / g * math.sin(10.0 * math.pi * f1))


def dtlz2(x: Sequence[float]) -> tuple[float, float]:
    g = sum((xi - 0.5) ** 2 for xi in x[1:])
    angle = 0.5 * math.pi * x[0]
    return (1.0 + g) * math.cos(angle), (1.0 + g) * math.sin(angle)


FUNCTIONS = {"zdt1": zdt1, "zdt2": zdt2, "zdt3": zdt3, "dtlz2": dtlz2}


def _check_name(name: str) -> str:
    if name not in FUNCTIONS:
        raise ValueError(f"unknown multi-objective problem {name!r}: use one of {list(PROBLEMS)}")
    return name


def check_dimension(dimension: Any) -> int:
    """``dimension`` as an int in [2, MAX_DIMENSION], or a ValueError saying what to pass."""
    if isinstance(dimension, bool) or not isinstance(dimension, int):
        raise ValueError(f"dimension must be an integer (number of inputs), got {dimension!r}")
    if not 2 <= dimension <= MAX_DIMENSION:
        raise ValueError(
            f"dimension must be between 2 and {MAX_DIMENSION} (number of inputs), got {dimension}"
        )
    return dimension


def reference_point(name: str) -> tuple[float, float]:
    """The reference point the hypervolume of problem ``name`` is measured against."""
    return _REFERENCE[_check_name(name)]


def pareto_front(name: str, num_points: int = 1000) -> Any:
    """``num_points`` points on the true Pareto front of ``name`` (numpy array, rows (f1, f2),
    sorted by f1; ZDT3 gets at least 2 per piece of its front). The front does not depend on
    the dimension."""
    import numpy as np

    _check_name(name)
    if num_points < 2:
        raise ValueError(f"num_points must be at least 2, got {num_points}")
    if name == "zdt3":
        # spread the points over the five pieces in proportion to their f1 length
        lengths = np.array([hi - lo for lo, hi in ZDT3_FRONT_PIECES])
        counts = np.maximum(2, np.round(num_points * lengths / lengths.sum()).astype(int))
        counts[0] = max(2, counts[0] + num_points - counts.sum())  # at least 2 per piece
        # a piece starts level with the end of the one before it: start just after, so that
        # no point of the front is (weakly) dominated by another
        starts = [lo + (1e-7 if lo > 0 else 0.0) for lo, _ in ZDT3_FRONT_PIECES]
        f1 = np.concatenate(
            [np.linspace(lo, hi, n) for lo, (_, hi), n in zip(starts, ZDT3_FRONT_PIECES, counts)]
        )
        return np.column_stack([f1, 1.0 - np.sqrt(f1) - f1 * np.sin(10.0 * np.pi * f1)])
    u = np.linspace(0.0, 1.0, num_points)
    if name == "zdt1":
        return np.column_stack([u, 1.0 - np.sqrt(u)])
    if name == "zdt2":
        return np.column_stack([u, 1.0 - u**2])
    angle = 0.5 * np.pi * u[::-1]  # dtlz2: the quarter circle, f1 increasing
    return np.column_stack([np.cos(angle), np.sin(angle)])


def max_hypervolume(name: str) -> float:
    """The hypervolume of the true front under ``reference_point(name)``: the area of the
    reference box minus the area below the front (closed forms; ZDT3 integrates each piece)."""
    r1, r2 = reference_point(name)
    box = r1 * r2
    if name == "zdt1":
        return box - 1.0 / 3.0  # integral of 1 - sqrt(u) over [0, 1]
    if name == "zdt2":
        return box - 2.0 / 3.0  # integral of 1 - u**2 over [0, 1]
    if name == "dtlz2":
        return box - math.pi / 4.0  # quarter disc
    # zdt3: below the front lies the curve on each piece, and the last piece's end value in
    # the gap after it (and after the last piece up to r1)
    k = 10.0 * math.pi

    def curve(a: float) -> float:
        return 1.0 - math.sqrt(a) - a * math.sin(k * a)

    def integral(a: float) -> float:  # antiderivative of curve
        return a - 2.0 / 3.0 * a**1.5 + a * math.cos(k * a) / k - math.sin(k * a) / k**2

    below = 0.0
    ends = [lo for lo, _ in ZDT3_FRONT_PIECES[1:]] + [r1]
    for (lo, hi), next_lo in zip(ZDT3_FRONT_PIECES, ends):
        below += integral(hi) - integral(lo) + curve(hi) * (next_lo - hi)
    return box - below


def evaluate(name: str, x: Sequence[float]) -> dict[str, float]:
    """``{"f1": ..., "f2": ...}`` of problem ``name`` at inputs ``x``."""
    f1, f2 = FUNCTIONS[_check_name(name)](list(x))
    return {"f1": float(f1), "f2": float(f2)}


def make_mo_blackbox(name: str, dimension: int = DEFAULT_DIMENSION) -> BlackboxFunction:
    """The blackbox of problem ``name`` with ``dimension`` inputs: objectives ``f1``, ``f2``
    (both minimised) and ``elapsed_time`` (one simulated second per evaluation)."""
    function = FUNCTIONS[_check_name(name)]
    dimension = check_dimension(dimension)
    keys = [f"x{i + 1}" for i in range(dimension)]

    def objectives(config: dict[str, Any], fidelity: Any, seed: int) -> dict[str, float]:
        f1, f2 = function([float(config[k]) for k in keys])
        return {"f1": f1, "f2": f2, "elapsed_time": 1.0}

    space = {k: uniform(0.0, 1.0) for k in keys}
    return BlackboxFunction(space, objectives, None, [*OBJECTIVES, "elapsed_time"])
