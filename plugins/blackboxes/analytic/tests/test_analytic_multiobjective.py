"""Two-objective analytic problems: known values, true fronts, recipes and a simulated run."""

from __future__ import annotations

import math

import numpy as np
import pytest
from synetune_plugin_analytic.multiobjective import (
    PROBLEMS,
    evaluate,
    make_mo_blackbox,
    max_hypervolume,
    pareto_front,
    reference_point,
)
from synetune_plugin_analytic.recipes import DTLZ2Recipe, ZDT3Recipe

import synetune
from synetune_sdk.multiobjective import hypervolume, pareto_mask
from synetune_sdk.testing import BlackboxRecipeContract


class TestZDT3Recipe(BlackboxRecipeContract):
    def make_recipe(self):
        return ZDT3Recipe(dimension=3)


class TestDTLZ2Recipe(BlackboxRecipeContract):
    def make_recipe(self):
        return DTLZ2Recipe()


@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [
        # g = 1 on the front (x2.. = 0): f2 = 1 - sqrt(f1), 1 - f1**2
        ("zdt1", [0.25, 0.0, 0.0], (0.25, 0.5)),
        ("zdt2", [0.5, 0.0, 0.0, 0.0], (0.5, 0.75)),
        # g = 1 + 9 * 1 = 10 at x2.. = 1: f2 = 10 * (1 - sqrt(f1 / 10))
        ("zdt1", [0.4, 1.0, 1.0], (0.4, 10 * (1 - math.sqrt(0.04)))),
        ("zdt2", [0.0, 1.0, 1.0], (0.0, 10.0)),
        # zdt3 at f1 = 0.05: sin(pi / 2) = 1
        ("zdt3", [0.05, 0.0, 0.0], (0.05, 1 - math.sqrt(0.05) - 0.05)),
        # dtlz2: g = 0 at x2.. = 0.5, angle pi/4; g = 2 * 0.25 at x2.. in {0, 1}
        ("dtlz2", [0.5, 0.5, 0.5], (math.sqrt(0.5), math.sqrt(0.5))),
        ("dtlz2", [0.0, 0.0, 1.0], (1.5, 0.0)),
    ],
)
def test_objectives_at_known_points(name, x, expected):
    values = evaluate(name, x)
    assert (values["f1"], values["f2"]) == pytest.approx(expected, abs=1e-12)
    blackbox = make_mo_blackbox(name, dimension=len(x))
    result = blackbox({f"x{i + 1}": v for i, v in enumerate(x)})
    assert (result["f1"], result["f2"], result["elapsed_time"]) == pytest.approx((*expected, 1.0))


@pytest.mark.parametrize("name", PROBLEMS)
def test_true_front_is_non_dominated_and_attained(name):
    front = pareto_front(name, 500)
    assert front.shape == (500, 2)
    assert pareto_mask(front).all()
    # every front point is the value of an input with the optimal g (x2.. = 0, or 0.5 for dtlz2)
    x_rest = [0.5 if name == "dtlz2" else 0.0] * 4
    for f1, f2 in front[::25]:
        x1 = math.atan2(f2, f1) * 2 / math.pi if name == "dtlz2" else f1
        assert tuple(evaluate(name, [x1, *x_rest]).values()) == pytest.approx((f1, f2))
    # random inputs never dominate a front point
    rng = np.random.default_rng(0)
    for _ in range(200):
        other = evaluate(name, rng.uniform(size=5))
        both = np.vstack([front, [[other["f1"], other["f2"]]]])
        assert pareto_mask(both)[:-1].all()


@pytest.mark.parametrize("name", PROBLEMS)
def test_max_hypervolume_matches_dense_front(name):
    ref = reference_point(name)
    dense = hypervolume(pareto_front(name, 100_000), ref)
    assert dense <= max_hypervolume(name) + 1e-9
    assert dense == pytest.approx(max_hypervolume(name), abs=1e-3)
    # random inputs stay below it
    rng = np.random.default_rng(1)
    Y = np.array([list(evaluate(name, rng.uniform(size=4)).values()) for _ in range(200)])
    assert hypervolume(Y, ref) < max_hypervolume(name)


def test_zdt_reference_point_bounds_the_objective_space():
    for name in ("zdt1", "zdt2", "zdt3"):
        worst = evaluate(name, [0.0, 1.0, 1.0, 1.0])
        assert worst["f2"] < reference_point(name)[1]


def test_bad_dimension_and_name():
    with pytest.raises(ValueError, match="dimension must be between 2 and 30"):
        make_mo_blackbox("zdt1", dimension=1)
    with pytest.raises(ValueError, match="dimension must be an integer"):
        ZDT3Recipe(dimension="6")
    with pytest.raises(ValueError, match="unknown multi-objective problem 'zdt9'"):
        reference_point("zdt9")


def test_recipes_load_by_name_with_dimension(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    assert set(PROBLEMS) <= set(synetune.blackboxes.names())
    blackbox = synetune.blackboxes.load("zdt1", dimension=3)
    assert list(blackbox.configuration_space) == ["x1", "x2", "x3"]
    assert blackbox.objectives_names == ["f1", "f2", "elapsed_time"]
    assert blackbox.metadata["reference_point"] == [11.0, 11.0]
    assert blackbox.metadata["metric_mode"] == {"f1": "min", "f2": "min"}
    assert blackbox.metadata["max_hypervolume"] == pytest.approx(121 - 1 / 3)
    assert len(synetune.blackboxes.load("dtlz2").configuration_space) == 6


def test_simulated_random_search_over_two_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    blackbox = synetune.blackboxes.load("zdt2", dimension=4)
    tuner = synetune.Tuner(
        trial_backend=synetune.backends.create(
            "simulator", blackbox_name="zdt2", blackbox_kwargs={"dimension": 4}
        ),
        scheduler=synetune.schedulers.create(
            "random_search",
            config_space=blackbox.configuration_space,
            metric=["f1", "f2"],
            mode=["min", "min"],
            random_seed=3,
        ),
        stop_criterion=synetune.StoppingCriterion(max_num_trials_finished=30),
        n_workers=2,
        tuner_name="zdt2-sim",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    from synetune import load_experiment

    df = load_experiment(tuner.tuner_path).results
    assert len(df) >= 30 and {"f1", "f2"} <= set(df.columns)
    Y = df[["f1", "f2"]].to_numpy()
    for row in df.itertuples():  # the reported values are the function's
        x = [getattr(row, f"config_x{i}") for i in range(1, 5)]
        assert (row.f1, row.f2) == pytest.approx(tuple(evaluate("zdt2", x).values()))
    volume = hypervolume(Y, reference_point("zdt2"))
    assert 0 < volume < max_hypervolume("zdt2")
