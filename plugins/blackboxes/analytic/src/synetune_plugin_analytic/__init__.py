"""synetune-plugin-analytic: analytic test functions as blackbox recipes (generated instantly)."""

from __future__ import annotations

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
