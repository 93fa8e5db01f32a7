"""Syne Tune's quantized and reverse-log domains: quniform, qloguniform, qrandint, qlograndint,
reverseloguniform, everywhere a domain is used (sampling, casting, validation, grids, JSON,
the encoder of model-based searchers)."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest

from synetune_sdk.config_space import (
    Float,
    Integer,
    cast_config,
    config_key,
    config_space_from_json,
    config_space_size,
    config_space_to_json,
    impute_points_to_evaluate,
    is_valid_config,
    qlograndint,
    qloguniform,
    qrandint,
    quniform,
    reverseloguniform,
    sample_config,
    uniform,
    validate_config_space,
)
from synetune_sdk.encoding import ConfigEncoder

SPACE = {
    "a": quniform(0.1, 1.0, 0.1),
    "b": qloguniform(0.5, 100.0, 0.5),
    "c": qrandint(1, 10, 3),
    "d": qlograndint(1, 1000, 5),
    "e": reverseloguniform(0.9, 0.9999),
    "n": 7,
}


def draws(domain, n=3000, seed=0):
    return domain.sample(np.random.default_rng(seed), size=n)


def test_quniform_takes_every_multiple_of_q_between_the_inclusive_bounds():
    values = draws(SPACE["a"])
    assert sorted(set(values)) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert all(type(v) is float for v in values)
    assert SPACE["a"].size() == 10 and SPACE["a"].grid(100) == sorted(set(values))


def test_qloguniform_is_log_uniform_rounded_to_q():
    values = draws(SPACE["b"])
    assert min(values) >= 0.5 and max(values) <= 100.0
    assert all(math.isclose(v / 0.5, round(v / 0.5)) for v in values)
    assert np.median(values) < 15  # log-uniform: half the mass below sqrt(0.5 * 100) ~ 7


def test_qrandint_and_qlograndint_stay_on_multiples_inside_the_range():
    assert sorted(set(draws(SPACE["c"]))) == [3, 6, 9]  # 1 and 10 are no multiples of 3
    assert SPACE["c"].size() == 3 and qrandint(0, 10).size() == 11  # q defaults to 1
    values = draws(SPACE["d"])
    assert all(type(v) is int and v % 5 == 0 and 5 <= v <= 1000 for v in values)
    assert np.median(values) < 100  # log scale


def test_reverseloguniform_makes_one_minus_x_log_uniform():
    values = np.array(draws(SPACE["e"]))
    assert values.min() >= 0.9 and values.max() <= 0.9999
    # -log10(1 - x) is uniform on [1, 4]
    assert np.mean(-np.log10(1 - values) < 2.5) == pytest.approx(0.5, abs=0.05)
    assert SPACE["e"].midpoint() == pytest.approx(1 - math.sqrt(0.1 * 0.0001))
    grid = SPACE["e"].grid(4)
    assert grid[0] == 0.9 and grid[-1] == pytest.approx(0.9999)
    assert np.allclose(np.diff(-np.log10(1 - np.array(grid))), 1.0)


def test_cast_rounds_to_the_grid_and_is_valid_checks_it():
    config = cast_config({"a": "0.33", "b": 7.3, "c": 7.4, "d": "12", "e": "0.95"}, SPACE)
    assert config == {"a": 0.3, "b": 7.5, "c": 6, "d": 10, "e": 0.95}
    assert is_valid_config({**config, "n": 7}, SPACE)
    assert not SPACE["a"].is_valid(0.35) and not SPACE["c"].is_valid(4)
    assert not SPACE["e"].is_valid(0.5) and SPACE["e"].is_valid(0.99)
    assert SPACE["c"].cast(100) == 9  # the nearest multiple in the range


def test_sampled_configs_are_valid_and_keys_distinguish_them():
    rng = np.random.default_rng(1)
    configs = [sample_config(SPACE, rng) for _ in range(100)]
    assert all(is_valid_config(c, SPACE) for c in configs)
    assert config_key({**configs[0], "a": 0.1 + 0.2}, SPACE) == config_key(
        {**configs[0], "a": 0.3}, SPACE
    )
    assert config_space_size({"a": SPACE["a"], "c": SPACE["c"]}) == 30
    assert config_space_size(SPACE) is None  # reverseloguniform is continuous
    midpoints = impute_points_to_evaluate(None, SPACE)[0]
    assert is_valid_config(midpoints, SPACE)


def test_json_round_trip_and_old_json_is_unchanged():
    data = json.loads(json.dumps(config_space_to_json(SPACE)))
    assert config_space_from_json(data) == SPACE
    assert data["a"]["domain_kwargs"] == {"lower": 0.1, "upper": 1.0, "log": False, "q": 0.1}
    assert data["e"]["domain_kwargs"]["reverse_log"] is True
    # domains without q keep the JSON they had
    assert config_space_to_json({"x": uniform(0, 1)})["x"]["domain_kwargs"] == {
        "lower": 0.0,
        "upper": 1.0,
        "log": False,
    }


def test_domains_pickled_before_q_existed_load():
    old = Float(0.0, 1.0)
    del old.q, old.reverse_log  # as the previous version pickled it
    loaded = pickle.loads(pickle.dumps(old))
    assert loaded == uniform(0.0, 1.0) and loaded.size() is None
    assert 0.0 <= loaded.sample(0) <= 1.0
    legacy_int = Integer(1, 5)
    del legacy_int.q
    assert pickle.loads(pickle.dumps(legacy_int)).grid(10) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "domain, message",
    [
        (quniform(0.15, 1.0, 0.1), "multiples of q"),
        (quniform(0.0, 1.0, 0.0), "q=0.0"),
        (quniform(0.0, 1.0, "a"), "q='a'"),
        (qrandint(1, 10, 0), "q=0"),
        (qrandint(1, 10, 2.5), "q=2.5"),
        (qrandint(6, 8, 5), "no multiple of q=5"),
        (reverseloguniform(0.5, 1.0), "0 <= lower < upper < 1"),
        (reverseloguniform(-0.1, 0.5), "0 <= lower < upper < 1"),
    ],
)
def test_bad_arguments_are_reported_with_the_hyperparameter(domain, message):
    with pytest.raises(ValueError, match="hyperparameter 'h'") as err:
        validate_config_space({"h": domain})
    assert message in str(err.value)


def test_encoder_round_trips_and_decodes_onto_the_grid():
    encoder = ConfigEncoder(SPACE)
    assert encoder.dim == 5
    rng = np.random.default_rng(2)
    configs = [sample_config(SPACE, rng) for _ in range(200)]
    assert encoder.decode(encoder.encode(configs)) == configs
    rows = encoder.sample_encoded(500, 3)
    decoded = encoder.decode(rows)
    assert all(is_valid_config(c, SPACE) for c in decoded)
    assert np.allclose(encoder.snap(rows), encoder.encode(decoded))
    # every multiple of q of an integer owns the same width of the column
    column = encoder.decode(np.tile(np.linspace(0, 1, 3001)[:, None], (1, 5)))
    counts = np.unique([c["c"] for c in column], return_counts=True)[1]
    assert counts.min() > 0.95 * counts.max()
    # reverseloguniform: the column is uniform in -log(1 - x)
    middle = encoder.decode(np.full((1, 5), 0.5))[0]["e"]
    assert middle == pytest.approx(SPACE["e"].midpoint())


def test_encoder_enumerates_a_finite_quantized_space():
    space = {"a": quniform(0.0, 0.4, 0.1), "c": qrandint(0, 10, 5)}
    rows = ConfigEncoder(space).enumerate_encoded(100)
    assert rows is not None and len(rows) == 5 * 3
    configs = ConfigEncoder(space).decode(rows)
    assert {c["a"] for c in configs} == {0.0, 0.1, 0.2, 0.3, 0.4}
    assert {c["c"] for c in configs} == {0, 5, 10}
