"""Behaviour of the random and grid searchers, and their registration."""

from __future__ import annotations

import itertools
import math

import pytest
from synetune_plugin_random.grid_searcher import GridSearcher
from synetune_plugin_random.random_searcher import RandomSearcher

import synetune
from synetune_sdk.config_space import choice, config_key, loguniform, randint, uniform

SPACE = {
    "lr": loguniform(1e-4, 1e-1),
    "layers": randint(1, 4),
    "act": choice(["relu", "tanh"]),
    "epochs": 10,
}
SMALL = {"a": choice(["x", "y", "z"]), "b": randint(1, 2), "epochs": 3}  # 6 configurations


def drain(searcher, limit: int = 10_000) -> list[dict]:
    out = []
    for trial_id in range(limit):
        config = searcher.suggest(trial_id)
        if config is None:
            return out
        out.append(config)
    raise AssertionError(f"searcher not exhausted after {limit} suggestions")


def keys(configs: list[dict], space: dict) -> list[tuple]:
    return [config_key(c, space) for c in configs]


# ---------------------------------------------------------------- random


def test_random_points_to_evaluate_come_first_in_order():
    points = [{"lr": 0.01, "layers": 2, "act": "tanh"}, {"lr": 0.001, "layers": 4, "act": "relu"}]
    searcher = RandomSearcher(SPACE, metric="loss", points_to_evaluate=points, random_seed=1)
    assert searcher.suggest(0) == {**points[0], "epochs": 10}
    assert searcher.suggest(1) == {**points[1], "epochs": 10}
    third = searcher.suggest(2)
    assert third not in [{**p, "epochs": 10} for p in points]


def test_random_imputes_midpoints_by_default_and_completes_partial_points():
    first = RandomSearcher(SPACE, metric="loss", random_seed=0).suggest(0)
    assert first == {
        "lr": pytest.approx(math.sqrt(1e-4 * 1e-1)),
        "layers": 2,
        "act": "relu",
        "epochs": 10,
    }

    partial = RandomSearcher(
        SPACE, metric="loss", points_to_evaluate=[{"act": "tanh"}], random_seed=0
    )
    assert partial.suggest(0) == {
        "lr": pytest.approx(math.sqrt(1e-5)),
        "layers": 2,
        "act": "tanh",
        "epochs": 10,
    }

    none = RandomSearcher(SPACE, metric="loss", points_to_evaluate=[], random_seed=0)
    assert none.suggest(0)["lr"] != pytest.approx(math.sqrt(1e-5))


def test_random_samples_are_valid_and_keep_constants():
    searcher = RandomSearcher(SPACE, metric="loss", points_to_evaluate=[], random_seed=3)
    for trial_id in range(50):
        config = searcher.suggest(trial_id)
        assert 1e-4 <= config["lr"] <= 1e-1
        assert config["layers"] in (1, 2, 3, 4) and isinstance(config["layers"], int)
        assert config["act"] in ("relu", "tanh")
        assert config["epochs"] == 10


def test_random_exhausts_small_space_without_duplicates():
    searcher = RandomSearcher(SMALL, metric="loss", random_seed=5)
    configs = drain(searcher)
    assert len(configs) == 6
    assert len(set(keys(configs, SMALL))) == 6
    assert searcher.suggest(100) is None
    assert all(c["epochs"] == 3 for c in configs)


def test_random_finds_the_last_configurations_of_a_larger_finite_space():
    # 2000 configurations: pure rejection sampling would give up long before the end
    space = {"a": randint(1, 40), "b": randint(1, 50)}
    configs = drain(RandomSearcher(space, metric="loss", random_seed=0, max_retries=20))
    assert len(set(keys(configs, space))) == len(configs) == 2000


def test_random_skips_duplicate_points_to_evaluate():
    points = [{"a": "x", "b": 1}, {"a": "x", "b": 1}]
    configs = drain(RandomSearcher(SMALL, metric="loss", points_to_evaluate=points, random_seed=0))
    assert len(configs) == 6
    assert configs[0] == {"a": "x", "b": 1, "epochs": 3}


def test_random_allow_duplicates_repeats_configurations():
    searcher = RandomSearcher(SMALL, metric="loss", random_seed=0, allow_duplicates=True)
    configs = [searcher.suggest(i) for i in range(30)]
    assert None not in configs
    assert len(set(keys(configs, SMALL))) < 30


def test_random_same_seed_same_sequence_different_seed_differs():
    def run(seed: int) -> list[dict]:
        searcher = RandomSearcher(SPACE, metric="loss", random_seed=seed)
        return [searcher.suggest(i) for i in range(20)]

    assert run(7) == run(7)
    assert run(7)[1:] != run(8)[1:]  # the first is the shared midpoint configuration


def test_random_bad_config_space_names_the_hyperparameter():
    with pytest.raises(ValueError, match="'lr'"):
        RandomSearcher({"lr": uniform(1.0, 0.5)}, metric="loss")
    with pytest.raises(ValueError, match="'width'"):
        RandomSearcher({"width": loguniform(0.0, 1.0)}, metric="loss")


def test_random_unknown_option_warns():
    with pytest.warns(UserWarning, match="allow_duplicate"):
        RandomSearcher(SMALL, metric="loss", allow_duplicate=True)


def test_random_searcher_pickles_mid_run():
    import dill

    searcher = RandomSearcher(SPACE, metric="loss", random_seed=4)
    [searcher.suggest(i) for i in range(5)]
    clone = dill.loads(dill.dumps(searcher))
    assert [clone.suggest(i) for i in range(5, 10)] == [searcher.suggest(i) for i in range(5, 10)]


# ---------------------------------------------------------------- grid


def test_grid_size_and_content():
    space = {"x": uniform(0.0, 1.0), "c": choice(["a", "b", "c"]), "n": randint(1, 3), "epochs": 5}
    searcher = GridSearcher(
        space, metric="loss", points_to_evaluate=[], num_samples=3, random_seed=0
    )
    assert searcher.grid_size == 3 * 3 * 3
    configs = drain(searcher)
    expected = [
        {"x": x, "c": c, "n": n, "epochs": 5}
        for x, c, n in itertools.product([0.0, 0.5, 1.0], ["a", "b", "c"], [1, 2, 3])
    ]
    assert sorted(keys(configs, space)) == sorted(keys(expected, space))
    assert searcher.suggest(99) is None


def test_grid_without_shuffle_is_in_product_order():
    space = {"c": choice(["a", "b"]), "n": randint(1, 3)}
    configs = drain(GridSearcher(space, metric="loss", points_to_evaluate=[], shuffle_config=False))
    assert configs == [{"c": c, "n": n} for c, n in itertools.product(["a", "b"], [1, 2, 3])]


def test_grid_num_samples_dict_per_hyperparameter():
    space = {"x": uniform(0.0, 1.0), "y": loguniform(1.0, 100.0), "z": uniform(0.0, 1.0)}
    searcher = GridSearcher(
        space, metric="loss", points_to_evaluate=[], num_samples={"x": 2, "y": 3}
    )
    assert searcher.grid_size == 2 * 3 * 5  # z keeps the default of 5
    configs = drain(searcher)
    assert sorted({c["x"] for c in configs}) == [0.0, 1.0]
    assert sorted({round(c["y"], 9) for c in configs}) == [1.0, 10.0, 100.0]
    assert len({c["z"] for c in configs}) == 5

    with pytest.raises(ValueError, match="'nope'"):
        GridSearcher(space, metric="loss", num_samples={"nope": 3})
    with pytest.raises(ValueError, match="'x'"):
        GridSearcher(space, metric="loss", num_samples={"x": 0})


def test_grid_points_to_evaluate_first_and_never_twice():
    # Syne Tune #560: the imputed midpoint configuration was run again when the grid reached it
    space = {"x": uniform(0.0, 1.0), "c": choice(["a", "b"])}
    searcher = GridSearcher(space, metric="loss", random_seed=0)
    configs = drain(searcher)
    assert configs[0] == {"x": 0.5, "c": "a"}
    assert len(configs) == 10 == searcher.grid_size
    assert len(set(keys(configs, space))) == 10

    off_grid = {"x": 0.3, "c": "b"}
    configs = drain(GridSearcher(space, metric="loss", points_to_evaluate=[off_grid, {"x": 1.0}]))
    assert configs[:2] == [off_grid, {"x": 1.0, "c": "a"}]
    assert len(configs) == 11 and len(set(keys(configs, space))) == 11


def test_grid_shuffle_is_seeded():
    space = {"x": uniform(0.0, 1.0), "y": uniform(0.0, 1.0)}

    def run(seed: int) -> list[dict]:
        return drain(GridSearcher(space, metric="loss", points_to_evaluate=[], random_seed=seed))

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert sorted(keys(run(1), space)) == sorted(keys(run(2), space))


def test_grid_is_lazy_for_huge_products():
    space = {f"x{i}": uniform(0.0, 1.0) for i in range(20)}  # 5**20, about 1e14 points
    searcher = GridSearcher(space, metric="loss", points_to_evaluate=[], random_seed=0)
    assert searcher.grid_size == 5**20
    configs = [searcher.suggest(i) for i in range(200)]
    assert len(set(keys(configs, space))) == 200
    assert all(set(c) == set(space) for c in configs)


def test_grid_bad_config_space_names_the_hyperparameter():
    with pytest.raises(ValueError, match="'c'"):
        GridSearcher({"c": choice([])}, metric="loss")


# ---------------------------------------------------------------- registration


def test_searchers_are_registered_by_name():
    synetune.plugins.reset()
    assert {"random", "grid"} <= set(synetune.searchers.names())
    searcher = synetune.searchers.create(
        "random", config_space=SMALL, metric="loss", mode="max", random_seed=0
    )
    assert isinstance(searcher, RandomSearcher)
    assert searcher.mode == "max"
    grid = synetune.searchers.create(
        "grid", config_space=SMALL, metric="loss", points_to_evaluate=[]
    )
    assert isinstance(grid, GridSearcher)
    assert len(drain(grid)) == 6
