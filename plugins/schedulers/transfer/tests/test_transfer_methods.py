"""synetune-plugin-transfer: conformance kits and what each transfer method does."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import synetune
from synetune_sdk import Trial
from synetune_sdk.config_space import choice, logfinrange, randint, uniform
from synetune_sdk.testing import (
    MAX_RESOURCE_ATTR,
    RESOURCE_ATTR,
    SchedulerContract,
    SearcherContract,
    contract_config_space,
)
from synetune_sdk.transfer import TransferLearningTaskEvaluations

SHIFTS = {"task-a": 0.2, "task-b": 0.3, "task-c": 0.4}


def task_loss(x: float, y: int, c: str, shift: float) -> float:
    return (x - shift) ** 2 + 0.1 * y + 0.05 * (c == "b")


def make_evaluations(space=None, metric="loss", n=40, seed=0, shifts=SHIFTS):
    """Every task evaluated on the same ``n`` random configurations, 2 seeds, 3 epochs."""
    space = space or contract_config_space()
    rng = np.random.default_rng(seed)
    hps = pd.DataFrame(
        {
            "x": rng.uniform(0, 1, n).round(3),
            "y": rng.integers(1, 5, n),
            "c": rng.choice(["a", "b"], n),
        }
    )
    out = {}
    for task, shift in shifts.items():
        final = np.array([task_loss(r.x, r.y, r.c, shift) for r in hps.itertuples()])
        curve = final[:, None] + np.array([1.0, 0.5, 0.0])[None, :]  # improves over epochs
        values = np.stack([curve, curve + 0.01], axis=1)[..., None]  # 2 seeds
        out[task] = TransferLearningTaskEvaluations(space, hps, [metric], values)
    return out


EVALS = make_evaluations()


def create(name, config_space, metric, mode, random_seed, **kwargs):
    return synetune.schedulers.create(
        name,
        config_space=config_space,
        metric=metric,
        mode=mode,
        random_seed=random_seed,
        transfer_learning_evaluations=make_evaluations(config_space, metric),
        **kwargs,
    )


class TestZeroShotContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return create("zero_shot", config_space, metric, mode, random_seed)


class TestQuantileBasedContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return create("quantile_based", config_space, metric, mode, random_seed)


class TestBoundingBoxContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        # 3 per task: with mode="max" the single worst configuration of each task coincide
        return create(
            "bounding_box", config_space, metric, mode, random_seed, num_hyperparameters_per_task=3
        )


class TestASHACTSContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return create(
            "asha_cts",
            config_space,
            metric,
            mode,
            random_seed,
            resource_attr=RESOURCE_ATTR,
            max_resource_attr=MAX_RESOURCE_ATTR,
        )


class TestRUSHContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return create(
            "rush",
            config_space,
            metric,
            mode,
            random_seed,
            resource_attr=RESOURCE_ATTR,
            max_resource_attr=MAX_RESOURCE_ATTR,
        )


class TestZeroShotSearcherContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return synetune.searchers.create(
            "zero_shot",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            transfer_learning_evaluations=make_evaluations(config_space, metric),
        )


class TestQuantileBasedSearcherContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        return synetune.searchers.create(
            "quantile_based",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            transfer_learning_evaluations=make_evaluations(config_space, metric),
        )


def suggestions(scheduler, n):
    out = []
    for trial_id in range(n):
        config = scheduler.suggest(trial_id).config
        scheduler.on_trial_add(Trial(trial_id, config, None))
        out.append(config)
    return out


def average_rank_order(evals, mode="min"):
    scores = np.array([e.best_values("loss", mode) for e in evals.values()])
    sign = 1 if mode == "min" else -1
    ranks = pd.DataFrame(sign * scores).rank(axis=1).to_numpy()
    return np.argsort(ranks.mean(axis=0), kind="stable")


@pytest.mark.parametrize("mode", ["min", "max"])
def test_zero_shot_starts_with_the_best_average_rank(mode):
    space = contract_config_space()
    scheduler = create("zero_shot", space, "loss", mode, 0)
    first = suggestions(scheduler, 3)
    hps = EVALS["task-a"].hyperparameters
    best = hps.iloc[average_rank_order(EVALS, mode)[0]]
    assert (first[0]["x"], first[0]["y"], first[0]["c"]) == (best.x, best.y, best.c)
    assert first[0][MAX_RESOURCE_ATTR] == space[MAX_RESOURCE_ATTR]  # constants filled in
    keys = {(c["x"], c["y"], c["c"]) for c in first}
    assert len(keys) == 3
    assert all(k in set(zip(hps.x, hps.y, hps.c)) for k in keys)  # all earlier configurations


def test_zero_shot_falls_back_to_random_when_exhausted():
    evals = {t: make_evaluations(n=2)[t] for t in SHIFTS}
    scheduler = synetune.schedulers.create(
        "zero_shot",
        config_space=contract_config_space(),
        metric="loss",
        transfer_learning_evaluations=evals,
        random_seed=1,
    )
    configs = suggestions(scheduler, 5)
    known = set(zip(evals["task-a"].hyperparameters.x, evals["task-a"].hyperparameters.y))
    assert {(c["x"], c["y"]) for c in configs[:2]} <= known
    assert len({(c["x"], c["y"], c["c"]) for c in configs}) == 5


def test_zero_shot_with_surrogates_handles_different_configurations():
    evals = {
        t: make_evaluations(seed=i, shifts={t: s})[t] for i, (t, s) in enumerate(SHIFTS.items())
    }
    with pytest.raises(ValueError, match="use_surrogates=True"):
        create_with(evals, "zero_shot")
    scheduler = create_with(evals, "zero_shot", use_surrogates=True)
    xs = [c["x"] for c in suggestions(scheduler, 3)]
    assert all(0.0 <= x <= 1.0 for x in xs)
    assert abs(xs[0] - 0.3) < 0.2  # the surrogates agree on x near 0.2..0.4


def create_with(evals, name, **kwargs):
    return synetune.schedulers.create(
        name,
        config_space=contract_config_space(),
        metric="loss",
        transfer_learning_evaluations=evals,
        random_seed=0,
        **kwargs,
    )


def test_quantile_based_proposes_what_was_good_before():
    scheduler = create_with(EVALS, "quantile_based")
    configs = suggestions(scheduler, 8)
    regret = [task_loss(c["x"], c["y"], c["c"], 0.3) for c in configs]
    rng = np.random.default_rng(0)
    random = [
        task_loss(rng.uniform(), int(rng.integers(1, 5)), str(rng.choice(["a", "b"])), 0.3)
        for _ in range(8)
    ]
    assert np.mean(regret) < np.mean(random)
    assert min(regret) < 0.15  # y=1 near x=0.3 found among the first 8
    assert len({(c["x"], c["y"], c["c"]) for c in configs}) == 8  # no repeats


def test_quantile_based_gaussian_copula():
    from synetune_plugin_transfer.searchers import gaussian_copula

    z = gaussian_copula(np.array([10.0, 1000.0, -5.0, 3.0]))
    assert list(np.argsort(z)) == [2, 3, 0, 1]  # monotone
    assert np.isfinite(z).all() and abs(z.mean()) < 0.5


def test_bounding_box_shrinks_the_space_and_wraps_any_scheduler():
    from synetune_plugin_transfer.schedulers import bounding_box_space

    space = {
        "lr": logfinrange(1e-4, 1e-1, 4),
        "units": randint(1, 100),
        "x": uniform(0.0, 1.0),
        "act": choice(["relu", "tanh", "gelu"]),
        "epochs": 9,
    }
    box = bounding_box_space(
        space,
        [
            {"lr": 1e-3, "units": 10, "x": 0.2, "act": "tanh"},
            {"lr": 1e-2, "units": 30, "x": 0.2, "act": "relu"},
        ],
    )
    assert [round(v, 6) for v in box["lr"].values] == [1e-3, 1e-2]
    assert (box["units"].lower, box["units"].upper) == (10, 30)
    assert box["x"] == 0.2  # a single value: a constant
    assert box["act"].categories == ["relu", "tanh"]
    assert box["epochs"] == 9

    scheduler = create_with(
        EVALS,
        "bounding_box",
        scheduler_fun="asha",
        num_hyperparameters_per_task=3,
        scheduler_kwargs={"resource_attr": RESOURCE_ATTR, "max_resource_attr": MAX_RESOURCE_ATTR},
    )
    assert type(scheduler.scheduler).__name__ == "ASHA"
    best = [
        c for e in EVALS.values() for c in e.top_k_hyperparameter_configurations(3, "min", "loss")
    ]
    low, high = min(c["x"] for c in best), max(c["x"] for c in best)
    for config in suggestions(scheduler, 10):
        assert low <= config["x"] <= high
    calls = []
    create_with(EVALS, "bounding_box", scheduler_fun=lambda s, m, n: calls.append((s, m, n)))
    assert calls and calls[0][1:] == ("min", "loss")


def test_rush_runs_the_best_earlier_configurations_first_as_thresholds():
    extra = {"x": 0.9, "y": 4, "c": "a", MAX_RESOURCE_ATTR: 10}
    scheduler = create_with(
        EVALS,
        "rush",
        resource_attr=RESOURCE_ATTR,
        max_resource_attr=MAX_RESOURCE_ATTR,
        num_hyperparameters_per_task=2,
        points_to_evaluate=[extra],
    )
    expected = []
    for e in EVALS.values():
        for c in e.top_k_hyperparameter_configurations(2, "min", "loss"):
            if c not in expected:
                expected.append(c)
    assert scheduler.num_threshold_candidates == len(expected)
    configs = suggestions(scheduler, len(expected) + 1)
    assert [{k: c[k] for k in "xyc"} for c in configs[:-1]] == expected
    assert configs[-1]["x"] == 0.9  # points_to_evaluate after the thresholds
    # a trial below a threshold's value at the first rung is stopped
    sched = scheduler
    first = Trial(0, configs[0], None)
    assert sched.on_trial_result(first, {"loss": 0.5, RESOURCE_ATTR: 1}) == "CONTINUE"
    bad = Trial(len(configs) - 1, configs[-1], None)
    assert sched.on_trial_result(bad, {"loss": 5.0, RESOURCE_ATTR: 1}) == "STOP"
    with pytest.raises(ValueError, match="type must be 'stopping' or 'promotion'"):
        create_with(EVALS, "rush", resource_attr=RESOURCE_ATTR, type="pasha", max_t=9)


def test_bad_earlier_tasks_are_named(caplog):
    space = contract_config_space()
    retyped = make_evaluations({**space, "y": uniform(1.0, 4.0)})
    for name in ("zero_shot", "quantile_based", "bounding_box"):
        with pytest.raises(ValueError, match="task 'task-a': hyperparameter 'y' is float"):
            create_with(retyped, name)
    with pytest.raises(ValueError, match="hyperparameter 'z'"):
        create_with(make_evaluations({**space, "z": uniform(0, 1)}), "zero_shot")
    nan = make_evaluations()
    nan["task-b"].objectives_evaluations[:] = np.nan
    with caplog.at_level(logging.WARNING):
        scheduler = create_with(nan, "quantile_based")
    assert "task 'task-b' skipped" in caplog.text
    assert scheduler.suggest(0) is not None
    nan["task-a"].objectives_evaluations[:] = np.nan
    nan["task-c"].objectives_evaluations[:] = np.nan
    with pytest.raises(ValueError, match="no task with evaluations of 'loss'"):
        create_with(nan, "zero_shot")
    with pytest.raises(ValueError, match="has no objective 'acc'"):
        synetune.schedulers.create(
            "zero_shot", config_space=space, metric="acc", transfer_learning_evaluations=EVALS
        )


def test_same_seed_same_suggestions():
    for name in ("quantile_based", "bounding_box"):
        a = suggestions(create_with(EVALS, name), 6)
        b = suggestions(create_with(EVALS, name), 6)
        assert a == b
