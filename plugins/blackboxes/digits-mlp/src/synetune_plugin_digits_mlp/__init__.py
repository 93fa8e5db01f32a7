"""synetune-plugin-digits-mlp: a learning-curve benchmark of MLPs on scikit-learn's digits."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_blackbox_recipes(register):
    register(
        "digits-mlp",
        "synetune_plugin_digits_mlp.recipe:DigitsMLPRecipe",
        summary="648 MLP configs x 3 seeds x 27 epochs on digits: val_error, elapsed_time, n_params",
    )
