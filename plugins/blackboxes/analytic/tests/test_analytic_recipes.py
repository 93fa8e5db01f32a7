"""Analytic blackboxes: documented optima, the learning-curve form, recipes and the simulator."""

from __future__ import annotations

import math

import pytest
from synetune_plugin_analytic.functions import (
    BRANIN_MINIMIZERS,
    BRANIN_MINIMUM,
    HARTMANN3_MINIMIZER,
    HARTMANN3_MINIMUM,
    HARTMANN6_MINIMIZER,
    HARTMANN6_MINIMUM,
    make_blackbox,
)
from synetune_plugin_analytic.recipes import (
    BraninLearningCurveRecipe,
    BraninRecipe,
    Hartmann3Recipe,
    Hartmann6Recipe,
)

import synetune
from synetune_sdk.testing import BlackboxRecipeContract


class TestBraninRecipe(BlackboxRecipeContract):
    def make_recipe(self):
        return BraninRecipe()


class TestHartmann6Recipe(BlackboxRecipeContract):
    def make_recipe(self):
        return Hartmann6Recipe()


class TestBraninLearningCurveRecipe(BlackboxRecipeContract):
    def make_recipe(self):
        return BraninLearningCurveRecipe()


def test_branin_minimum_at_its_three_minimizers():
    blackbox = make_blackbox("branin")
    for x1, x2 in BRANIN_MINIMIZERS:
        assert blackbox({"x1": x1, "x2": x2})["y"] == pytest.approx(BRANIN_MINIMUM, abs=1e-5)
    assert blackbox({"x1": 0.0, "x2": 0.0})["y"] > BRANIN_MINIMUM + 1


@pytest.mark.parametrize(
    ("name", "minimizer", "minimum"),
    [
        ("hartmann3", HARTMANN3_MINIMIZER, HARTMANN3_MINIMUM),
        ("hartmann6", HARTMANN6_MINIMIZER, HARTMANN6_MINIMUM),
    ],
)
def test_hartmann_minimum(name, minimizer, minimum):
    blackbox = make_blackbox(name)
    config = {f"x{i + 1}": v for i, v in enumerate(minimizer)}
    assert blackbox(config)["y"] == pytest.approx(minimum, abs=1e-4)
    # nearby points are worse: it is a minimum
    for i in range(len(minimizer)):
        moved = dict(config, **{f"x{i + 1}": min(1.0, config[f"x{i + 1}"] + 0.05)})
        assert blackbox(moved)["y"] > minimum


def test_learning_curve_form():
    blackbox = make_blackbox("branin-lc")
    assert blackbox.fidelity_values() == list(range(1, 82))
    x1, x2 = BRANIN_MINIMIZERS[1]
    config = {"x1": x1, "x2": x2}
    curve = blackbox.objective_curve(config)
    values, elapsed = curve[:, 0], curve[:, 1]
    assert values[-1] == pytest.approx(BRANIN_MINIMUM, abs=1e-5)  # epoch 81 is the function
    assert all(a > b for a, b in zip(values, values[1:]))  # decreasing curve
    slope = 10 * (1 + (x1 + 5) / 15)
    assert values[0] == pytest.approx(BRANIN_MINIMUM + slope * (1 - 1 / 9), abs=1e-5)
    assert elapsed[9] == pytest.approx(10 * (0.5 + x2 / 15))  # cumulative cost of 10 epochs
    # curves cross: a flatter curve starts better but ends worse
    flat = blackbox.objective_curve({"x1": -math.pi, "x2": 12.0})[:, 0]
    steep = blackbox.objective_curve(config)[:, 0]
    assert flat[0] < steep[0] and flat[-1] > steep[-1]


def test_out_of_range_inputs_are_rejected():
    with pytest.raises(ValueError, match="'x1'=11"):
        make_blackbox("branin")({"x1": 11, "x2": 0.0})
    with pytest.raises(ValueError, match="epoch=82 is outside"):
        make_blackbox("branin-lc")({"x1": 0.0, "x2": 0.0}, fidelity=82)
    with pytest.raises(ValueError, match="unknown analytic function"):
        make_blackbox("rosenbrock")


def test_recipes_load_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    assert {"branin", "branin-lc", "hartmann3", "hartmann6"} <= set(synetune.blackboxes.names())
    blackbox = synetune.blackboxes.load("hartmann3")
    config = dict(zip(["x1", "x2", "x3"], HARTMANN3_MINIMIZER))
    assert blackbox(config)["y"] == pytest.approx(HARTMANN3_MINIMUM, abs=1e-4)
    assert blackbox.metadata["elapsed_time_attr"] == "elapsed_time"
    assert Hartmann3Recipe.citation and (tmp_path / "blackbox-repository").is_dir()


def test_simulated_tuning_on_the_learning_curves(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    blackbox = synetune.blackboxes.load("branin-lc")
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    tuner = synetune.Tuner(
        trial_backend=synetune.backends.create("simulator", blackbox_name="branin-lc"),
        scheduler=synetune.schedulers.create(
            "random_search", config_space=space, metric="y", mode="min", random_seed=1
        ),
        stop_criterion=synetune.StoppingCriterion(max_wallclock_time=2000),
        n_workers=4,
        tuner_name="branin-lc-sim",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    trial_id, metric, best = tuner.best_result()
    assert metric == "y" and math.isfinite(best)
    assert best >= BRANIN_MINIMUM
    assert tuner.tuning_status.num_trials_completed >= 10
