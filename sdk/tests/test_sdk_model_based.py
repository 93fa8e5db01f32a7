"""The shared base of model-based searchers: order of suggestions, no duplicates, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synetune_sdk.config_space import choice, randint, uniform
from synetune_sdk.model_based import ModelBasedSearcher, check_integers, finite_or_none


class FixedModel(ModelBasedSearcher):
    """A 'model' that always proposes the same row once it has two observations."""

    def __init__(self, config_space, **kwargs):
        super().__init__(config_space, "loss", **kwargs)
        self.observed = 0

    def on_trial_complete(self, trial_id, config, result):
        self._mark_seen(config)
        self.observed += 1

    def _model_ready(self):
        return self.observed >= 2

    def _model_row(self, **kwargs):
        return np.full(self.encoder.dim, 0.5)


def test_points_to_evaluate_then_random_then_model_then_random_when_the_model_repeats():
    space = {"x": uniform(0.0, 1.0), "y": uniform(0.0, 1.0)}
    searcher = FixedModel(space, points_to_evaluate=[{"x": 0.1}], random_seed=0)
    first = searcher.suggest(0)
    assert first == {"x": 0.1, "y": 0.5}  # missing values imputed with the domain's middle
    searcher.on_trial_complete(0, first, {"loss": 1.0})
    second = searcher.suggest(1)  # model not ready: random
    searcher.on_trial_complete(1, second, {"loss": 1.0})
    third = searcher.suggest(2)  # the model's row
    assert third == {"x": 0.5, "y": 0.5}
    fourth = searcher.suggest(3)  # the model repeats itself: a random configuration instead
    assert fourth != third and len({str(c) for c in (first, second, third, fourth)}) == 4


def test_finite_space_is_exhausted_without_duplicates():
    space = {"a": choice(["p", "q"]), "n": randint(1, 3)}
    searcher = FixedModel(space, random_seed=1)
    configs = []
    while (config := searcher.suggest(len(configs))) is not None:
        configs.append(config)
        searcher.on_trial_complete(len(configs) - 1, config, {"loss": 0.0})
    assert sorted((c["a"], c["n"]) for c in configs) == [
        (a, n) for a in ("p", "q") for n in (1, 2, 3)
    ]


def test_allow_duplicates_lets_the_model_repeat():
    searcher = FixedModel({"x": uniform(0.0, 1.0)}, allow_duplicates=True, random_seed=0)
    for trial_id in range(2):
        searcher.on_trial_complete(trial_id, searcher.suggest(trial_id), {"loss": 0.0})
    assert searcher.suggest(2) == searcher.suggest(3) == {"x": 0.5}


def test_bad_input_says_what_to_fix():
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        FixedModel({"x": uniform(0.0, 1.0)}, mode="down")
    with pytest.raises(ValueError, match="metric must be the name"):
        ModelBasedSearcher({"x": uniform(0.0, 1.0)}, "")
    with pytest.warns(UserWarning, match=r"unknown option\(s\) \['acqusition'\]"):
        FixedModel({"x": uniform(0.0, 1.0)}, acqusition="ei")
    with pytest.raises(ValueError, match="num_init_random must be an integer >= 0, got -1"):
        check_integers([("num_init_random", -1, 0)])
    with pytest.raises(ValueError, match="got True"):
        check_integers([("num_init_random", True, 0)])


def test_finite_or_none():
    assert finite_or_none("0.5") == 0.5 and finite_or_none(True) == 1.0
    for bad in (None, "x", math.nan, math.inf, [1]):
        assert finite_or_none(bad) is None
