"""The EHVI searcher and scheduler: conformance kits, model-based steps, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from synetune_plugin_botorch.ehvi import EHVISearcher
from synetune_plugin_botorch.gp import acquisition_starts

import synetune
from synetune_sdk.config_space import uniform
from synetune_sdk.multiobjective import hypervolume
from synetune_sdk.testing import SchedulerContract, SearcherContract


@pytest.fixture(autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SMALL = {"num_restarts": 2, "raw_samples": 32, "mc_samples": 16}
# The kits report one metric, "loss", and "epoch" in every result: the second objective is
# "epoch" (constant in the searcher kit, which also checks a constant objective is handled).


def _both(metric, mode):
    return [metric, "epoch"], [mode, "min"]


class TestEHVISearcherContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        metrics, modes = _both(metric, mode)
        # model-based from the 6th suggestion: the kit's runs of 6 and 8 reach the model
        return EHVISearcher(
            config_space,
            metrics,
            modes,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            num_init_random=5,
            **SMALL,
        )


class TestEHVISchedulerContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        metrics, modes = _both(metric, mode)
        return synetune.schedulers.create(
            "ehvi",
            config_space=config_space,
            metric=metrics,
            mode=modes,
            random_seed=random_seed,
            search_options={"num_init_random": 10, **SMALL},
        )


def _zdt1(config):
    x = [config[f"x{i}"] for i in range(1, 4)]
    g = 1 + 9 * (x[1] + x[2]) / 2
    return {"f1": x[0], "f2": g * (1 - math.sqrt(x[0] / g)), "acc": -x[0]}


SPACE = {f"x{i}": uniform(0.0, 1.0) for i in range(1, 4)}


def _run(searcher, n, pending_last=False):
    configs, Y = [], []
    for trial_id in range(n):
        config = searcher.suggest(trial_id)
        searcher.register_pending(trial_id, config)
        configs.append(config)
        if pending_last and trial_id == n - 1:
            break
        result = _zdt1(config)
        Y.append([result["f1"], result["f2"]])
        searcher.on_trial_complete(trial_id, config, result)
    return configs, np.array(Y)


def test_model_based_suggestions_improve_on_random():
    searcher = EHVISearcher(SPACE, ["f1", "f2"], random_seed=0, num_init_random=5, **SMALL)
    configs, Y = _run(searcher, 12)
    assert configs[0] == {"x1": 0.5, "x2": 0.5, "x3": 0.5}  # the midpoint comes first
    assert len({tuple(c.values()) for c in configs}) == 12
    # the model-based half reaches points close to the front (x2 = x3 = 0) more than random
    rng = np.random.default_rng(0)
    random_Y = np.array([list(_zdt1(dict(zip(SPACE, rng.uniform(size=3)))).values())[:2]])
    for _ in range(6):
        config = dict(zip(SPACE, rng.uniform(size=3)))
        random_Y = np.vstack([random_Y, list(_zdt1(config).values())[:2]])
    assert hypervolume(Y, (11, 11)) > hypervolume(np.vstack([Y[:5], random_Y]), (11, 11))


def test_pending_configuration_and_mode_max_and_reference_point():
    searcher = EHVISearcher(
        SPACE,
        ["f1", "acc"],
        mode=["min", "max"],
        random_seed=1,
        num_init_random=3,
        reference_point=[2.0, -2.0],
        **SMALL,
    )
    # in minimisation form: f1 < 2 and -acc < 2
    assert searcher.current_reference_point().tolist() == [2.0, 2.0]
    configs, _ = _run(searcher, 6, pending_last=True)
    assert len(searcher._pending) == 1
    config = searcher.suggest(6)  # model-based with a pending configuration
    assert config is not None and config not in configs
    assert searcher.metric == ["f1", "acc"] and searcher.mode == ["min", "max"]


def test_default_reference_point_follows_the_data():
    searcher = EHVISearcher(SPACE, ["f1", "f2"], random_seed=2, num_init_random=3, **SMALL)
    _, Y = _run(searcher, 4)
    nadir, ideal = Y.max(axis=0), Y.min(axis=0)
    expected = nadir + 0.1 * (nadir - ideal)
    assert searcher.current_reference_point() == pytest.approx(expected)


def test_nan_and_missing_objectives_are_left_out():
    searcher = EHVISearcher(
        SPACE, ["f1", "f2"], random_seed=0, num_init_random=2, points_to_evaluate=[], **SMALL
    )
    results = [
        {"f1": 0.1, "f2": math.nan},
        {"f1": 0.2},
        {"f1": 0.3, "f2": 2.0},
        {"f1": math.inf, "f2": 1.0},
        {"f1": 0.5, "f2": 1.0},
        {"f1": 0.6, "f2": 0.5},
    ]
    for trial_id, result in enumerate(results):
        config = searcher.suggest(trial_id)
        assert config is not None
        searcher.on_trial_complete(trial_id, config, result)
    assert len(searcher._observed) == 3
    assert searcher.suggest(len(results)) is not None


def test_same_seed_same_model_based_suggestions():
    def run(seed):
        return _run(EHVISearcher(SPACE, ["f1", "f2"], random_seed=seed, **SMALL), 5)[0]

    assert run(5) == run(5)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="multi-objective: pass metric as a list"):
        EHVISearcher(SPACE, "f1")
    with pytest.raises(ValueError, match="at least two metric names"):
        EHVISearcher(SPACE, ["f1"])
    with pytest.raises(ValueError, match="mode has 3 entries but metric has 2"):
        EHVISearcher(SPACE, ["f1", "f2"], mode=["min", "min", "max"])
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        EHVISearcher(SPACE, ["f1", "f2"], mode=["min", "maximize"])
    with pytest.raises(ValueError, match="distinct"):
        EHVISearcher(SPACE, ["f1", "f1"])
    with pytest.raises(ValueError, match="reference_point must hold 2 finite numbers"):
        EHVISearcher(SPACE, ["f1", "f2"], reference_point=[1.0])
    with pytest.raises(ValueError, match="reference_point must hold 2 finite numbers"):
        EHVISearcher(SPACE, ["f1", "f2"], reference_point=[1.0, math.nan])
    with pytest.raises(ValueError, match="num_init_random must be an integer >= 2"):
        EHVISearcher(SPACE, ["f1", "f2"], num_init_random=1)
    # the scheduler says the same before building anything
    with pytest.raises(ValueError, match="multi-objective: pass metric as a list"):
        synetune.schedulers.create("ehvi", config_space=SPACE, metric="f1")
    with pytest.raises(ValueError, match="mode has 1 entries but metric has 2"):
        synetune.schedulers.create("EHVI", config_space=SPACE, metric=["f1", "f2"], mode=["min"])


def test_registered_names_and_aliases():
    scheduler = synetune.schedulers.create(
        "EHVI",
        config_space=SPACE,
        metric=["f1", "f2"],
        mode="min",
        random_seed=0,
        search_options=SMALL,
    )
    assert scheduler.metric_names() == ["f1", "f2"]
    searcher = synetune.searchers.create(
        "ExpectedHyperVolumeImprovement", config_space=SPACE, metric=["f1", "f2"], **SMALL
    )
    assert isinstance(searcher, EHVISearcher)
    assert scheduler.suggest(0).config == {"x1": 0.5, "x2": 0.5, "x3": 0.5}


def test_acquisition_starts_refine_next_to_the_anchors():
    # an acquisition peaked at a point on the boundary (x1 = 0), as the front of zdt1 is
    target = torch.tensor([0.0, 0.3, 0.7], dtype=torch.double)

    def acquisition(X):
        return -((X.squeeze(1) - target) ** 2).sum(-1)

    anchors = torch.tensor([[0.01, 0.31, 0.69], [0.9, 0.9, 0.9]], dtype=torch.double)
    starts = acquisition_starts(acquisition, anchors, raw_samples=16, num_restarts=3, seed=0)
    assert starts.shape == (3, 1, 3)
    assert bool((starts >= 0).all() and (starts <= 1).all())  # moves are clamped into the box
    distances = ((starts.squeeze(1) - target) ** 2).sum(-1).sqrt()
    assert float(distances.min()) < 0.02  # the anchor or a move next to it
    # without anchors, 16 random points land nowhere near the peak
    raw_only = acquisition_starts(acquisition, torch.empty(0, 3, dtype=torch.double), 16, 3, seed=0)
    assert float(((raw_only.squeeze(1) - target) ** 2).sum(-1).sqrt().min()) > 0.05
    again = acquisition_starts(acquisition, anchors, raw_samples=16, num_restarts=3, seed=0)
    assert torch.equal(starts, again)


def test_starts_come_from_the_observed_pareto_set():
    searcher = EHVISearcher(SPACE, ["f1", "f2"], random_seed=0, num_init_random=3, **SMALL)
    Y_min = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.6, 0.6], [1.0, 1.0]])
    assert searcher._pareto_rows(Y_min) == [0, 1, 2]


def test_starts_take_a_few_random_points_of_a_large_front():
    # 20 points on the front x + y = 1 and 10 behind it: at most front_starts of the front
    front = np.linspace(0.0, 1.0, 20)
    Y_min = np.vstack([np.column_stack([front, 1 - front]), np.full((10, 2), 2.0)])

    def rows(seed, front_starts=4):
        searcher = EHVISearcher(
            SPACE, ["f1", "f2"], random_seed=seed, front_starts=front_starts, **SMALL
        )
        return [searcher._pareto_rows(Y_min) for _ in range(3)]

    drawn = rows(0)
    assert all(len(r) == 4 and set(r) <= set(range(20)) for r in drawn)
    assert len({tuple(r) for r in drawn}) > 1  # other points of the front at the next suggestion
    assert rows(0) == drawn  # the same seed draws the same points
    assert rows(0, front_starts=0) == [[], [], []]  # raw samples only
    with pytest.raises(ValueError, match="front_starts must be an integer >= 0"):
        EHVISearcher(SPACE, ["f1", "f2"], front_starts=-1)
