"""The register_benchmarks hook: named benchmark definitions, looked up like any component."""

from __future__ import annotations

import types

import pytest

from synetune import plugins
from synetune.plugin_api import UnknownNameError, create, names
from synetune_sdk import hookimpl


@pytest.fixture
def benchmark_plugin():
    module = types.ModuleType("inproc_benchmarks")

    @hookimpl
    def register_benchmarks(register):
        register(
            "toy-quadratic",
            lambda **overrides: {"script": "train.py", "metric": "loss", **overrides},
            summary="a toy benchmark",
        )

    module.register_benchmarks = register_benchmarks
    plugins.register(module, name="inproc_benchmarks")
    yield module
    plugins.unregister("inproc_benchmarks")


def test_registered_benchmark_is_listed_and_created(benchmark_plugin):
    assert "toy-quadratic" in names("benchmarks")
    assert create("benchmarks", "toy-quadratic", mode="max") == {
        "script": "train.py",
        "metric": "loss",
        "mode": "max",
    }
    listing = {info.name: info for info in plugins.list()}
    assert listing["inproc_benchmarks"].provides == {"benchmarks": ["toy-quadratic"]}
    assert listing["inproc_benchmarks"].hooks == ["register_benchmarks"]


def test_unknown_benchmark_suggests_close_names(benchmark_plugin):
    with pytest.raises(UnknownNameError, match="Did you mean 'toy-quadratic'"):
        create("benchmarks", "toy-quadratik")


def test_a_failing_benchmark_hook_is_contained(monkeypatch):
    monkeypatch.delenv("SYNETUNE_STRICT_PLUGINS", raising=False)
    module = types.ModuleType("broken_benchmarks")

    @hookimpl
    def register_benchmarks(register):
        raise RuntimeError("no benchmarks today")

    module.register_benchmarks = register_benchmarks
    plugins.register(module, name="broken_benchmarks")
    try:
        assert "toy-quadratic" not in names("benchmarks")
        errors = plugins.errors()
        assert (
            "register_benchmarks raised RuntimeError: no benchmarks today"
            in errors["broken_benchmarks"]
        )
    finally:
        plugins.unregister("broken_benchmarks")
