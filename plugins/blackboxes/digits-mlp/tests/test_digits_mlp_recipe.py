"""digits-mlp: real training (reduced size), resumable generation, and the shipped table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from synetune_plugin_blackbox_repository import read_blackbox
from synetune_plugin_digits_mlp import recipe as recipe_module
from synetune_plugin_digits_mlp.recipe import SHIPPED, SHIPPED_INFO, DigitsMLPRecipe
from synetune_plugin_digits_mlp.space import (
    MEASURED_OBJECTIVES,
    OBJECTIVES,
    config_space,
    grid,
    n_params,
)

import synetune
from synetune_sdk.testing import BlackboxRecipeContract


class TestDigitsMLPRecipe(BlackboxRecipeContract):
    def make_recipe(self):
        return DigitsMLPRecipe(size="small", num_epochs=2, num_seeds=1, workers=1)


def test_full_grid_is_large_and_mixed():
    space = config_space("full")
    assert len(grid(space)) == 648
    kinds = {type(domain).__name__ for domain in space.values()}
    assert kinds == {"FiniteRange", "Integer", "Categorical"}


def test_small_table_is_trained_for_real(tmp_path, capsys):
    DigitsMLPRecipe(size="small", num_epochs=3, num_seeds=2, workers=2).generate(tmp_path)
    assert "16/16 configurations" in capsys.readouterr().err  # the progress line
    assert not (tmp_path / "chunks").exists()
    blackbox = read_blackbox(tmp_path)
    assert len(blackbox) == 16 and blackbox.num_seeds == 2
    assert blackbox.fidelity_values() == [1, 2, 3]
    assert blackbox.objectives_names == OBJECTIVES
    curve = blackbox.objective_curve(blackbox.all_configurations()[0], seed=1)
    elapsed = curve[:, OBJECTIVES.index("elapsed_time")]
    assert all(a < b for a, b in zip(elapsed, elapsed[1:])) and elapsed[0] > 0
    errors = blackbox.objectives_evaluations[..., OBJECTIVES.index("val_error")]
    assert 0.0 <= errors.min() < 0.5 and errors.max() <= 1.0  # some configs learn
    # the two seeds differ
    assert not (
        blackbox.objectives_evaluations[:, 0] == blackbox.objectives_evaluations[:, 1]
    ).all()


def test_interrupted_generation_resumes_from_its_chunks(tmp_path, monkeypatch):
    from synetune_plugin_digits_mlp import training

    recipe = DigitsMLPRecipe(size="small", num_epochs=2, num_seeds=1, workers=1, chunk_size=4)
    calls = []
    original = training.train_chunk

    def flaky(chunk, seeds, num_epochs):
        calls.append(chunk[0][0])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(chunk, seeds, num_epochs)

    monkeypatch.setattr(training, "train_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        recipe.generate(tmp_path)
    assert len(list((tmp_path / "chunks").glob("chunk-*.parquet"))) == 2
    assert not (tmp_path / "metadata.json").exists()
    (tmp_path / "chunks" / "chunk-00001.parquet").write_bytes(b"torn")  # a torn checkpoint
    calls.clear()
    monkeypatch.setattr(
        training, "train_chunk", lambda *a: calls.append(a[0][0][0]) or original(*a)
    )
    recipe.generate(tmp_path)
    assert sorted(calls) == [4, 8, 12]  # chunk 0 was kept, the torn chunk 1 retrained
    assert len(read_blackbox(tmp_path)) == 16


def test_shipped_table_is_the_full_benchmark():
    info = json.loads(SHIPPED_INFO.read_text())
    assert SHIPPED.stat().st_size < 5_000_000
    assert info["settings"] == DigitsMLPRecipe().settings()
    assert info["rows"] == 648 * 3 * 27
    assert info["generation_seconds"] < 15 * 60


def test_default_recipe_copies_the_shipped_table(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    monkeypatch.setattr(DigitsMLPRecipe, "_train", lambda self, path: pytest.fail("must not train"))
    blackbox = synetune.blackboxes.load("digits-mlp")
    assert len(blackbox) == 648 and blackbox.num_seeds == 3
    assert blackbox.fidelity_values() == list(range(1, 28))
    assert blackbox.metadata["source"] == "shipped"
    best = blackbox.objectives_evaluations[..., 0].min()
    assert best < 0.05  # the best MLPs classify digits well
    shipped = pd.read_parquet(SHIPPED)
    assert set(shipped.columns) >= {"seed", "epoch", *MEASURED_OBJECTIVES}
    assert "n_params" not in shipped.columns  # derived when the blackbox is written


def test_tampered_shipped_table_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "evaluations.parquet"
    fake.write_bytes(SHIPPED.read_bytes()[:-5])
    monkeypatch.setattr(recipe_module, "SHIPPED", fake)
    with pytest.raises(ValueError, match="does not match its sha256"):
        DigitsMLPRecipe().generate(tmp_path / "out")


def test_bad_arguments():
    with pytest.raises(ValueError, match="size must be 'full' or 'small'"):
        DigitsMLPRecipe(size="huge")
    with pytest.raises(ValueError, match="at least 1"):
        DigitsMLPRecipe(num_epochs=0, size="small")


def test_n_params_counts_the_weights_of_the_trained_mlp():
    from synetune_plugin_digits_mlp.training import MLP

    for layers, units in [(1, 16), (2, 48), (2, 144)]:
        model = MLP([64] + [units] * layers + [10], "relu", np.random.default_rng(0))
        assert n_params(layers, units) == model.theta.size
    assert n_params(1, 16) == 64 * 16 + 16 + 16 * 10 + 10


def test_two_objective_trade_offs_at_the_last_epoch(tmp_path, monkeypatch):
    """val_error against elapsed_time or n_params: fronts of several configurations, and the
    n_params column is constant over epochs and seeds of a configuration."""
    from synetune_sdk.multiobjective import pareto_mask

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    blackbox = synetune.blackboxes.load("digits-mlp")
    assert blackbox.objectives_names == OBJECTIVES
    values = blackbox.objectives_evaluations  # (configs, seeds, epochs, objectives)
    size = values[..., OBJECTIVES.index("n_params")]
    assert (size == size[:, :1, :1]).all()
    configs = blackbox.all_configurations()
    expected = [n_params(c["num_layers"], c["num_units"]) for c in configs]
    assert size[:, 0, 0].tolist() == expected
    last = values[:, :, -1, :].mean(axis=1)  # mean over seeds at epoch 27
    error = last[:, OBJECTIVES.index("val_error")]
    for cost in ("elapsed_time", "n_params"):
        Y = np.column_stack([error, last[:, OBJECTIVES.index(cost)]])
        front = Y[pareto_mask(Y)]
        assert len(front) >= 4, cost  # a trade-off, not one configuration best at both
        assert front[:, 0].min() < 0.02 and front[:, 1].min() < np.median(Y[:, 1])
