"""Behaviour of the tpe searcher: quality, Optuna's kernel rules, categories, pending trials,
multi-fidelity ranking, bad input and end-to-end runs."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
from synetune_plugin_tpe import _normal
from synetune_plugin_tpe.parzen import ParzenEstimator, bandwidths, make_variables
from synetune_plugin_tpe.searcher import TPESearcher

import synetune
from synetune_sdk.config_space import choice, loguniform, randint, uniform
from synetune_sdk.encoding import ConfigEncoder

HARTMANN6_MIN = -3.322368011415515
_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN6_SPACE = {f"x{i}": uniform(0.0, 1.0) for i in range(6)}


def hartmann6(config):
    x = np.array([config[f"x{i}"] for i in range(6)])
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_A * (x - _P) ** 2, axis=1))))


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


def test_tpe_beats_random_search_on_hartmann6():
    tpe, rs = [], []
    for seed in range(5):
        searcher = TPESearcher(HARTMANN6_SPACE, "y", random_seed=seed, points_to_evaluate=[])
        tpe.append(run_sequential(searcher, hartmann6, 40) - HARTMANN6_MIN)
        rng = np.random.default_rng(seed)
        draws = rng.uniform(size=(40, 6))
        rs.append(min(hartmann6({f"x{i}": v for i, v in enumerate(x)}) for x in draws))
        rs[-1] -= HARTMANN6_MIN
    # a sign test: 5 wins out of 5 has probability 1/32 if both were equally good
    assert all(t < r for t, r in zip(tpe, rs)), (tpe, rs)
    assert np.median(tpe) < 0.5 * np.median(rs), (tpe, rs)


def test_same_seed_same_suggestions_other_seed_other_ones():
    def configs(seed):
        searcher = TPESearcher(HARTMANN6_SPACE, "y", random_seed=seed, n_startup_trials=3)
        out = []
        for trial_id in range(8):
            config = searcher.suggest(trial_id)
            out.append(config)
            searcher.on_trial_complete(trial_id, config, {"y": hartmann6(config)})
        return out

    assert configs(5) == configs(5)
    assert configs(5) != configs(6)


def test_optuna_bandwidth_rule():
    mus = np.array([0.5, 0.52, 0.9])
    # neighbours with the domain's ends: the outermost use their inner gap (no endpoints), and
    # the magic clip raises widths to 1 / min(100, n + 2) = 0.2
    assert bandwidths(mus, False, True) == pytest.approx([0.2, 0.38, 0.38])
    assert bandwidths(mus, False, False) == pytest.approx([0.02, 0.38, 0.38])
    assert bandwidths(mus, True, False) == pytest.approx([0.5, 0.38, 0.38])
    assert bandwidths(np.array([0.3]), False, True) == pytest.approx([0.7])


def test_estimator_is_a_normalised_density_over_mixed_spaces():
    encoder = ConfigEncoder({"x": uniform(0, 1), "n": randint(1, 4), "c": choice(["a", "b", "c"])})
    variables = make_variables(encoder)
    assert [v.kind for v in variables] == ["continuous", "discrete", "categorical"]
    F = np.array([[0.2, 0.125, 0], [0.7, 0.625, 2], [0.5, 0.875, 1]])
    estimator = ParzenEstimator(variables, F, np.ones(3))
    xs = np.linspace(0.0, 1.0, 4001)
    total = 0.0
    for n in variables[1].grid:
        for c in range(3):
            G = np.stack([xs, np.full_like(xs, n), np.full_like(xs, c)], axis=1)
            density = np.exp(estimator.log_pdf(G))
            total += np.sum((density[1:] + density[:-1]) / 2 * np.diff(xs))
    assert total == pytest.approx(1.0, abs=1e-3)


def test_normal_tail_masses_stay_accurate_far_out():
    # log(Phi(b) - Phi(a)) far in the upper tail, where 1 - Phi underflows a naive difference
    assert _normal.log_mass(np.array([10.0]), np.array([11.0]))[0] == pytest.approx(
        -53.23128515051247, rel=1e-6
    )
    assert _normal.log_mass(np.array([-1.0]), np.array([1.0]))[0] == pytest.approx(
        math.log(0.6826894921370859), rel=1e-6
    )
    assert _normal.log_upper_tail(np.array([0.0]))[0] == pytest.approx(math.log(0.5), rel=1e-6)


def test_categories_are_one_variable_and_the_best_one_is_found():
    space = {"x": uniform(0.0, 1.0), "c": choice(["a", "b", "c", "d", "e"])}

    def objective(config):
        return (config["x"] - 0.3) ** 2 + (config["c"] != "c")

    picks = []
    for seed in range(3):
        searcher = TPESearcher(space, "y", random_seed=seed, points_to_evaluate=[])
        for trial_id in range(40):
            config = searcher.suggest(trial_id)
            if trial_id >= 20:
                picks.append(config["c"])
            searcher.on_trial_complete(trial_id, config, {"y": objective(config)})
    # random search picks "c" 12 times in 60 on average (standard deviation 3.1)
    assert picks.count("c") >= 20, picks


def test_mode_max_and_mixed_domains():
    space = {
        "lr": loguniform(1e-4, 1e-1),
        "layers": randint(1, 8),
        "act": choice(["relu", "tanh"]),
        "epochs": 5,
    }

    def objective(config):
        return (
            -((math.log10(config["lr"]) + 2.0) ** 2)
            - 0.1 * abs(config["layers"] - 3)
            - 0.5 * (config["act"] == "tanh")
        )

    searcher = TPESearcher(space, "acc", mode="max", random_seed=1, points_to_evaluate=[])
    best = -math.inf
    for trial_id in range(40):
        config = searcher.suggest(trial_id)
        assert config["epochs"] == 5 and 1 <= config["layers"] <= 8
        value = objective(config)
        best = max(best, value)
        searcher.on_trial_complete(trial_id, config, {"acc": value})
    assert best > -0.2
    assert objective(searcher.best_config()) == pytest.approx(best)


def test_pending_trials_count_as_above_and_are_not_suggested_twice():
    searcher = TPESearcher({"n": randint(1, 6)}, "y", random_seed=0, n_startup_trials=2)
    for trial_id in range(2):
        config = searcher.suggest(trial_id)
        searcher.on_trial_complete(trial_id, config, {"y": config["n"]})
    running = []
    for trial_id in range(2, 6):
        config = searcher.suggest(trial_id)
        searcher.register_pending(trial_id, config)
        running.append(config["n"])
    below, above = searcher._split()
    assert {2, 3, 4, 5} <= set(above.tolist()) and not {2, 3, 4, 5} & set(below.tolist())
    assert len(set(running)) == 4  # no duplicates among concurrent suggestions
    assert searcher.suggest(6) is None  # the 6 values are all taken
    searcher.on_trial_complete(2, {"n": running[0]}, {"y": -1.0})
    below, above = searcher._split()
    assert 2 in below and 2 not in above and 2 not in searcher._pending


def test_groups_are_ranked_best_first_so_weights_follow_the_rank():
    """``weights(n)`` applies to trials sorted by value (Optuna 5 sorts by trial number): the
    ramp down to 1/n falls on the best of "above", not on the oldest."""
    seen = []

    def weights(n):
        seen.append(n)
        return np.ones(n)

    values = [5.0, 1.0, 4.0, 0.5, 3.0, 2.0]
    searcher = TPESearcher(
        {"x": uniform(0, 1)}, "y", n_startup_trials=0, gamma=lambda n: 2, weights=weights
    )
    for trial_id, value in enumerate(values):
        searcher.on_trial_complete(trial_id, {"x": trial_id / 10}, {"y": value})
    searcher.register_pending(9, {"x": 0.95})
    below, above = searcher._split()
    assert below.tolist() == [3, 1]
    assert above.tolist() == [5, 4, 2, 0, 9]  # pending trials last
    searcher.suggest(10)
    assert seen == [2, 5]


def test_multi_fidelity_ranks_larger_resources_first():
    class Hyperband:
        resource_attr, max_t, rung_levels = "epoch", 9, [1, 3]

    searcher = TPESearcher({"x": uniform(0, 1)}, "y", n_startup_trials=0, gamma=lambda n: 1)
    searcher.configure_scheduler(Hyperband())
    assert searcher.multi_fidelity
    searcher.on_trial_result(0, {"x": 0.1}, {"y": 0.0, "epoch": 1}, update=True)
    searcher.on_trial_result(1, {"x": 0.9}, {"y": 5.0, "epoch": 3}, update=True)
    below, above = searcher._split()
    assert below.tolist() == [1] and above.tolist() == [0]  # trial 1 went further
    searcher.on_trial_result(0, {"x": 0.1}, {"y": 0.5, "epoch": 3}, update=True)
    assert searcher._split()[0].tolist() == [0]


def test_conditional_space_and_bad_arguments_say_what_to_fix():
    with pytest.raises(ValueError, match="conditional or nested"):
        TPESearcher({"opt": {"adam": {"lr": uniform(0, 1)}}}, "y")
    with pytest.raises(ValueError, match="conditional or nested"):
        TPESearcher({"lr": lambda config: 0.1}, "y")
    with pytest.raises(ValueError, match="n_ei_candidates"):
        TPESearcher({"x": uniform(0, 1)}, "y", n_ei_candidates=0)
    with pytest.raises(ValueError, match="gamma"):
        TPESearcher({"x": uniform(0, 1)}, "y", gamma=3)
    with pytest.raises(ValueError, match="prior_weight"):
        TPESearcher({"x": uniform(0, 1)}, "y", prior_weight=-1.0)
    searcher = TPESearcher({"x": uniform(0, 1)}, "y", n_startup_trials=0, weights=lambda n: [])
    searcher.on_trial_complete(0, {"x": 0.5}, {"y": 1.0})
    with pytest.raises(ValueError, match="weights"):
        searcher.suggest(1)


def test_empty_space_suggests_its_configuration_once(caplog):
    with caplog.at_level(logging.WARNING):
        searcher = TPESearcher({"epochs": 3}, "y")
    assert "no hyperparameter" in caplog.text
    assert searcher.suggest(0) == {"epochs": 3}
    assert searcher.suggest(1) is None


def test_nan_results_fall_back_to_random_with_a_logged_reason(caplog):
    searcher = TPESearcher(HARTMANN6_SPACE, "y", random_seed=0, n_startup_trials=3)
    with caplog.at_level(logging.WARNING):
        for trial_id in range(6):
            config = searcher.suggest(trial_id)
            assert config is not None
            searcher.on_trial_complete(trial_id, config, {"y": float("nan")})
    assert "finite value of 'y'" in caplog.text
    assert searcher.dataset_size() == 0


def test_a_single_observation_is_enough_when_asked_for():
    searcher = TPESearcher({"x": uniform(0, 1), "c": choice([1, 2])}, "y", n_startup_trials=1)
    first = searcher.suggest(0)
    searcher.on_trial_complete(0, first, {"y": 1.0})
    second = searcher.suggest(1)
    assert second is not None and second != first


def test_independent_tpe_runs():
    searcher = TPESearcher(HARTMANN6_SPACE, "y", random_seed=0, multivariate=False)
    regret = run_sequential(searcher, hartmann6, 30) - HARTMANN6_MIN
    assert regret < 2.0


def test_tuner_runs_the_tpe_scheduler(tmp_path, monkeypatch):
    from synetune import StoppingCriterion, Tuner
    from synetune_sdk.testing import ThreadBackend

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))

    def objective(config, report, start_epoch=0):
        report(epoch=1, loss=(config["x"] - 0.3) ** 2 + 0.1 * (config["c"] == "b"))

    scheduler = synetune.schedulers.create(
        "tpe",
        config_space={"x": uniform(0.0, 1.0), "c": choice(["a", "b"])},
        metric="loss",
        random_seed=2,
        search_options={"n_startup_trials": 5},
    )
    assert isinstance(scheduler.searcher, TPESearcher) and scheduler.searcher.n_startup_trials == 5
    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=20),
        n_workers=2,
        verbose="quiet",
        save_tuner=False,
    )
    tuner.run()
    _, config = tuner.best_config()
    assert config["c"] == "a" and abs(config["x"] - 0.3) < 0.15
