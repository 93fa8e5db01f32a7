"""REA: the conformance kits, the evolution rules, reproducibility and bad input."""

from __future__ import annotations

from datetime import datetime

import pytest
from synetune_plugin_rea.searcher import RegularizedEvolution

import synetune
from synetune_sdk.config_space import choice, randint, uniform
from synetune_sdk.testing import SchedulerContract, SearcherContract
from synetune_sdk.trial import Trial


class TestREAContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "rea",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            population_size=4,
            sample_size=2,
        )


class TestRegularizedEvolutionContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return synetune.searchers.create(
            "regularized_evolution",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            population_size=3,
            sample_size=2,
        )


SPACE = {"x": uniform(0.0, 1.0), "k": randint(0, 20), "c": choice(["a", "b", "c"]), "epochs": 3}


def loss(config):
    return (config["x"] - 0.7) ** 2 + abs(config["k"] - 13) / 20 + (config["c"] != "b")


def run(searcher, n, f=loss):
    configs = []
    for trial_id in range(n):
        config = searcher.suggest(trial_id)
        configs.append(config)
        searcher.on_trial_complete(trial_id, config, {"loss": f(config)})
    return configs


def differences(a, b):
    return [name for name in ("x", "k", "c") if a[name] != b[name]]


def test_children_differ_from_a_population_member_in_one_hyperparameter():
    searcher = RegularizedEvolution(
        SPACE, "loss", points_to_evaluate=[], random_seed=1, population_size=8, sample_size=3
    )
    configs = run(searcher, 8)
    for trial_id in range(8, 40):
        population = [config for config, _ in searcher.population.values()]
        child = searcher.suggest(trial_id)
        assert any(len(differences(child, member)) == 1 for member in population)
        searcher.on_trial_complete(trial_id, child, {"loss": loss(child)})
        configs.append(child)
    assert len({tuple(sorted(c.items())) for c in configs}) == len(configs)  # no duplicate


def test_parent_is_the_best_of_the_sample():
    # sample_size >= population: with a sample of 50 out of 2 members the best one is drawn
    # (with probability 1 - 2**-50), so every child is one mutation away from it.
    searcher = RegularizedEvolution(
        SPACE, "loss", points_to_evaluate=[], random_seed=2, population_size=2, sample_size=50
    )
    good = {"x": 0.7, "k": 13, "c": "b", "epochs": 3}
    bad = {"x": 0.0, "k": 0, "c": "a", "epochs": 3}
    searcher.on_trial_complete(0, good, {"loss": loss(good)})
    searcher.on_trial_complete(1, bad, {"loss": loss(bad)})
    for trial_id in range(2, 12):
        child = searcher.suggest(trial_id)
        assert len(differences(child, good)) == 1
        searcher.register_pending(trial_id, child)


def test_mode_max_prefers_large_values():
    searcher = RegularizedEvolution(
        SPACE,
        "acc",
        mode="max",
        points_to_evaluate=[],
        random_seed=0,
        population_size=2,
        sample_size=50,
    )
    good = {"x": 0.2, "k": 3, "c": "a", "epochs": 3}
    bad = {"x": 0.9, "k": 17, "c": "c", "epochs": 3}
    searcher.on_trial_complete(0, good, {"acc": 0.9})
    searcher.on_trial_complete(1, bad, {"acc": 0.1})
    child = searcher.suggest(2)
    assert len(differences(child, good)) == 1


def test_population_ages_out_the_oldest():
    searcher = RegularizedEvolution(SPACE, "loss", points_to_evaluate=[], population_size=3)
    run(searcher, 5)
    assert list(searcher.population) == [2, 3, 4]


def test_nan_results_stay_out_of_the_population():
    searcher = RegularizedEvolution(SPACE, "loss", points_to_evaluate=[], population_size=3)
    run(searcher, 4, f=lambda c: float("nan"))
    assert not searcher.population
    assert searcher.suggest(4) is not None  # random configurations until it fills


def test_random_until_the_population_is_full_then_evolves():
    searcher = RegularizedEvolution(
        SPACE, "loss", points_to_evaluate=[], random_seed=3, population_size=5, sample_size=5
    )
    assert not searcher._model_ready()
    run(searcher, 5)
    assert searcher._model_ready()


def test_points_to_evaluate_then_reproducible():
    point = {"x": 0.1, "k": 4, "c": "a"}

    def make(seed):
        return RegularizedEvolution(
            SPACE, "loss", points_to_evaluate=[point], random_seed=seed, population_size=4
        )

    first, second, third = run(make(5), 30), run(make(5), 30), run(make(6), 30)
    assert first[0] == {**point, "epochs": 3}
    assert first == second
    assert first != third


def test_evolution_beats_its_random_phase():
    searcher = RegularizedEvolution(
        SPACE, "loss", points_to_evaluate=[], random_seed=0, population_size=10, sample_size=5
    )
    configs = run(searcher, 120)
    random_best = min(loss(c) for c in configs[:10])
    assert min(loss(c) for c in configs[10:]) < random_best


def test_finite_space_is_exhausted_then_none():
    space = {"a": choice([1, 2]), "b": choice(["u", "v"])}
    searcher = RegularizedEvolution(space, "loss", points_to_evaluate=[], population_size=2)
    configs = run(searcher, 4, f=lambda c: c["a"])
    assert len({(c["a"], c["b"]) for c in configs}) == 4
    assert searcher.suggest(4) is None


def test_scheduler_runs_trials_to_completion_and_feeds_the_population():
    scheduler = synetune.schedulers.create(
        "REA", config_space=SPACE, metric="loss", population_size=3, sample_size=2, random_seed=0
    )
    assert scheduler.metadata()["searcher"] == "regularized_evolution"
    for trial_id in range(4):
        config = scheduler.suggest(trial_id).config
        trial = Trial(trial_id, config, datetime.now())
        scheduler.on_trial_add(trial)
        assert scheduler.on_trial_result(trial, {"loss": 1.0, "epoch": 1}) == "CONTINUE"
        scheduler.on_trial_complete(trial, {"loss": loss(config), "epoch": 3})
    assert list(scheduler.searcher.population) == [1, 2, 3]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"population_size": 0}, "population_size"),
        ({"sample_size": 1.5}, "sample_size"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        synetune.schedulers.create("rea", config_space=SPACE, metric="loss", **kwargs)


def test_space_without_anything_to_mutate_is_an_error():
    with pytest.raises(ValueError, match="more than one value"):
        RegularizedEvolution({"a": choice([1]), "epochs": 3}, "loss")


def test_population_size_in_search_options_is_refused():
    with pytest.raises(TypeError, match="REA\\(population_size"):
        synetune.schedulers.create(
            "rea", config_space=SPACE, metric="loss", search_options={"population_size": 3}
        )
