"""The study runner's named benchmarks on mlp-tasks, one per task: registered by this plugin,
and each one's fields fit the task they pick (metric, fidelity, time objective, budget)."""

from __future__ import annotations

import numpy as np
import pytest
from synetune_plugin_mlp_tasks import TASK_BUDGETS
from synetune_plugin_mlp_tasks.space import TASKS

import synetune
from synetune.plugin_api import create, names


def test_every_task_has_a_benchmark_registered_by_this_plugin():
    expected = sorted(f"mlp-tasks-{task}" for task in TASKS)
    assert set(expected) <= set(names("benchmarks"))
    provides = {info.name: info.provides for info in synetune.plugins.list()}
    assert provides["synetune-plugin-mlp-tasks"]["benchmarks"] == expected
    iris = create("benchmarks", "mlp-tasks-iris", max_wallclock_time=2.0)
    assert (iris["blackbox"], iris["dataset"], iris["max_wallclock_time"]) == (
        "mlp-tasks",
        "iris",
        2.0,
    )
    assert "blackbox_kwargs" not in iris  # the task goes to the simulator as its dataset


@pytest.fixture(scope="module")
def tasks():
    return synetune.blackboxes.load("mlp-tasks")


@pytest.mark.parametrize("task", TASKS)
def test_benchmark_fits_its_task(task, tasks):
    fields = create("benchmarks", f"mlp-tasks-{task}")
    blackbox = synetune.blackboxes.load(fields["blackbox"], task=fields["dataset"])
    # the table of that task, not the dict of all tasks
    assert np.array_equal(
        blackbox.objectives_evaluations, tasks[task].objectives_evaluations, equal_nan=True
    )
    objectives = blackbox.objectives_names
    assert fields["metric"] in objectives
    assert fields.get("elapsed_time_attr", "elapsed_time") in objectives  # the study's default
    assert list(blackbox.fidelity_space) == [fields["resource_attr"]]
    space = blackbox.configuration_space_with_max_resource_attr(fields["max_resource_attr"])
    assert space[fields["max_resource_attr"]] == 27
    # the budget is worth about 64 full trainings on the default 4 workers (half the grid)
    elapsed = blackbox.objectives_evaluations[:, :, -1, objectives.index("elapsed_time")]
    assert 12 <= fields["max_wallclock_time"] / elapsed.mean() <= 20
    assert fields["max_wallclock_time"] == TASK_BUDGETS[task]
