"""The study runner's named benchmark on digits-mlp: registered by this plugin, and its fields
fit the blackbox they name (metric, fidelity, time objective, a budget that finishes trials)."""

from __future__ import annotations

from synetune_plugin_digits_mlp import BENCHMARK

import synetune
from synetune.plugin_api import create, names


def test_benchmark_is_registered_by_this_plugin():
    assert "digits-mlp" in names("benchmarks")
    provides = {info.name: info.provides for info in synetune.plugins.list()}
    assert provides["synetune-plugin-digits-mlp"]["benchmarks"] == ["digits-mlp"]
    fields = create("benchmarks", "digits-mlp", n_workers=2)
    assert fields == {**BENCHMARK, "n_workers": 2}
    fields["blackbox"] = "changed"  # a caller's change stays its own
    assert create("benchmarks", "digits-mlp")["blackbox"] == "digits-mlp"


def test_benchmark_fits_its_blackbox():
    fields = create("benchmarks", "digits-mlp")
    blackbox = synetune.blackboxes.load(fields["blackbox"], **fields.get("blackbox_kwargs", {}))
    objectives = blackbox.objectives_names
    assert fields["metric"] in objectives
    assert fields.get("elapsed_time_attr", "elapsed_time") in objectives  # the study's default
    assert list(blackbox.fidelity_space) == [fields["resource_attr"]]
    space = blackbox.configuration_space_with_max_resource_attr(fields["max_resource_attr"])
    assert space[fields["max_resource_attr"]] == 27  # trials run to the last epoch
    # the default budget (simulated seconds) lets even the slowest configuration finish
    elapsed = blackbox.objectives_evaluations[:, :, -1, objectives.index("elapsed_time")]
    assert elapsed.max() < fields["max_wallclock_time"]
