"""Behaviour of the cqr searcher: registry, arguments, the conformal quantile model, multi-fidelity
data, bad input, reproducibility, quality against random search, and Tuner runs end to end."""

from __future__ import annotations

import logging
import math
import subprocess
import sys

import numpy as np
import pytest
from synetune_plugin_cqr.quantile import ConformalQuantileRegressor, quantile_levels
from synetune_plugin_cqr.searcher import ConformalQuantileRegression, _single_threaded

import synetune
from synetune_sdk.config_space import choice, loguniform, randint, uniform

SPACE = {"x": uniform(0.0, 1.0), "y": uniform(0.0, 1.0)}
MIXED = {"lr": loguniform(1e-4, 1e-1), "n": randint(1, 8), "act": choice(["relu", "tanh"])}
# few boosting rounds and candidates keep the tests quick; the algorithm is the same
FAST = {"n_estimators": 10, "num_candidates": 200}


def sphere(config: dict) -> float:
    return (config["x"] - 0.2) ** 2 + (config["y"] - 0.7) ** 2


def mixed_loss(config: dict) -> float:
    return abs(math.log10(config["lr"]) + 2.5) + 0.1 * config["n"] + (config["act"] == "tanh")


def run(searcher, n, f=sphere, start=0):
    configs = []
    for trial_id in range(start, start + n):
        config = searcher.suggest(trial_id)
        if config is None:
            break
        searcher.register_pending(trial_id, config)
        searcher.on_trial_complete(trial_id, config, {"loss": f(config)})
        configs.append(config)
    return configs


# -- registry ----------------------------------------------------------------------------------
def test_registered_names_and_aliases_build_the_right_components():
    from synetune_plugin_fifo.scheduler import FIFOScheduler
    from synetune_plugin_hyperband.scheduler import HyperbandScheduler

    searcher = synetune.searchers.create(
        "ConformalQuantileRegression", config_space=SPACE, metric="loss"
    )
    assert isinstance(searcher, ConformalQuantileRegression)
    fifo = synetune.schedulers.create("CQR", config_space=SPACE, metric="loss", random_seed=1)
    assert isinstance(fifo, FIFOScheduler)
    assert isinstance(fifo.searcher, ConformalQuantileRegression)
    asha = synetune.schedulers.create(
        "ASHACQR",
        config_space={**SPACE, "epochs": 9},
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        search_options={"quantiles": 3},
    )
    assert isinstance(asha, HyperbandScheduler)
    assert asha.searcher.multi_fidelity and len(asha.searcher.model.levels) == 3


def test_importing_the_plugin_leaves_sklearn_unimported():
    code = (
        "import sys, synetune_plugin_cqr, synetune_plugin_cqr.searcher, "
        "synetune_plugin_cqr.baselines\n"
        "assert 'sklearn' not in sys.modules, 'heavy import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"quantiles": 4}, "odd"),
        ({"quantiles": 0}, "quantiles"),
        ({"valid_fraction": 1.0}, "valid_fraction"),
        ({"update_frequency": 0}, "update_frequency"),
        ({"num_init_random_draws": -1}, "num_init_random_draws"),
        ({"max_fit_samples": 1}, "max_fit_samples"),
        ({"regressor": "lightgbm"}, "regressor"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"num_candidates": 0}, "num_candidates"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConformalQuantileRegression(SPACE, "loss", **kwargs)


# -- the model ---------------------------------------------------------------------------------
def test_quantile_levels_are_syne_tunes():
    assert quantile_levels(5).tolist() == [0.17, 0.33, 0.5, 0.67, 0.83]
    assert quantile_levels(1).tolist() == [0.5]


@pytest.mark.parametrize("regressor", ["hist", "gbr"])
def test_conformal_bands_cover_held_out_data_and_are_ordered(regressor):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(1600, 2))
    y = X[:, 0] + rng.normal(scale=0.3, size=1600)
    # 300 calibration points and 1000 test points keep the coverage estimate tight
    model = ConformalQuantileRegressor(
        valid_fraction=0.5,
        regressor=regressor,
        params={"n_estimators": 30, "learning_rate": 0.1, "max_depth": 3, "min_samples_leaf": 1},
    )
    with _single_threaded():  # as the searcher fits: OpenMP threads spin on a busy machine
        model.fit(X[:600], y[:600], rng)
    assert model.corrections.shape == (2,) and np.all(np.isfinite(model.corrections))
    pred = model.predict(X[600:])
    # the outer band (nominal 66%) covers held-out values about as often as it claims
    coverage = np.mean((pred[:, 0] <= y[600:]) & (y[600:] <= pred[:, -1]))
    assert 0.56 < coverage < 0.8, coverage
    assert np.mean(pred[:, 0] <= pred[:, -1]) > 0.95


def test_no_correction_up_to_min_samples_to_conformalize():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(20, 2))
    params = {"n_estimators": 5, "learning_rate": 0.1, "max_depth": 2, "min_samples_leaf": 1}
    with _single_threaded():
        model = ConformalQuantileRegressor(params=params).fit(X, X[:, 0], rng)
    assert np.all(model.corrections == 0)


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "space",
    [
        {"x": uniform(0, 1), "opt": {"kind": choice(["a", "b"])}},
        {"x": uniform(0, 1), "y": lambda spec: spec["x"] * 2},
    ],
)
def test_conditional_spaces_are_refused_with_a_hint(space):
    with pytest.raises(ValueError, match="conditional or nested space"):
        ConformalQuantileRegression(space, "loss")


def test_empty_space_suggests_its_constants_once():
    searcher = ConformalQuantileRegression({"epochs": 5}, "loss", points_to_evaluate=[])
    assert searcher.suggest(0) == {"epochs": 5}
    assert searcher.suggest(1) is None


def test_all_nan_results_fall_back_to_random_with_a_logged_reason(caplog):
    searcher = ConformalQuantileRegression(SPACE, "loss", points_to_evaluate=[], random_seed=0)
    with caplog.at_level(logging.WARNING, logger="synetune_plugin_cqr"):
        configs = run(searcher, 8, f=lambda c: float("nan"))
    assert len(configs) == 8 and searcher.dataset_size() == 0
    assert "no finite value of 'loss'" in caplog.text


def test_single_observation_falls_back_to_random_with_a_logged_reason(caplog):
    searcher = ConformalQuantileRegression(
        SPACE, "loss", points_to_evaluate=[], random_seed=0, num_init_random_draws=1, **FAST
    )
    with caplog.at_level(logging.INFO, logger="synetune_plugin_cqr"):
        run(searcher, 2)
    assert searcher._predictions is None and "at least two observations" in caplog.text
    run(searcher, 1, start=2)
    assert searcher._predictions is not None


def test_equal_values_fall_back_to_random(caplog):
    searcher = ConformalQuantileRegression(
        SPACE, "loss", points_to_evaluate=[], random_seed=0, num_init_random_draws=2, **FAST
    )
    with caplog.at_level(logging.WARNING, logger="synetune_plugin_cqr"):
        configs = run(searcher, 5, f=lambda c: 1.0)
    assert len({(c["x"], c["y"]) for c in configs}) == 5 and searcher._predictions is None
    assert "are equal" in caplog.text


# -- the algorithm -----------------------------------------------------------------------------
def test_same_seed_same_suggestions_other_seed_others():
    def suggestions(seed):
        searcher = ConformalQuantileRegression(MIXED, "loss", random_seed=seed, **FAST)
        return run(searcher, 9, f=mixed_loss)

    first = suggestions(5)
    assert first == suggestions(5)
    assert first != suggestions(6)


def test_refits_every_update_frequency_observations():
    searcher = ConformalQuantileRegression(
        SPACE, "loss", points_to_evaluate=[], random_seed=0, update_frequency=3, **FAST
    )
    run(searcher, 6)
    assert searcher._fitted_at == 5
    run(searcher, 2, start=6)
    assert searcher._fitted_at == 5  # 7 observations: not yet 3 new ones
    run(searcher, 1, start=8)
    assert searcher._fitted_at == 8


def test_by_default_refits_after_five_percent_more_observations():
    searcher = ConformalQuantileRegression(SPACE, "loss", points_to_evaluate=[], random_seed=0)
    assert [searcher._refit_after(n) for n in (5, 39, 40, 100, 1000)] == [1, 1, 2, 5, 50]
    fits = []
    original = searcher.model.fit
    searcher.model.fit = lambda X, y, rng: fits.append(len(y)) or original(X, y, rng)
    searcher.model.params["n_estimators"] = 5
    searcher.num_candidates = 100
    run(searcher, 46)
    assert fits == list(range(5, 41)) + [42, 44]


def test_max_fit_samples_and_gbr_regressor_run():
    searcher = ConformalQuantileRegression(
        MIXED, "loss", random_seed=0, max_fit_samples=6, regressor="gbr", **FAST
    )
    configs = run(searcher, 9, f=mixed_loss)
    assert len(configs) == 9 and searcher._predictions is not None


def test_small_finite_space_is_exhausted_without_duplicates_then_none():
    space = {"a": choice(["p", "q", "r"]), "b": randint(1, 3)}
    searcher = ConformalQuantileRegression(
        space, "loss", points_to_evaluate=[], random_seed=0, num_init_random_draws=2, **FAST
    )
    configs = run(searcher, 12, f=lambda c: c["b"] + (c["a"] == "q"))
    assert len(configs) == 9
    assert len({(c["a"], c["b"]) for c in configs}) == 9


def test_mode_max_prefers_large_values():
    searcher = ConformalQuantileRegression(
        SPACE, "loss", mode="max", points_to_evaluate=[], random_seed=0, **FAST
    )
    configs = run(searcher, 20, f=lambda c: -sphere(c))
    assert np.mean([sphere(c) for c in configs[10:]]) < np.mean([sphere(c) for c in configs[:5]])


def test_beats_random_search_on_a_cheap_function():
    """Model-based suggestions concentrate near the optimum: the mean value of suggestions 11-30
    is far below random search's on the same seeds (expected value under random: ~0.30)."""

    def later_mean(name, seed):
        options = FAST if name == "cqr" else {}
        searcher = synetune.searchers.create(
            name,
            config_space=SPACE,
            metric="loss",
            random_seed=seed,
            points_to_evaluate=[],
            **options,
        )
        configs = run(searcher, 30)
        return np.mean([sphere(c) for c in configs[10:]])

    cqr = [later_mean("cqr", seed) for seed in range(3)]
    rand = [later_mean("random", seed) for seed in range(3)]
    assert np.median(cqr) < 0.5 * np.median(rand), (cqr, rand)


# -- multi-fidelity ----------------------------------------------------------------------------
def test_multi_fidelity_learns_from_each_trials_latest_rung_result():
    searcher = ConformalQuantileRegression(
        SPACE, "loss", random_seed=0, points_to_evaluate=[], **FAST
    )
    hyperband = type("HB", (), {"resource_attr": "epoch", "max_t": 9, "rung_levels": [1, 3]})
    searcher.configure_scheduler(hyperband())
    config = {"x": 0.5, "y": 0.5}
    searcher.on_trial_result(0, config, {"loss": 3.0, "epoch": 1}, update=True)
    searcher.on_trial_result(0, config, {"loss": 2.5, "epoch": 2}, update=False)
    searcher.on_trial_result(0, config, {"loss": 2.0, "epoch": 3}, update=True)
    assert searcher._latest[0][0] == 3 and searcher._latest[0][2] == 2.0
    searcher.on_trial_result(0, config, {"loss": 9.0, "epoch": 1}, update=True)  # late, older
    assert searcher._latest[0][2] == 2.0
    searcher.remove_case(0, loss=2.0, epoch=3)
    assert searcher.dataset_size() == 0


# -- end to end --------------------------------------------------------------------------------
def test_tuner_runs_cqr_end_to_end(tmp_path, monkeypatch):
    from synetune import StoppingCriterion, Tuner, load_experiment
    from synetune_sdk.testing import ThreadBackend

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))

    def objective(config, report, start_epoch=0):
        report(epoch=1, loss=sphere(config))

    scheduler = synetune.schedulers.create(
        "cqr", config_space=SPACE, metric="loss", random_seed=3, search_options=FAST
    )
    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_completed=10),
        n_workers=2,
        sleep_time=0.0,
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    df = load_experiment(tuner.tuner_path).results
    assert df["trial_id"].nunique() >= 10
    assert scheduler.searcher._predictions is not None  # the model proposed configurations


def simulate_asha_cqr(seed):
    from synetune import StoppingCriterion, Tuner, load_experiment

    blackbox = synetune.blackboxes.load("digits-mlp")
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    scheduler = synetune.schedulers.create(
        "asha_cqr",
        config_space=space,
        metric="val_error",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=seed,
        search_options=FAST,
    )
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr="epochs",
            random_seed=seed,
        ),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=25),
        n_workers=4,
        sleep_time=0.0,
        tuner_name=f"asha-cqr-{seed}",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    return load_experiment(tuner.tuner_path).results, scheduler


def test_asha_cqr_on_digits_mlp_with_the_simulator(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    df, scheduler = simulate_asha_cqr(seed=0)
    assert df["trial_id"].nunique() >= 25
    assert df.groupby("trial_id")["epoch"].max().max() > 1  # some trials passed a rung
    assert scheduler.searcher._predictions is not None
    again, _ = simulate_asha_cqr(seed=0)
    columns = ["trial_id", "epoch", "val_error"]
    assert df[columns].reset_index(drop=True).equals(again[columns].reset_index(drop=True))
