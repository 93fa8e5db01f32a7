"""synetune-plugin-analytic: analytic test functions as blackbox recipes (generated instantly),
and the study runner's named benchmarks on them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from synetune_sdk import hookimpl


@hookimpl
def register_blackbox_recipes(register):
    register(
        "branin",
        "synetune_plugin_analytic.recipes:BraninRecipe",
        summary="Branin function, 2 continuous inputs, minimum 0.397887",
    )
    register(
        "hartmann3",
        "synetune_plugin_analytic.recipes:Hartmann3Recipe",
        summary="Hartmann 3-D function on [0, 1]^3, minimum -3.86278",
    )
    register(
        "hartmann6",
        "synetune_plugin_analytic.recipes:Hartmann6Recipe",
        summary="Hartmann 6-D function on [0, 1]^6, minimum -3.32237",
    )
    register(
        "branin-lc",
        "synetune_plugin_analytic.recipes:BraninLearningCurveRecipe",
        summary="Branin with power-law learning curves over 81 epochs and per-config epoch cost",
    )
    for name, summary in (
        ("zdt1", "ZDT1: 2 objectives f1, f2 (min), convex front f2 = 1 - sqrt(f1)"),
        ("zdt2", "ZDT2: 2 objectives f1, f2 (min), concave front f2 = 1 - f1**2"),
        ("zdt3", "ZDT3: 2 objectives f1, f2 (min), front in 5 disconnected pieces"),
        ("dtlz2", "DTLZ2: 2 objectives f1, f2 (min), front on the unit quarter circle"),
    ):
        register(
            name,
            f"synetune_plugin_analytic.recipes:{name.upper()}Recipe",
            summary=f"{summary}; inputs x1..xd in [0, 1], dimension=d (default 6)",
        )


# Named benchmarks for the study runner (synetune-plugin-study), as plain dicts of its Benchmark
# fields so this plugin needs no study import: the recipe replayed on the simulator, its
# metric(s), the default stop criterion and, where known, the optimum the report's normalized
# regret measures from.
BENCHMARKS: dict[str, tuple[dict[str, Any], str]] = {
    "branin": (
        dict(blackbox="branin", metric="y", optimum=0.397887, max_num_trials=100),
        "Branin on the simulator: y (min), 100 trials",
    ),
    "hartmann3": (
        dict(blackbox="hartmann3", metric="y", optimum=-3.86278, max_num_trials=100),
        "Hartmann 3-D on the simulator: y (min), 100 trials",
    ),
    "hartmann6": (
        dict(blackbox="hartmann6", metric="y", optimum=-3.32237, max_num_trials=100),
        "Hartmann 6-D on the simulator: y (min), 100 trials",
    ),
    "branin-lc": (
        dict(
            blackbox="branin-lc",
            metric="y",
            optimum=0.397887,
            resource_attr="epoch",
            max_resource_attr="epochs",
            max_wallclock_time=1200.0,
        ),
        "Branin learning curves (epoch 1..81) on the simulator, 1200 simulated s",
    ),
    **{
        name: (
            dict(blackbox=name, metric=["f1", "f2"], max_num_trials=100),
            f"{name.upper()}: two objectives f1, f2 (min) on the simulator, 100 trials",
        )
        for name in ("zdt1", "zdt2", "zdt3", "dtlz2")
    },
}


def _benchmark(fields: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def factory(**overrides: Any) -> dict[str, Any]:
        return {**copy.deepcopy(fields), **overrides}

    return factory


@hookimpl
def register_benchmarks(register):
    for name, (fields, summary) in BENCHMARKS.items():
        register(name, _benchmark(fields), summary=summary)
