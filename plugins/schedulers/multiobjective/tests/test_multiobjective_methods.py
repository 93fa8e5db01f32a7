"""nsga2, morea, mo_random_scalarization, mo_linear_scalarization (and random/grid search with
two metrics): conformance kits, behaviour, bad input and real Tuner runs on the simulator."""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pytest
from synetune_plugin_multiobjective.common import crowding_distance, epsilon_net_order

import synetune
from synetune_sdk.config_space import choice, randint, uniform
from synetune_sdk.multiobjective import hypervolume
from synetune_sdk.testing import SchedulerContract, SearcherContract
from synetune_sdk.trial import Trial

FAST_GP = {"opt_maxiter": 10, "opt_nstarts": 1, "num_init_candidates": 100}
# the kits report their metric and "epoch": both are the objectives here
KIT_METHODS = {
    "nsga2": {"population_size": 4},
    "morea": {"population_size": 4, "sample_size": 2},
    "mo_random_scalarization": {"search_options": FAST_GP},
    "mo_linear_scalarization": {"search_options": FAST_GP},
}


@pytest.mark.parametrize("name", sorted(KIT_METHODS))
class TestSchedulerContracts(SchedulerContract):
    @pytest.fixture(autouse=True)
    def _name(self, name):
        self.name = name

    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            self.name,
            config_space=config_space,
            metric=[metric, "epoch"],
            mode=[mode, "max"],
            random_seed=random_seed,
            **KIT_METHODS[self.name],
        )


@pytest.mark.parametrize("name", ["nsga2", "morea", "mo_random_scalarization"])
class TestSearcherContracts(SearcherContract):
    @pytest.fixture(autouse=True)
    def _name(self, name):
        self.name = name

    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        options = dict(KIT_METHODS[self.name])
        options.update(options.pop("search_options", {}))
        return synetune.searchers.create(
            self.name,
            config_space=config_space,
            metric=[metric, "epoch"],
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            **options,
        )


# -- a 2-objective problem (ZDT1-like, a categorical that only hurts) ----------------------------
SPACE = {"x": uniform(0.0, 1.0), "y": uniform(0.0, 1.0), "c": choice(["good", "bad"])}
REFERENCE = [1.1, 11.0]


def zdt(config):
    g = 1.0 + 9.0 * config["y"] + (config["c"] == "bad")
    return {"f1": config["x"], "f2": g * (1.0 - np.sqrt(config["x"] / g))}


def _drive(scheduler, n, objective=zdt, workers=1):
    """Ask and tell ``n`` trials, ``workers`` suggestions at a time (asynchronous)."""
    Y, pending, next_id = [], [], 0
    while next_id < n or pending:
        while len(pending) < workers and next_id < n:
            suggestion = scheduler.suggest(next_id)
            trial = Trial(next_id, suggestion.config, datetime.now())
            scheduler.on_trial_add(trial)
            pending.append(trial)
            next_id += 1
        trial = pending.pop(0)
        result = objective(trial.config)
        scheduler.on_trial_result(trial, result)
        scheduler.on_trial_complete(trial, result)
        if all(np.isfinite(v) for v in result.values()):
            Y.append([result["f1"], result["f2"]])
    return np.array(Y)


def _hv(name, seed, n=80, **kwargs):
    scheduler = synetune.schedulers.create(
        name, config_space=SPACE, metric=["f1", "f2"], random_seed=seed, **kwargs
    )
    return hypervolume(_drive(scheduler, n, workers=2), REFERENCE)


@pytest.mark.parametrize(
    "name, kwargs",
    [("nsga2", {"population_size": 10}), ("morea", {"population_size": 10, "sample_size": 5})],
)
def test_evolution_beats_random_search_on_hypervolume(name, kwargs):
    seeds = range(3)
    ours = np.median([_hv(name, s, **kwargs) for s in seeds])
    random = np.median([_hv("random_search", s) for s in seeds])
    assert ours > random


def test_random_scalarization_beats_random_search_on_hypervolume():
    ours = _hv("mo_random_scalarization", 0, n=30, search_options=FAST_GP)
    random = _hv("random_search", 0, n=30)
    assert ours > random


def test_linear_scalarization_finds_the_weighted_optimum():
    # weights (1, 0): only f1 counts; its minimum is at x = 0
    scheduler = synetune.schedulers.create(
        "mo_linear_scalarization",
        config_space=SPACE,
        metric=["f1", "f2"],
        scalarization_weights=[1.0, 0.0],
        random_seed=0,
        search_options=FAST_GP,
    )
    Y = _drive(scheduler, 20)
    assert Y[:, 0].min() < 0.02
    meta = scheduler.metadata()
    assert meta["scalarized_metric"] == "scalarized_f1_f2"
    assert meta["metric_names"] == ["f1", "f2"]


def test_nsga2_is_asynchronous_and_children_are_new_valid_configs():
    scheduler = synetune.schedulers.create(
        "nsga2", config_space=SPACE, metric=["f1", "f2"], population_size=6, random_seed=1
    )
    seen = set()
    # 8 workers, more than the population: every ask gets an answer at once
    for i in range(40):
        config = scheduler.suggest(i).config
        assert 0 <= config["x"] <= 1 and config["c"] in ("good", "bad")
        key = (config["x"], config["y"], config["c"])
        assert key not in seen
        seen.add(key)
        trial = Trial(i, config, None)
        scheduler.on_trial_add(trial)
        if i >= 8:  # results arrive 8 suggestions late
            scheduler.on_trial_complete(trial, zdt(config))


def test_searchers_skip_missing_and_nan_results_with_a_warning(caplog):
    def broken(config):
        out = zdt(config)
        if config["x"] < 0.3:
            out["f2"] = float("nan")
        elif config["x"] > 0.7:
            del out["f2"]
        return out

    for name in ("nsga2", "morea", "mo_random_scalarization", "mo_linear_scalarization"):
        scheduler = synetune.schedulers.create(
            name,
            config_space=SPACE,
            metric=["f1", "f2"],
            random_seed=0,
            **{"nsga2": {"population_size": 4}, "morea": {"population_size": 4}}.get(
                name, {"search_options": FAST_GP}
            ),
        )
        with caplog.at_level(logging.WARNING):
            caplog.clear()
            Y = _drive_broken(scheduler, broken)
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert "NaN" in messages and "without ['f2']" in messages, name
        assert len(Y) > 0


def _drive_broken(scheduler, objective):
    Y = []
    for i in range(15):
        config = scheduler.suggest(i).config
        trial = Trial(i, config, None)
        scheduler.on_trial_add(trial)
        result = objective(config)
        scheduler.on_trial_complete(trial, result)
        if "f2" in result and np.isfinite(result["f2"]):
            Y.append(result)
    return Y


@pytest.mark.parametrize("name", sorted(KIT_METHODS) + ["moasha"])
@pytest.mark.parametrize(
    "metric, mode, message",
    [
        ("f1", "min", "at least two metrics"),
        (["f1"], "min", "at least two metrics"),
        (["f1", "f2"], ["min"], "one 'min'/'max' per metric"),
        (["f1", "f2"], ["min", "max", "min"], "one 'min'/'max' per metric"),
    ],
)
def test_bad_metric_or_mode_fail_at_construction(name, metric, mode, message):
    with pytest.raises(ValueError, match=message):
        synetune.schedulers.create(name, config_space=SPACE, metric=metric, mode=mode)


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("nsga2", {"population_size": 1}, "population_size"),
        ("morea", {"sample_size": 0}, "sample_size"),
        ("mo_linear_scalarization", {"scalarization_weights": [1.0]}, "scalarization_weights"),
        ("mo_random_scalarization", {"kappa": -1.0}, "kappa"),
    ],
)
def test_bad_method_arguments(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        synetune.schedulers.create(name, config_space=SPACE, metric=["f1", "f2"], **kwargs)


def test_crowding_distance_is_deb_s():
    Y = np.array([[0.0, 1.0], [0.1, 0.9], [0.5, 0.5], [0.55, 0.45], [1.0, 0.0]])
    d = crowding_distance(Y)
    # per objective: the gap between the neighbours over the range (1 here), summed
    np.testing.assert_allclose(d, [np.inf, 1.0, 0.9, 1.0, np.inf])
    # a point in a crowded stretch gets less than an isolated one
    d = crowding_distance(np.array([[0.0, 1.0], [0.1, 0.9], [0.12, 0.88], [1.0, 0.0]]))
    np.testing.assert_allclose(d, [np.inf, 0.24, 1.8, np.inf])


def _syne_tune_epsilon_net(X, dim=0):
    """Syne Tune 0.13's compute_epsilon_net order, written as it is: quadratic, from scratch."""
    indices = set(range(len(X)))
    order = [int(np.argmin(X, axis=0)[dim])]
    indices.remove(order[0])
    while indices:
        rest = list(indices)
        diff = X[rest][:, None, :].repeat(len(order), axis=1) - X[order]
        choice = rest[np.linalg.norm(diff, axis=-1).min(-1).argmax()]
        order.append(choice)
        indices.remove(choice)
    return order


@pytest.mark.parametrize("seed", range(5))
def test_epsilon_net_order_matches_syne_tunes_algorithm(seed):
    rng = np.random.default_rng(seed)
    X = np.round(rng.random((40, 2)), 1)  # coarse values: many ties and duplicates
    assert epsilon_net_order(X) == _syne_tune_epsilon_net(X)
    assert epsilon_net_order(X, stop_at=7)[-1] == 7


# -- with the Tuner, on the simulator -------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("moasha", {"time_attr": "epoch"}),
        ("moasha", {"time_attr": "epoch", "type": "promotion"}),
        ("nsga2", {"population_size": 4}),
        ("morea", {"population_size": 4, "sample_size": 2}),
        ("mo_random_scalarization", {"search_options": FAST_GP}),
        ("mo_linear_scalarization", {"search_options": FAST_GP}),
        ("random_search", {}),
        ("grid_search", {"search_options": {"num_samples": 3}}),
    ],
)
def test_tuner_run_two_objectives_on_the_simulator(tmp_path, monkeypatch, name, kwargs):
    from synetune_plugin_blackbox_repository import from_function

    from synetune import StoppingCriterion, Tuner

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))

    def evaluate(config, epoch, seed):
        x, w = config["x"], config["width"]
        return {"error": (1.0 - x) ** 2 + 1.0 / epoch + 0.1 / w, "cost": epoch * (x + 0.01 * w)}

    blackbox = from_function(
        {"x": uniform(0.0, 1.0), "width": randint(1, 8)},
        evaluate,
        {"epoch": randint(1, 9)},
        ["error", "cost"],
    )
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    scheduler = synetune.schedulers.create(
        name,
        config_space=space,
        metric=["error", "cost"],
        mode=["min", "min"],
        max_resource_attr="epochs",
        random_seed=2,
        **kwargs,
    )
    backend = synetune.backends.create(
        "simulator", blackbox=blackbox, elapsed_time_attr="cost", max_resource_attr="epochs"
    )
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=16),
        n_workers=4,
        sleep_time=0.0,
        tuner_name=f"mo-{name.replace('_', '-')}-{kwargs.get('type', 'run')}",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    results = synetune.load_experiment(tuner.name).results
    statuses = tuner.tuning_status.trial_status.values()
    assert "Failed" not in statuses
    assert results["trial_id"].nunique() >= (9 if name == "grid_search" else 16)
    assert {"error", "cost"} <= set(results.columns)
    assert scheduler.metric_names() == ["error", "cost"]
    if name == "moasha":  # some trials stopped before the last epoch
        assert (results.groupby("trial_id")["epoch"].max() < 9).any()
    if kwargs.get("type") == "promotion":  # paused trials were resumed
        assert (results["epoch"] > 1).any()
