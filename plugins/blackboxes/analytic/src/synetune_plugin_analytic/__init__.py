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
