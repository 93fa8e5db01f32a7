"""The local blackbox repository behind synetune.blackboxes.load: generate once, then load
from the cache; regenerate corrupted folders; never leave a failed recipe looking complete."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from synetune_plugin_blackbox_repository import cache_path, repository_root, write_tabular

import synetune
from synetune_sdk import hookimpl
from synetune_sdk.blackbox import BlackboxRecipe
from synetune_sdk.config_space import choice, randint

GENERATED: list[dict] = []


def small_table(scale: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"x": x, "seed": 0, "epoch": e, "loss": scale * x / e, "time": float(e)}
            for x in (1, 2)
            for e in (1, 2, 3)
        ]
    )


class CountingRecipe(BlackboxRecipe):
    name = "counting"
    citation = "a test recipe"
    version = "1"

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def generate(self, path: Path) -> None:
        GENERATED.append({"path": path, "scale": self.scale})
        write_tabular(
            path,
            small_table(self.scale),
            {"x": choice([1, 2])},
            ["loss", "time"],
            fidelity_space={"epoch": randint(1, 3)},
            elapsed_time_attr="time",
        )


class FailingRecipe(BlackboxRecipe):
    name = "failing"
    citation = ""

    def generate(self, path: Path) -> None:
        (path / "evaluations.parquet").write_bytes(b"half a file")
        raise RuntimeError("the recipe broke halfway")


class ResumableRecipe(BlackboxRecipe):
    """Fails on its first run after checkpointing; the second run finds the checkpoint."""

    name = "resumable"
    citation = ""
    resumable = True

    def generate(self, path: Path) -> None:
        checkpoint = path / "step1.done"
        if not checkpoint.exists():
            checkpoint.write_text("done")
            raise KeyboardInterrupt  # interrupted by the user
        GENERATED.append({"path": path, "resumed": True})
        CountingRecipe().generate(path)


class NoMetadataRecipe(BlackboxRecipe):
    name = "no-metadata"
    citation = ""

    def generate(self, path: Path) -> None:
        (path / "data.txt").write_text("not a blackbox")


class RecipePlugin:
    @hookimpl
    def register_blackbox_recipes(self, register):
        register("counting", CountingRecipe, summary="counts its generations")
        register("failing", FailingRecipe)
        register("resumable", ResumableRecipe)
        register("no-metadata", NoMetadataRecipe)


@pytest.fixture(autouse=True)
def repository(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    GENERATED.clear()
    synetune.plugins.register(RecipePlugin(), name="test-recipes")
    yield tmp_path / "blackbox-repository"
    synetune.plugins.unregister("test-recipes")


def test_load_generates_once_then_reads_the_cache(repository):
    first = synetune.blackboxes.load("counting")
    assert len(GENERATED) == 1
    second = synetune.blackboxes.load("counting")
    assert len(GENERATED) == 1
    assert first({"x": 2}, 1) == second({"x": 2}, 1) == {"loss": 2.0, "time": 1.0}
    folder = cache_path("counting")
    assert folder.parent == repository == repository_root()
    assert folder.name.startswith("counting-")
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["recipe"] == "CountingRecipe" and metadata["citation"] == "a test recipe"
    assert metadata["configuration_space"]["x"]["domain_cls"] == "Categorical"
    assert not folder.with_name(folder.name + ".partial").exists()


def test_recipe_arguments_get_their_own_cache_folder():
    a = synetune.blackboxes.load("counting")
    b = synetune.blackboxes.load("counting", scale=10.0)
    assert len(GENERATED) == 2
    assert cache_path("counting") != cache_path("counting", scale=10.0)
    assert b({"x": 1}, 1)["loss"] == 10 * a({"x": 1}, 1)["loss"]


def test_corrupted_cache_is_regenerated_not_used():
    synetune.blackboxes.load("counting")
    data = cache_path("counting") / "evaluations.parquet"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    blackbox = synetune.blackboxes.load("counting")
    assert len(GENERATED) == 2
    assert blackbox({"x": 1}, 3)["loss"] == pytest.approx(1 / 3)


def test_half_written_cache_without_metadata_is_regenerated():
    synetune.blackboxes.load("counting")
    (cache_path("counting") / "metadata.json").unlink()
    synetune.blackboxes.load("counting")
    assert len(GENERATED) == 2


def test_failing_recipe_leaves_nothing_that_looks_complete(repository):
    with pytest.raises(RuntimeError, match="broke halfway"):
        synetune.blackboxes.load("failing")
    folder = cache_path("failing")
    assert not folder.exists()
    assert not folder.with_name(folder.name + ".partial").exists()
    assert not [p for p in repository.iterdir() if p.name.startswith("failing")]


def test_recipe_that_writes_no_blackbox_is_rejected():
    with pytest.raises(ValueError, match="has no metadata.json"):
        synetune.blackboxes.load("no-metadata")
    assert not cache_path("no-metadata").exists()


def test_interrupted_resumable_recipe_continues_from_its_partial_folder():
    with pytest.raises(KeyboardInterrupt):
        synetune.blackboxes.load("resumable")
    folder = cache_path("resumable")
    partial = folder.with_name(folder.name + ".partial")
    assert not folder.exists() and (partial / "step1.done").exists()
    blackbox = synetune.blackboxes.load("resumable")
    assert GENERATED[0]["resumed"] and blackbox({"x": 1}, 1)["loss"] == 1.0
    assert folder.exists() and not partial.exists()


def test_generate_with_force_rebuilds():
    path = synetune.blackboxes.generate("counting")
    again = synetune.blackboxes.generate("counting", force=True)
    assert path == again and len(GENERATED) == 2


def test_unknown_recipe_and_bad_arguments_are_clear_errors():
    with pytest.raises(KeyError, match="unknown blackbox recipe 'countin'.*'counting'"):
        synetune.blackboxes.load("countin")
    with pytest.raises(TypeError, match="rejected the arguments"):
        synetune.blackboxes.load("counting", nope=1)
