"""synetune-plugin-mlp-tasks: one MLP configuration space, learning curves on several tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synetune_sdk import hookimpl

# The study runner's named benchmarks (synetune-plugin-study), one per task, as plain dicts of
# its Benchmark fields so this plugin needs no study import. Default stop: simulated seconds
# worth about 64 full trainings (16 x the task's mean time to epoch 27 with 4 workers), half the
# 128-point grid. No optimum: the report measures regret from the best value any run found.
TASK_BUDGETS = {
    "digits": 60.0,
    "breast_cancer": 20.0,
    "wine": 6.0,
    "iris": 6.0,
    "synthetic-easy": 10.0,
    "synthetic-medium": 8.0,
    "synthetic-hard": 8.0,
}


def benchmark(task: str, **overrides: Any) -> dict[str, Any]:
    """The Benchmark fields of ``mlp-tasks-<task>``: the simulator picks the task by
    ``dataset``."""
    return {
        "blackbox": "mlp-tasks",
        "dataset": task,
        "metric": "val_error",
        "resource_attr": "epoch",
        "max_resource_attr": "epochs",
        "max_wallclock_time": TASK_BUDGETS[task],
        **overrides,
    }


@hookimpl
def register_blackbox_recipes(register):
    register(
        "mlp-tasks",
        "synetune_plugin_mlp_tasks.recipe:MLPTasksRecipe",
        summary="128 MLP configs x 3 seeds x 27 epochs on 7 classification tasks (transfer tuning)",
    )


def _factory(task: str) -> Callable[..., dict[str, Any]]:
    return lambda **overrides: benchmark(task, **overrides)


@hookimpl
def register_benchmarks(register):
    for task, budget in TASK_BUDGETS.items():
        register(
            f"mlp-tasks-{task}",
            _factory(task),
            summary=f"MLP learning curves on {task} (epoch 1..27) on the simulator, "
            f"{budget:g} simulated s",
        )
