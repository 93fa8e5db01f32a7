"""Behaviour of the kde searcher and the BOHB schedulers: quality, the KDE model, fitting per
resource level, bad input and end-to-end runs."""

from __future__ import annotations

import collections
import logging
import math

import numpy as np
import pytest
from synetune_plugin_kde.model import KDE, make_variables
from synetune_plugin_kde.searcher import KernelDensityEstimator

import synetune
from synetune_sdk.config_space import choice, randint, sample_config, uniform
from synetune_sdk.encoding import ConfigEncoder
from synetune_sdk.testing import drive_scheduler

BRANIN_MIN = 0.397887357729738
BRANIN_SPACE = {"x1": uniform(-5.0, 10.0), "x2": uniform(0.0, 15.0)}


def branin(config):
    x1, x2 = config["x1"], config["x2"]
    return (
        (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1)
        + 10
    )


def run_sequential(searcher, objective, n, metric="y"):
    """Suggest and evaluate ``n`` configurations one after another; the best value seen."""
    best = math.inf
    for trial_id in range(n):
        config = searcher.suggest(trial_id)
        searcher.register_pending(trial_id, config)
        value = objective(config)
        best = min(best, value)
        searcher.on_trial_complete(trial_id, config, {metric: value})
    return best


def test_kde_beats_random_search_on_branin():
    kde, rs = [], []
    for seed in range(5):
        searcher = KernelDensityEstimator(
            BRANIN_SPACE, "y", random_seed=seed, points_to_evaluate=[]
        )
        kde.append(run_sequential(searcher, branin, 50) - BRANIN_MIN)
        rng = np.random.default_rng(seed)
        rs.append(min(branin(sample_config(BRANIN_SPACE, rng)) for _ in range(50)) - BRANIN_MIN)
    # a sign test: 4 or more wins out of 5 has probability 6/32 if both were equally good, and
    # the median regret must be well below random search's
    assert sum(k < r for k, r in zip(kde, rs)) >= 4, (kde, rs)
    assert np.median(kde) < 0.5 * np.median(rs), (kde, rs)


def test_same_seed_same_suggestions_other_seed_other_ones():
    def configs(seed):
        searcher = KernelDensityEstimator(BRANIN_SPACE, "y", random_seed=seed)
        out = []
        for trial_id in range(30):
            config = searcher.suggest(trial_id)
            out.append(config)
            searcher.on_trial_complete(trial_id, config, {"y": branin(config)})
        return out

    assert configs(4) == configs(4)
    assert configs(4) != configs(5)


def test_normal_reference_bandwidths_and_a_normalised_density():
    encoder = ConfigEncoder({"x": uniform(0, 1), "c": choice(["a", "b", "c"])})
    variables = make_variables(encoder)
    assert [v.categorical for v in variables] == [False, True]
    F = np.array([[0.2, 0], [0.4, 0], [0.9, 2], [0.5, 1]])
    kde = KDE(variables, F, min_bandwidth=1e-3)
    factor = 1.06 * 4 ** (-1 / 6)  # normal reference rule, n = 4, k = 2
    assert kde.bandwidth[0] == pytest.approx(factor * np.std(F[:, 0]))
    assert kde.bandwidth[1] == pytest.approx(factor * np.std(F[:, 1] / 3))
    xs = np.linspace(-3.0, 4.0, 14001)  # Gaussian kernels are not truncated
    total = 0.0
    for c in range(3):
        density = np.exp(kde.log_pdf(np.stack([xs, np.full_like(xs, c)], axis=1)))
        total += np.sum((density[1:] + density[:-1]) / 2 * np.diff(xs))
    assert total == pytest.approx(1.0, abs=1e-4)
    # identical observations: the bandwidths fall to min_bandwidth, categories stay below
    # the uniform kernel's (c - 1) / c
    flat = KDE(variables, np.array([[0.5, 1.0]] * 3), min_bandwidth=0.8)
    assert flat.bandwidth[0] == 0.8 and flat.bandwidth[1] == pytest.approx(2 / 3)


def test_model_proposes_near_the_good_observations():
    searcher = KernelDensityEstimator(
        {"x": uniform(0, 1)}, "y", random_seed=0, random_fraction=0.0, points_to_evaluate=[]
    )
    rng = np.random.default_rng(0)
    for trial_id, x in enumerate(rng.uniform(size=30)):
        searcher.on_trial_complete(trial_id, {"x": float(x)}, {"y": (x - 0.7) ** 2})
    proposals = [searcher.suggest(100 + i)["x"] for i in range(10)]
    assert all(abs(x - 0.7) < 0.15 for x in proposals), proposals


def test_categories_are_one_variable_and_the_best_one_is_found():
    space = {"x": uniform(0.0, 1.0), "c": choice(["a", "b", "c", "d", "e"])}
    picks = []
    for seed in range(3):
        searcher = KernelDensityEstimator(space, "y", random_seed=seed, points_to_evaluate=[])
        for trial_id in range(50):
            config = searcher.suggest(trial_id)
            if trial_id >= 30:
                picks.append(config["c"])
            value = (config["x"] - 0.3) ** 2 + (config["c"] != "c")
            searcher.on_trial_complete(trial_id, config, {"y": value})
    # random search picks "c" 12 times in 60 on average (standard deviation 3.1)
    assert picks.count("c") >= 25, picks


def test_multi_fidelity_fits_on_the_largest_level_with_enough_data():
    class Hyperband:
        resource_attr, max_t, rung_levels = "epoch", 9, [1, 3]

    searcher = KernelDensityEstimator({"x": uniform(0, 1)}, "y", random_seed=0)
    assert searcher.min_bandwidth == 1e-3
    searcher.configure_scheduler(Hyperband())
    assert searcher.multi_fidelity and searcher.min_bandwidth == 0.1  # Syne Tune's MF default
    rng = np.random.default_rng(1)
    for trial_id, x in enumerate(rng.uniform(size=20)):
        searcher.on_trial_result(trial_id, {"x": x}, {"y": x, "epoch": 1}, update=True)
    for trial_id in range(3):
        searcher.on_trial_result(trial_id, {"x": 0.5}, {"y": 0.5, "epoch": 3}, update=True)
    good, bad = searcher.fit()
    assert searcher._fit_level == 1 and len(good.data) + len(bad.data) == 20
    for trial_id in range(3, 16):
        searcher.on_trial_result(trial_id, {"x": 0.1}, {"y": 0.1, "epoch": 3}, update=True)
    good, bad = searcher.fit()
    assert searcher._fit_level == 3 and len(good.data) + len(bad.data) == 16
    searcher.remove_case(3, epoch=3)
    assert (3, 3) not in searcher._data and (3, 1) in searcher._data


def test_conditional_space_and_bad_arguments_say_what_to_fix():
    with pytest.raises(ValueError, match="conditional or nested"):
        KernelDensityEstimator({"opt": {"adam": {"lr": uniform(0, 1)}}}, "y")
    with pytest.raises(ValueError, match="conditional or nested"):
        KernelDensityEstimator({"lr": lambda config: 0.1}, "y")
    for bad in (
        {"num_candidates": 0},
        {"top_n_percent": 150},
        {"random_fraction": -0.1},
        {"min_bandwidth": 0.0},
        {"num_min_data_points": 0},
        {"bandwidth_factor": "3"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            KernelDensityEstimator({"x": uniform(0, 1)}, "y", **bad)
    with pytest.raises(ValueError, match="searcher='kde'"):
        synetune.schedulers.create(
            "bohb",
            config_space={"x": uniform(0, 1), "epochs": 9},
            metric="y",
            resource_attr="epoch",
            max_resource_attr="epochs",
            searcher="random",
        )


def test_empty_space_suggests_its_configuration_once(caplog):
    with caplog.at_level(logging.WARNING):
        searcher = KernelDensityEstimator({"epochs": 3}, "y")
    assert "no hyperparameter" in caplog.text
    assert searcher.suggest(0) == {"epochs": 3}
    assert searcher.suggest(1) is None


def test_nan_results_and_single_observations_fall_back_to_random(caplog):
    searcher = KernelDensityEstimator(BRANIN_SPACE, "y", random_seed=0)
    with caplog.at_level(logging.WARNING):
        for trial_id in range(12):
            config = searcher.suggest(trial_id)
            assert config is not None
            searcher.on_trial_complete(trial_id, config, {"y": float("nan")})
    assert "finite value of 'y'" in caplog.text and searcher.dataset_size() == 0
    searcher.on_trial_complete(12, {"x1": 0.0, "x2": 0.0}, {"y": 1.0})
    with caplog.at_level(logging.DEBUG, logger="synetune_plugin_kde.searcher"):
        assert searcher.suggest(13) is not None
    assert "too few for the good and the bad KDE" in caplog.text


def test_finite_space_is_exhausted_without_duplicates():
    searcher = KernelDensityEstimator(
        {"n": randint(1, 4), "c": choice(["a", "b"])}, "y", random_seed=0, top_n_percent=40
    )
    seen = []
    for trial_id in range(10):
        config = searcher.suggest(trial_id)
        if config is None:
            break
        seen.append((config["n"], config["c"]))
        searcher.on_trial_complete(trial_id, config, {"y": config["n"]})
    assert len(seen) == 8 and len(set(seen)) == 8


@pytest.mark.parametrize("name", ["bohb", "sync_bohb"])
def test_bohb_runs_on_the_simulator(tmp_path, monkeypatch, name):
    from synetune_plugin_blackbox_repository import from_function

    from synetune import StoppingCriterion, Tuner

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))

    def evaluate(config, epoch, seed):
        x = config["x"]
        return {"loss": (x - 0.3) ** 2 + 1.0 / epoch, "time": epoch * (1.0 + x)}

    blackbox = from_function(
        {"x": uniform(0.0, 1.0)}, evaluate, {"epoch": randint(1, 9)}, ["loss", "time"]
    )
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    scheduler = synetune.schedulers.create(
        name,
        config_space=space,
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=3,
    )
    assert isinstance(scheduler.searcher, KernelDensityEstimator)
    assert scheduler.searcher.multi_fidelity and scheduler.metadata()["searcher"] == "kde"
    backend = synetune.backends.create(
        "simulator", blackbox=blackbox, elapsed_time_attr="time", max_resource_attr="epochs"
    )
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_wallclock_time=600),
        n_workers=4,
        sleep_time=0.0,
        tuner_name=name.replace("_", "-"),
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    statuses = collections.Counter(tuner.tuning_status.trial_status.values())
    assert statuses["Completed"] >= 1 and statuses["Failed"] == 0
    assert scheduler.searcher._fit_level is not None  # the KDEs were fitted on some rung
    best = tuner.best_result()
    assert best is not None and best[2] < 1.0 / 9 + 0.05


def test_kde_scheduler_in_a_tuner(tmp_path, monkeypatch):
    from synetune import StoppingCriterion, Tuner
    from synetune_sdk.testing import ThreadBackend

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))

    def objective(config, report, start_epoch=0):
        report(epoch=1, loss=(config["x"] - 0.3) ** 2 + 0.1 * (config["c"] == "b"))

    scheduler = synetune.schedulers.create(
        "KDE",
        config_space={"x": uniform(0.0, 1.0), "c": choice(["a", "b"])},
        metric="loss",
        random_seed=2,
    )
    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=25),
        n_workers=2,
        verbose="quiet",
        save_tuner=False,
    )
    tuner.run()
    _, config = tuner.best_config()
    assert config["c"] == "a" and abs(config["x"] - 0.3) < 0.15


def test_hyperband_with_kde_learns_from_every_rung():
    scheduler = synetune.schedulers.create(
        "bohb",
        config_space={
            "x": uniform(0.0, 1.0),
            "y": randint(1, 4),
            "c": choice(["a", "b"]),
            "epochs": 9,
        },
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        brackets=3,
        random_seed=0,
    )
    counts = drive_scheduler(scheduler, n_workers=4, max_trials=40)
    assert counts["started"] == 40
    assert {level for _, level in scheduler.searcher._data} == {1, 3, 9}
    assert scheduler.searcher._fit_level is not None
