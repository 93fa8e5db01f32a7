"""The simulator with ``blackbox_name``: the blackbox comes from the repository, and only its
name is pickled with the tuner."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from synetune_plugin_blackbox_repository import write_tabular

import synetune
from synetune_sdk import hookimpl
from synetune_sdk.blackbox import BlackboxRecipe
from synetune_sdk.config_space import choice, randint

GENERATED: list[Path] = []


class CountingRecipe(BlackboxRecipe):
    name = "sim-counting"
    citation = ""

    def generate(self, path: Path) -> None:
        GENERATED.append(path)
        table = pd.DataFrame(
            [
                {"x": x, "seed": 0, "epoch": e, "loss": x / e, "time": float(e)}
                for x in (1, 2)
                for e in (1, 2, 3)
            ]
        )
        write_tabular(
            path,
            table,
            {"x": choice([1, 2])},
            ["loss", "time"],
            fidelity_space={"epoch": randint(1, 3)},
            elapsed_time_attr="time",
        )


class RecipePlugin:
    @hookimpl
    def register_blackbox_recipes(self, register):
        register("sim-counting", CountingRecipe)


@pytest.fixture(autouse=True)
def recipes(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    GENERATED.clear()
    synetune.plugins.register(RecipePlugin(), name="test-sim-recipes")
    yield
    synetune.plugins.unregister("test-sim-recipes")


def test_simulator_backend_loads_by_name_and_pickles_only_the_name(tmp_path):
    import dill

    backend = synetune.backends.create("simulator", blackbox_name="sim-counting")
    assert backend.elapsed_time_attr == "time"  # taken from the blackbox's metadata
    clone = dill.loads(dill.dumps(backend))
    assert clone._blackbox is None
    clone.set_path(tmp_path)
    trial = clone.start_trial({"x": 2})
    clone.wait(1.0)
    _, results = clone.fetch_status_results([trial.trial_id])
    assert results[0][1]["loss"] == 2.0
    assert len(GENERATED) == 1  # loaded from the cache, not regenerated
