"""Aliases (Syne Tune's class names), case-insensitive lookup, alias clashes, the install hint of
an unknown name (known_names.json), and ``synetune plugins`` / ``synetune describe``."""

from __future__ import annotations

import importlib.util
import json
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

import synetune
from synetune import plugins, registry
from synetune.cli import cli
from synetune.registry import AmbiguousNameError, UnknownNameError
from synetune_sdk import hookimpl

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "gen_known_names", ROOT / "scripts/gen_known_names.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def in_process():
    """Register in-process plugins by (distribution) name; unregistered afterwards."""
    names = []

    def add(name, **schedulers):
        module = types.ModuleType(name.replace("-", "_"))

        @hookimpl
        def register_schedulers(register):
            for short, aliases in schedulers.items():
                register(short, lambda **kw: kw, summary=f"{short} of {name}", aliases=aliases)

        module.register_schedulers = register_schedulers
        plugins.register(module, name=name)
        names.append(name)

    yield add
    for name in names:
        plugins.unregister(name)


@pytest.mark.parametrize("spelling", ["asha", "ASHA", "Asha", "synetune-plugin-hyperband/Asha"])
def test_syne_tune_class_names_and_any_case_reach_the_in_repo_component(spelling):
    assert synetune.schedulers.entry(spelling).qualified_name == "synetune-plugin-hyperband/asha"
    assert spelling in synetune.schedulers


@pytest.mark.parametrize(
    "kind, alias, name",
    [
        ("schedulers", "RandomSearch", "random_search"),
        ("schedulers", "GridSearch", "grid_search"),
        ("schedulers", "FIFOScheduler", "fifo"),
        ("schedulers", "HyperbandScheduler", "hyperband"),
        ("schedulers", "BayesianOptimization", "bayesian_optimization"),
        ("schedulers", "ConstrainedBayesianOptimization", "constrained_bayesian_optimization"),
        ("schedulers", "MOBSTER", "mobster"),
        ("schedulers", "HyperTune", "hypertune"),
        ("schedulers", "DEHB", "dehb"),
        ("schedulers", "PASHA", "pasha"),
        ("schedulers", "SyncHyperband", "sync_hyperband"),
        ("schedulers", "SyncMOBSTER", "sync_mobster"),
        ("schedulers", "PopulationBasedTraining", "pbt"),
        ("schedulers", "MedianStoppingRule", "median_stopping_rule"),
        ("schedulers", "BoTorch", "botorch"),
        ("searchers", "RandomSearcher", "random"),
        ("searchers", "GPFIFOSearcher", "bayesopt"),
        ("backends", "LocalBackend", "local"),
        ("backends", "PythonBackend", "python"),
        ("backends", "SageMakerBackend", "sagemaker"),
        ("backends", "BlackboxRepositoryBackend", "simulator"),
        ("callbacks", "TensorboardCallback", "tensorboard"),
    ],
)
def test_in_repo_plugins_register_syne_tune_names(kind, alias, name):
    entry = registry.REGISTRIES[kind].entry(alias)
    assert entry.name == name and alias in entry.aliases
    assert registry.REGISTRIES[kind].entry(alias.upper()) is entry


def test_aliases_are_not_listed_as_names_but_are_suggested(in_process):
    in_process("acme-tuner", hill_climb=("HillClimber",))
    assert "hill_climb" in synetune.schedulers.names()
    assert "HillClimber" not in synetune.schedulers.names()
    assert synetune.schedulers.create("hillclimber", a=1) == {"a": 1}
    with pytest.raises(UnknownNameError, match="Did you mean 'HillClimber'"):
        synetune.schedulers.get("HillClimbr")
    with pytest.raises(UnknownNameError, match="Did you mean 'HyperbandScheduler'"):
        synetune.schedulers.get("HyperbandSchedulr")


def test_a_bad_alias_is_a_plugin_error(in_process, monkeypatch):
    monkeypatch.setenv("SYNETUNE_STRICT_PLUGINS", "1")
    with pytest.raises(plugins.PluginError, match="invalid scheduler name 'a/b'"):
        in_process("acme-bad", bad=("a/b",))
        synetune.schedulers.names()


def test_an_alias_clashing_with_a_third_party_name_follows_the_clash_rules(in_process):
    # a third party names its scheduler "ASHA": the in-repo alias wins, the other is qualified
    in_process("acme-asha", ASHA=())
    assert synetune.schedulers.entry("asha").plugin == "synetune-plugin-hyperband"
    assert synetune.schedulers.entry("acme-asha/ASHA").plugin == "acme-asha"
    assert "acme-asha/ASHA" in synetune.schedulers.names()
    clash = [c for c in plugins.clashes() if c["name"] == "asha"]
    assert clash == [
        {
            "kind": "schedulers",
            "name": "asha",
            "plugins": ["acme-asha", "synetune-plugin-hyperband"],
            "winner": "synetune-plugin-hyperband",
        }
    ]


def test_two_third_party_plugins_sharing_an_alias_are_ambiguous(in_process):
    in_process("acme-one", climb=("Climber",))
    in_process("acme-two", climber=())
    with pytest.raises(AmbiguousNameError, match="acme-one/climb"):
        synetune.schedulers.get("CLIMBER")
    assert synetune.schedulers.get("climb")(x=1) == {"x": 1}
    assert synetune.schedulers.create("acme-two/climber", y=2) == {"y": 2}


def test_known_names_table_is_up_to_date():
    expected = load_script().render()
    assert (ROOT / "kernel/src/synetune/known_names.json").read_text() == expected, (
        "run: python scripts/gen_known_names.py"
    )


@pytest.fixture
def uninstalled(monkeypatch):
    """Every distribution looks uninstalled to the install hint."""

    def missing(name):
        raise registry.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(registry.metadata, "distribution", missing)


def test_known_names_table_maps_names_and_aliases_to_uninstalled_distributions(uninstalled):
    assert registry.known_distribution("schedulers", "ASHA") == "synetune-plugin-hyperband"
    assert registry.known_distribution("schedulers", "mobster") == "synetune-plugin-gp"
    assert registry.known_distribution("backends", "SageMakerBackend") == (
        "synetune-plugin-sagemaker"
    )
    assert registry.known_distribution("schedulers", "no_such_thing") is None
    assert registry.known_distribution("searchers", "ASHA") is None


def test_an_installed_distribution_gets_no_install_hint():
    # installed but not loaded (disabled, or broken: the error says so) or loaded
    assert registry.known_distribution("schedulers", "asha") is None


@pytest.fixture
def no_plugins(monkeypatch):
    monkeypatch.setenv("SYNETUNE_LOAD_PLUGINS", "")
    plugins.reset()
    yield
    monkeypatch.delenv("SYNETUNE_LOAD_PLUGINS")
    plugins.reset()


def test_unknown_name_of_an_uninstalled_in_repo_plugin_names_its_distribution(
    no_plugins, uninstalled
):
    with pytest.raises(UnknownNameError, match=r"\(pip install synetune-plugin-hyperband\)"):
        synetune.schedulers.get("Asha")
    with pytest.raises(UnknownNameError, match=r"\(pip install synetune-plugin-sagemaker\)"):
        synetune.backends.get("synetune-plugin-sagemaker/SageMakerBackend")
    with pytest.raises(UnknownNameError, match=r"\(pip install synetune-plugin-<name>\)"):
        synetune.schedulers.get("quite_unknown")
    out = CliRunner().invoke(cli, ["describe", "SageMakerBackend"])
    assert out.exit_code != 0 and "unknown backend" in out.output
    assert "pip install synetune-plugin-sagemaker" in out.output


def test_unknown_name_of_an_installed_but_unloaded_plugin_gets_the_generic_hint(no_plugins):
    with pytest.raises(UnknownNameError, match=r"\(pip install synetune-plugin-<name>\)"):
        synetune.schedulers.get("asha")


def test_cli_plugins_lists_aliases():
    runner = CliRunner()
    out = runner.invoke(cli, ["plugins", "--kind", "schedulers"])
    assert out.exit_code == 0, out.output
    assert "asha (ASHA)" in out.output and "fifo (FIFOScheduler)" in out.output
    data = json.loads(runner.invoke(cli, ["plugins", "--json"]).output)
    by_name = {d["name"]: d for d in data}
    assert by_name["synetune-plugin-hyperband"]["aliases"]["schedulers"]["asha"] == ["ASHA"]
    assert "aliases" not in by_name["synetune-plugin-progress"]


def test_cli_describe_prints_summary_plugin_aliases_and_arguments():
    out = CliRunner().invoke(cli, ["describe", "ASHA"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "asha (scheduler): Asynchronous successive halving (ASHA)"
    assert "plugin:    synetune-plugin-hyperband" in lines
    assert "aliases:   ASHA" in lines
    assert "  type='stopping'" in lines and "  resource_attr" in lines and "  **kwargs" in lines
    # the factory forwards **kwargs: its docstring documents them
    assert "grace_period" in out.output


def test_cli_describe_needs_kind_for_a_name_of_two_kinds_and_explains_unknown_names():
    runner = CliRunner()
    out = runner.invoke(cli, ["describe", "hypertune"])
    assert out.exit_code != 0 and "pass --kind" in out.output
    out = runner.invoke(cli, ["describe", "hypertune", "--kind", "searchers"])
    assert out.exit_code == 0 and "hypertune (searcher)" in out.output
    assert "HyperTuneSearcher" in out.output
    out = runner.invoke(cli, ["describe", "LocalBackend"])
    assert out.exit_code == 0 and "local (backend)" in out.output and "  entry_point" in out.output
    out = runner.invoke(cli, ["describe", "hyprband"])
    assert out.exit_code != 0 and "Did you mean 'hyperband'" in out.output
