"""Search-space domains: sampling, validation, casting, JSON and helper functions."""

from __future__ import annotations

import json

import pytest

from synetune_sdk.config_space import (
    Domain,
    cast_config,
    choice,
    config_key,
    config_space_from_json,
    config_space_size,
    config_space_to_json,
    finrange,
    impute_points_to_evaluate,
    is_valid_config,
    logfinrange,
    logordinal,
    lograndint,
    loguniform,
    ordinal,
    randint,
    sample_config,
    uniform,
    validate_config_space,
)

SPACE = {
    "lr": loguniform(1e-4, 1e-1),
    "dropout": uniform(0.0, 0.5),
    "layers": randint(1, 4),
    "units": lograndint(8, 512),
    "act": choice(["relu", "tanh"]),
    "batch": ordinal([16, 32, 64]),
    "wd": logordinal([1e-5, 1e-4, 1e-3]),
    "mom": finrange(0.8, 0.99, 5),
    "scale": logfinrange(1, 1000, 4, cast_int=True),
    "epochs": 10,
    "name": "const",
}


def test_samples_are_valid_and_constants_pass_through():
    for seed in range(50):
        config = sample_config(SPACE, seed)
        assert is_valid_config(config, SPACE), config
        assert config["epochs"] == 10 and config["name"] == "const"
        assert isinstance(config["layers"], int) and 1 <= config["layers"] <= 4


def test_randint_upper_bound_is_inclusive():
    values = set(randint(1, 3).sample(0, size=300))
    assert values == {1, 2, 3}


def test_loguniform_is_log_distributed():
    values = loguniform(1e-4, 1.0).sample(1, size=4000)
    below = sum(v < 1e-2 for v in values) / len(values)
    assert 0.45 < below < 0.55


def test_seeded_sampling_is_reproducible():
    assert sample_config(SPACE, 3) == sample_config(SPACE, 3)
    assert sample_config(SPACE, 3) != sample_config(SPACE, 4)


@pytest.mark.parametrize(
    "space, message",
    [
        ({"lr": uniform(1.0, 0.1)}, "'lr'.*lower=1.0 must be smaller"),
        ({"lr": loguniform(0.0, 1.0)}, "'lr'.*log domain needs lower > 0"),
        ({"n": randint(5, 5)}, "'n'.*must be smaller"),
        ({"act": choice([])}, "'act'.*must not be empty"),
        ({"mixed": choice([1, "a"])}, "'mixed'.*same type"),
        ({"st_bad": 1}, "reserved"),
        ({"o": ordinal([3, 1, 2], kind="nn")}, "'o'.*increasing"),
    ],
)
def test_bad_domains_name_the_hyperparameter(space, message):
    with pytest.raises(ValueError, match=message):
        validate_config_space(space)


def test_json_round_trip():
    data = json.loads(json.dumps(config_space_to_json(SPACE)))
    assert config_space_from_json(data) == SPACE


def test_cast_config_from_strings():
    config = cast_config(
        {"lr": "0.01", "layers": "3", "act": "tanh", "batch": "32", "epochs": "10"}, SPACE
    )
    assert config["lr"] == 0.01 and config["layers"] == 3 and config["batch"] == 32
    with pytest.raises(ValueError, match="'act'"):
        cast_config({"act": "sigmoid"}, SPACE)


def test_impute_points_to_evaluate():
    assert impute_points_to_evaluate([], SPACE) == []
    [mid] = impute_points_to_evaluate(None, SPACE)
    assert (
        mid["layers"] == 2 and mid["act"] == "relu" and mid["batch"] == 32 and mid["epochs"] == 10
    )
    assert mid["lr"] == pytest.approx(10**-2.5)
    [partial] = impute_points_to_evaluate([{"layers": 4}], SPACE)
    assert partial["layers"] == 4 and partial["dropout"] == 0.25
    with pytest.raises(ValueError, match="not in the config space"):
        impute_points_to_evaluate([{"unknown": 1}], SPACE)


def test_sizes_grids_and_keys():
    assert config_space_size({"a": randint(1, 3), "b": choice(["x", "y"]), "c": 5}) == 6
    assert config_space_size(SPACE) is None
    assert uniform(0, 1).grid(3) == [0.0, 0.5, 1.0]
    assert randint(1, 3).grid(5) == [1, 2, 3]
    assert logfinrange(1, 1000, 4, cast_int=True).values == [1, 10, 100, 1000]
    # rounding may repeat values, as in Syne Tune: such a space stays valid
    validate_config_space({"n": logfinrange(1, 100, 20, cast_int=True)})
    a = {"lr": 0.1, "layers": 2, "epochs": 10}
    assert config_key(a, SPACE) == config_key({**a, "epochs": 3}, SPACE)
    assert isinstance(SPACE["lr"], Domain)


def test_ordinal_nearest_neighbour_sampling_stays_in_categories():
    domain = logordinal([1, 10, 100, 1000])
    values = domain.sample(0, size=400)
    assert set(values) == {1, 10, 100, 1000}


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    "make, bad",
    [
        (lambda: uniform(0, INF), "upper=inf"),
        (lambda: uniform(-INF, 0), "lower=-inf"),
        (lambda: uniform(NAN, 1.0), "lower=nan"),
        (lambda: uniform(0.0, NAN), "upper=nan"),
        (lambda: loguniform(1e-3, INF), "upper=inf"),
        (lambda: randint(0, INF), "upper=inf"),
        (lambda: randint(NAN, 3), "lower=nan"),
        (lambda: lograndint(1, INF), "upper=inf"),
        (lambda: finrange(0.0, INF, 5), "upper=inf"),
        (lambda: logfinrange(NAN, 1.0, 3), "lower=nan"),
        (lambda: finrange(0.0, 1.0, INF), "size=inf"),
        (lambda: ordinal([1.0, 2.0, INF]), "inf"),
        (lambda: logordinal([1e-3, INF]), "inf"),
        (lambda: choice([1.0, NAN]), "nan"),
    ],
)
def test_non_finite_bounds_are_rejected_by_validation_naming_the_hyperparameter(make, bad):
    domain = make()  # building the domain is fine; validating the space says what is wrong
    with pytest.raises(ValueError) as err:
        validate_config_space({"epochs": 3, "lr": domain})
    message = str(err.value)
    assert message.startswith("hyperparameter 'lr'"), message
    assert bad in message and "finite" in message, message
    assert "use " in message, message  # says what to use instead
