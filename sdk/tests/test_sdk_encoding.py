"""The config-space encoding shared by model-based searchers (``synetune_sdk.encoding``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synetune_sdk.config_space import (
    choice,
    finrange,
    is_valid_config,
    logfinrange,
    logordinal,
    lograndint,
    loguniform,
    ordinal,
    randint,
    sample_config,
    uniform,
)
from synetune_sdk.encoding import ConfigEncoder

SPACE = {
    "lr": loguniform(1e-4, 1.0),
    "dropout": uniform(0.0, 0.5),
    "layers": randint(1, 4),
    "units": lograndint(1, 512),
    "act": choice(["relu", "tanh", "gelu"]),
    "batch": ordinal([16, 32, 128]),
    "wd": logordinal([1e-5, 1e-3, 1e-1]),
    "size": ordinal(["small", "medium", "large"]),
    "momentum": finrange(0.5, 0.9, 5),
    "width": logfinrange(8, 256, 6, cast_int=True),
    "epochs": 10,
    "single": choice(["only"]),
}


def test_dimension_counts_one_hot_and_drops_constants():
    encoder = ConfigEncoder(SPACE)
    # 9 one-column hyperparameters + 3 one-hot columns; "epochs" and "single" take none.
    assert encoder.dim == 12
    assert "epochs" not in encoder.names and "single" not in encoder.names
    assert [s.stop - s.start for s in encoder.onehot_slices] == [3]


def test_round_trip_of_sampled_configs():
    encoder = ConfigEncoder(SPACE)
    rng = np.random.default_rng(0)
    configs = [sample_config(SPACE, rng) for _ in range(300)]
    X = encoder.encode(configs)
    assert X.shape == (300, encoder.dim)
    assert X.min() >= 0.0 and X.max() <= 1.0
    decoded = encoder.decode(X)
    for original, back in zip(configs, decoded):
        assert set(back) == set(SPACE)
        for name, value in original.items():
            if isinstance(value, float):
                assert math.isclose(back[name], value, rel_tol=1e-9), name
            else:
                assert back[name] == value, name
    assert np.allclose(encoder.snap(X), X)


def test_decode_of_arbitrary_rows_gives_valid_configs_with_constants():
    encoder = ConfigEncoder(SPACE)
    X = np.random.default_rng(1).uniform(-0.2, 1.2, size=(500, encoder.dim))
    for config in encoder.decode(X):
        assert is_valid_config(config, SPACE), config
        assert config["epochs"] == 10 and config["single"] == "only"
        assert isinstance(config["layers"], int) and isinstance(config["width"], int)


def test_log_scale_and_integer_bins():
    encoder = ConfigEncoder({"lr": loguniform(1e-4, 1.0), "k": randint(0, 3)})
    X = encoder.encode([{"lr": 1e-2, "k": 0}, {"lr": 1.0, "k": 3}])
    assert X[0, 0] == pytest.approx(0.5)  # 1e-2 is halfway between 1e-4 and 1 on the log scale
    assert X[1, 0] == pytest.approx(1.0)
    # Each of the 4 integers owns a quarter of [0, 1].
    assert X[0, 1] == pytest.approx(0.125, abs=1e-5) and X[1, 1] == pytest.approx(0.875, abs=1e-5)
    decoded = encoder.decode(np.array([[0.0, 0.01], [1.0, 0.26], [0.5, 0.74], [0.5, 0.99]]))
    assert [c["k"] for c in decoded] == [0, 1, 2, 3]


def test_ordinal_kinds():
    encoder = ConfigEncoder({"e": ordinal(["a", "b", "c"]), "g": logordinal([1, 10, 100])})
    X = encoder.encode([{"e": "b", "g": 10}])
    assert X[0, 0] == pytest.approx(0.5) and X[0, 1] == pytest.approx(0.5)
    # nn-log: nearest on the log scale, so 0.7 (about 25) decodes to 10 and 0.8 (about 40) to 100
    assert [c["g"] for c in encoder.decode(np.array([[0.5, 0.7], [0.5, 0.8]]))] == [10, 100]


def test_sample_encoded_is_uniform_over_categories_and_snapped():
    encoder = ConfigEncoder({"c": choice(["x", "y"]), "k": randint(1, 2), "u": uniform(0, 1)})
    X = encoder.sample_encoded(2000, 0)
    assert np.allclose(encoder.snap(X), X)
    assert np.all(X[:, :2].sum(1) == 1.0)
    assert 0.4 < X[:, 0].mean() < 0.6
    values = [c["k"] for c in encoder.decode(X)]
    assert 0.4 < values.count(1) / len(values) < 0.6


def test_enumerate_finite_space():
    encoder = ConfigEncoder({"c": choice(["x", "y", "z"]), "k": randint(1, 2), "e": 3})
    rows = encoder.enumerate_encoded(100)
    configs = encoder.decode(rows)
    assert len(configs) == 6 and len({(c["c"], c["k"]) for c in configs}) == 6
    assert encoder.enumerate_encoded(5) is None
    assert ConfigEncoder({"u": uniform(0, 1)}).enumerate_encoded(10**6) is None


def test_constants_only_space_has_zero_columns():
    encoder = ConfigEncoder({"a": 1, "b": choice(["x"])})
    assert encoder.dim == 0
    assert encoder.decode(np.zeros((1, 0))) == [{"a": 1, "b": "x"}]
    assert encoder.sample_encoded(3, 0).shape == (3, 0)


def test_bad_input_names_the_hyperparameter():
    encoder = ConfigEncoder({"act": choice(["relu", "tanh"]), "u": uniform(0, 1)})
    with pytest.raises(ValueError, match="act"):
        encoder.encode({"act": "sigmoid", "u": 0.5})
    with pytest.raises(ValueError, match="'u'"):
        encoder.encode({"act": "relu"})
    with pytest.raises(ValueError, match="columns"):
        encoder.decode(np.zeros((1, 5)))


def test_booleans_and_numbers_are_distinct_categories():
    encoder = ConfigEncoder({"flag": choice([True, False]), "n": choice([1, 0])})
    X = encoder.encode([{"flag": False, "n": 1}])
    assert encoder.decode(X) == [{"flag": False, "n": 1}]
