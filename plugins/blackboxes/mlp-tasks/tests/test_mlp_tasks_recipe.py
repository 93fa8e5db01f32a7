"""mlp-tasks: real training on several tasks (reduced size), resumable generation, the shipped
table, and its use as transfer-learning evaluations."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synetune_plugin_blackbox_repository import read_blackbox
from synetune_plugin_mlp_tasks import recipe as recipe_module
from synetune_plugin_mlp_tasks.recipe import SHIPPED_INFO, MLPTasksRecipe, shipped_file
from synetune_plugin_mlp_tasks.space import OBJECTIVES, TASKS, config_space, grid, load_task

import synetune
from synetune_sdk.testing import BlackboxRecipeContract
from synetune_sdk.transfer import from_blackboxes

SMALL_TASKS = ["iris", "wine", "synthetic-easy"]


class TestMLPTasksRecipe(BlackboxRecipeContract):
    def make_recipe(self):
        return MLPTasksRecipe(size="small", tasks=["iris"], num_epochs=2, workers=1)


def test_the_space_is_digits_mlps_hyperparameters_on_a_coarser_grid():
    space = config_space("full")
    assert list(space) == [
        "learning_rate_init",
        "alpha",
        "batch_size",
        "num_layers",
        "num_units",
        "activation",
    ]
    assert len(grid(space)) == 128
    assert (space["learning_rate_init"].lower, space["learning_rate_init"].upper) == (1e-4, 1e-1)
    assert (space["batch_size"].values, space["num_units"].values) == ([32, 512], [16, 144])
    assert len(TASKS) >= 6


def test_tasks_are_graded_and_scaled():
    sizes = {}
    for task in TASKS:
        X, y = load_task(task)
        assert X.min() >= 0.0 and X.max() <= 1.0 and len(X) == len(y)
        sizes[task] = (X.shape[1], int(y.max()) + 1)
    assert sizes["digits"] == (64, 10) and sizes["iris"] == (4, 3)
    with pytest.raises(ValueError, match="unknown task 'mnist'"):
        load_task("mnist")


def test_small_table_is_trained_for_real_on_every_task(tmp_path):
    MLPTasksRecipe(size="small", tasks=SMALL_TASKS, num_epochs=3, num_seeds=2, workers=2).generate(
        tmp_path
    )
    assert not (tmp_path / "chunks").exists()
    blackboxes = read_blackbox(tmp_path)
    assert sorted(blackboxes) == sorted(SMALL_TASKS)
    for blackbox in blackboxes.values():
        assert len(blackbox) == 8 and blackbox.num_seeds == 2
        assert blackbox.fidelity_values() == [1, 2, 3]
        curve = blackbox.objective_curve(blackbox.all_configurations()[0], seed=1)
        elapsed = curve[:, OBJECTIVES.index("elapsed_time")]
        assert all(a < b for a, b in zip(elapsed, elapsed[1:])) and elapsed[0] > 0
    errors = {t: b.objectives_evaluations[..., 0] for t, b in blackboxes.items()}
    assert errors["synthetic-easy"].min() < 0.2  # some configurations learn
    assert not np.array_equal(errors["iris"], errors["wine"])  # different tasks
    evals = from_blackboxes(blackboxes, objectives=["val_error"])
    assert evals["iris"].objectives_evaluations.shape == (8, 2, 3, 1)
    assert evals["iris"].top_k_hyperparameter_configurations(1, "min", "val_error")


def test_interrupted_generation_resumes_from_its_chunks(tmp_path, monkeypatch):
    from synetune_plugin_mlp_tasks import training

    recipe = MLPTasksRecipe(
        size="small", tasks=["iris", "wine"], num_epochs=2, workers=1, chunk_size=4
    )
    calls = []
    original = training.train_chunk

    def flaky(task, chunk, seeds, num_epochs):
        calls.append((task, chunk[0][0]))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(task, chunk, seeds, num_epochs)

    monkeypatch.setattr(training, "train_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        recipe.generate(tmp_path)
    assert len(list((tmp_path / "chunks").glob("*.parquet"))) == 2
    assert not (tmp_path / "metadata.json").exists()
    (tmp_path / "chunks" / "iris-00001.parquet").write_bytes(b"torn")
    calls.clear()
    monkeypatch.setattr(
        training, "train_chunk", lambda *a: calls.append((a[0], a[1][0][0])) or original(*a)
    )
    recipe.generate(tmp_path)
    # iris chunk 0 was kept, the torn iris chunk 1 retrained, wine trained
    assert sorted(calls) == [("iris", 4), ("wine", 0), ("wine", 4)]
    assert len(read_blackbox(tmp_path)["wine"]) == 8


shipped = pytest.mark.skipif(
    not SHIPPED_INFO.exists(), reason="the shipped table is not generated in this checkout"
)


@shipped
def test_shipped_table_is_the_full_benchmark():
    info = json.loads(SHIPPED_INFO.read_text())
    assert info["settings"] == MLPTasksRecipe().settings()
    assert info["rows"] == {task: 128 * 3 * 27 for task in TASKS}
    assert sum(shipped_file(t).stat().st_size for t in TASKS) < 3_000_000


@shipped
def test_default_recipe_copies_the_shipped_table(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    monkeypatch.setattr(MLPTasksRecipe, "train", lambda self, path: pytest.fail("must not train"))
    blackboxes = synetune.blackboxes.load("mlp-tasks")
    assert sorted(blackboxes) == sorted(TASKS)
    for blackbox in blackboxes.values():
        assert len(blackbox) == 128 and blackbox.num_seeds == 3
        assert blackbox.fidelity_values() == list(range(1, 28))
    best = {
        t: b.objectives_evaluations[..., 0].mean(axis=1)[:, -1].min() for t, b in blackboxes.items()
    }
    assert best["iris"] < 0.1 and best["digits"] < 0.1
    assert best["synthetic-hard"] > best["synthetic-easy"]  # graded difficulty


@shipped
def test_tampered_shipped_table_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "data"
    fake.mkdir()
    for task in TASKS:
        (fake / shipped_file(task).name).write_bytes(shipped_file(task).read_bytes())
    (fake / "generation.json").write_text(SHIPPED_INFO.read_text())
    (fake / shipped_file("iris").name).write_bytes(b"tampered")
    monkeypatch.setattr(recipe_module, "DATA", fake)
    monkeypatch.setattr(recipe_module, "SHIPPED_INFO", fake / "generation.json")
    with pytest.raises(ValueError, match="does not match its sha256"):
        MLPTasksRecipe().generate(tmp_path / "out")


def test_bad_arguments():
    with pytest.raises(ValueError, match="size must be 'full' or 'small'"):
        MLPTasksRecipe(size="huge")
    with pytest.raises(ValueError, match="unknown tasks \\['mnist'\\]"):
        MLPTasksRecipe(tasks=["mnist"])
    with pytest.raises(ValueError, match="at least 1"):
        MLPTasksRecipe(size="small", num_epochs=0)
