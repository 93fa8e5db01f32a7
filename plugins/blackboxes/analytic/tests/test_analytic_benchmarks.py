"""The study runner's named benchmarks on the analytic recipes: registered by this plugin, and
each one's fields run as they say on the simulator (metric, fidelity, known optimum)."""

from __future__ import annotations

import pytest
from synetune_plugin_analytic import BENCHMARKS
from synetune_plugin_analytic.functions import BRANIN_MINIMUM, HARTMANN3_MINIMUM, HARTMANN6_MINIMUM

import synetune
from synetune.plugin_api import create, names

MINIMUM = {"branin": BRANIN_MINIMUM, "hartmann3": HARTMANN3_MINIMUM, "hartmann6": HARTMANN6_MINIMUM}


def test_benchmarks_are_registered_by_this_plugin():
    assert set(BENCHMARKS) <= set(names("benchmarks"))
    provides = {info.name: info.provides for info in synetune.plugins.list()}
    assert provides["synetune-plugin-analytic"]["benchmarks"] == sorted(BENCHMARKS)
    # every recipe of this plugin has its benchmark, under the recipe's name
    assert sorted(BENCHMARKS) == provides["synetune-plugin-analytic"]["blackboxes"]


def test_factory_returns_a_fresh_dict_with_overrides():
    zdt1 = create("benchmarks", "zdt1", max_num_trials=20)
    assert zdt1 == {"blackbox": "zdt1", "metric": ["f1", "f2"], "max_num_trials": 20}
    zdt1["metric"].append("elapsed_time")  # a caller's change stays its own
    assert create("benchmarks", "zdt1")["metric"] == ["f1", "f2"]
    assert create("benchmarks", "branin")["optimum"] == 0.397887


def run(fields: dict, num_trials: int = 6) -> synetune.ExperimentResult:
    """A short simulated random search on a benchmark, wired as the study runner wires it."""
    kwargs = fields.get("blackbox_kwargs", {})
    blackbox = synetune.blackboxes.load(fields["blackbox"], **kwargs)
    max_resource_attr = fields.get("max_resource_attr")
    space = (
        blackbox.configuration_space_with_max_resource_attr(max_resource_attr)
        if max_resource_attr
        else blackbox.configuration_space
    )
    tuner = synetune.Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox_name=fields["blackbox"],
            blackbox_kwargs=kwargs,
            max_resource_attr=max_resource_attr,
            elapsed_time_attr=fields.get("elapsed_time_attr", "elapsed_time"),
        ),
        scheduler=synetune.schedulers.create(
            "random_search",
            config_space=space,
            metric=fields["metric"],
            mode=fields.get("mode", "min"),
            random_seed=0,
        ),
        stop_criterion=synetune.StoppingCriterion(max_num_trials_finished=num_trials),
        n_workers=2,
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    return synetune.load_experiment(tuner.tuner_path)


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_benchmark_runs_on_the_simulator(name):
    fields = create("benchmarks", name)
    assert fields["blackbox"] == name
    results = run(fields).results
    assert results["trial_id"].nunique() >= 6
    metrics = [fields["metric"]] if isinstance(fields["metric"], str) else fields["metric"]
    assert results[metrics].notna().all().all()
    if fields.get("resource_attr"):  # finished trials ran up to max_resource_attr's epoch
        last = results.groupby("trial_id")[fields["resource_attr"]].max()
        assert (last == 81).sum() >= 6 and last.between(1, 81).all()
    if "optimum" in fields:  # the function's documented minimum: no result below it
        assert fields["optimum"] == pytest.approx(MINIMUM[name.removesuffix("-lc")], abs=1e-5)
        assert results[fields["metric"]].min() >= fields["optimum"] - 1e-5
