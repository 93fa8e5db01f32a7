"""Analytic test functions of global optimisation, and blackboxes computing them.

Definitions and optima as in the Virtual Library of Simulation Experiments (Surjanovic and
Bingham, sfu.ca/~ssurjano), which follows Dixon and Szego (1978). Hyperparameters are named
``x1``, ``x2``, ...; every blackbox returns ``y`` (to minimise) and ``elapsed_time``.

``branin-lc`` adds learning curves of a known form over ``epoch`` = 1..81:

    y(x, epoch)            = branin(x) + a(x) * (epoch ** -0.5 - 81 ** -0.5)
    a(x)                   = 10 * (1 + (x1 + 5) / 15)          (from 10 to 20)
    elapsed_time(x, epoch) = epoch * (0.5 + x2 / 15)            (seconds, cumulative)

so every curve decreases to ``branin(x)`` at epoch 81, curves cross (steeper ones start worse),
and an epoch costs from 0.5 to 1.5 simulated seconds depending on the configuration. The
single-fidelity functions count one simulated second per evaluation.
"""

from __future__ import annotations

import math
from typing import Any

from synetune_plugin_blackbox_repository import BlackboxFunction

from synetune_sdk.config_space import randint, uniform

BRANIN_MINIMUM = 0.397887
BRANIN_MINIMIZERS = [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)]
HARTMANN3_MINIMUM = -3.86278
HARTMANN3_MINIMIZER = (0.114614, 0.555649, 0.852547)
HARTMANN6_MINIMUM = -3.32237
HARTMANN6_MINIMIZER = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
MAX_EPOCHS = 81

_ALPHA = (1.0, 1.2, 3.0, 3.2)
_A3 = ((3.0, 10.0, 30.0), (0.1, 10.0, 35.0), (3.0, 10.0, 30.0), (0.1, 10.0, 35.0))
_P3 = (
    (0.3689, 0.1170, 0.2673),
    (0.4699, 0.4387, 0.7470),
    (0.1091, 0.8732, 0.5547),
    (0.0381, 0.5743, 0.8828),
)
_A6 = (
    (10.0, 3.0, 17.0, 3.5, 1.7, 8.0),
    (0.05, 10.0, 17.0, 0.1, 8.0, 14.0),
    (3.0, 3.5, 1.7, 10.0, 17.0, 8.0),
    (17.0, 8.0, 0.05, 10.0, 0.1, 14.0),
)
_P6 = (
    (0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886),
    (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
    (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650),
    (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381),
)


def branin(x1: float, x2: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def _hartmann(x: tuple[float, ...], a: Any, p: Any) -> float:
    total = 0.0
    for alpha, a_row, p_row in zip(_ALPHA, a, p):
        total += alpha * math.exp(
            -sum(aij * (xj - pij) ** 2 for aij, xj, pij in zip(a_row, x, p_row))
        )
    return -total


def hartmann3(*x: float) -> float:
    return _hartmann(x, _A3, _P3)


def hartmann6(*x: float) -> float:
    return _hartmann(x, _A6, _P6)


def branin_lc(x1: float, x2: float, epoch: int) -> tuple[float, float]:
    """(y, cumulative elapsed time) of the Branin learning curve at ``epoch``."""
    slope = 10 * (1 + (x1 + 5) / 15)
    y = branin(x1, x2) + slope * (epoch**-0.5 - MAX_EPOCHS**-0.5)
    return y, epoch * (0.5 + x2 / 15)


def _unit_space(dims: int) -> dict[str, Any]:
    return {f"x{i + 1}": uniform(0.0, 1.0) for i in range(dims)}


def make_blackbox(name: str) -> BlackboxFunction:
    """The blackbox of analytic function ``name`` (branin, hartmann3, hartmann6, branin-lc)."""
    objectives = ["y", "elapsed_time"]
    if name == "branin":
        space = {"x1": uniform(-5.0, 10.0), "x2": uniform(0.0, 15.0)}
        return BlackboxFunction(
            space,
            lambda c, f, s: {"y": branin(c["x1"], c["x2"]), "elapsed_time": 1.0},
            None,
            objectives,
        )
    if name in ("hartmann3", "hartmann6"):
        dims = 3 if name == "hartmann3" else 6
        function = hartmann3 if dims == 3 else hartmann6
        keys = [f"x{i + 1}" for i in range(dims)]
        return BlackboxFunction(
            _unit_space(dims),
            lambda c, f, s: {"y": function(*(c[k] for k in keys)), "elapsed_time": 1.0},
            None,
            objectives,
        )
    if name == "branin-lc":
        space = {"x1": uniform(-5.0, 10.0), "x2": uniform(0.0, 15.0)}

        def evaluate(config: dict[str, Any], epoch: int, seed: int) -> dict[str, float]:
            y, elapsed = branin_lc(config["x1"], config["x2"], epoch)
            return {"y": y, "elapsed_time": elapsed}

        return BlackboxFunction(space, evaluate, {"epoch": randint(1, MAX_EPOCHS)}, objectives)
    raise ValueError(
        f"unknown analytic function {name!r}: use branin, hartmann3, hartmann6 or branin-lc"
    )
