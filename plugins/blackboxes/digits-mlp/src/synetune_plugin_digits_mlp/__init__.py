"""synetune-plugin-digits-mlp: a learning-curve benchmark of MLPs on scikit-learn's digits."""

from __future__ import annotations

import copy
from typing import Any

from synetune_sdk import hookimpl

# The study runner's named benchmark (synetune-plugin-study), a plain dict of its Benchmark
# fields so this plugin needs no study import. No optimum: the report measures regret from the
# best value any run found.
BENCHMARK: dict[str, Any] = dict(
    blackbox="digits-mlp",
    metric="val_error",
    resource_attr="epoch",
    max_resource_attr="epochs",
    max_wallclock_time=30.0,
)


@hookimpl
def register_blackbox_recipes(register):
    register(
        "digits-mlp",
        "synetune_plugin_digits_mlp.recipe:DigitsMLPRecipe",
        summary="648 MLP configs x 3 seeds x 27 epochs on digits: val_error, elapsed_time, n_params",
    )


def _benchmark(**overrides: Any) -> dict[str, Any]:
    return {**copy.deepcopy(BENCHMARK), **overrides}


@hookimpl
def register_benchmarks(register):
    register(
        "digits-mlp",
        _benchmark,
        summary="digits MLP learning curves (epoch 1..27) on the simulator, 30 simulated s",
    )
