"""synetune-plugin-mlp-tasks: one MLP configuration space, learning curves on several tasks."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_blackbox_recipes(register):
    register(
        "mlp-tasks",
        "synetune_plugin_mlp_tasks.recipe:MLPTasksRecipe",
        summary="128 MLP configs x 3 seeds x 27 epochs on 7 classification tasks (transfer tuning)",
    )
