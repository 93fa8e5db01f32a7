"""RUSH's incumbent hurdle and what the multi-fidelity transfer methods do once a finite space
is used up (the causes of the plateau measured by benchmarks/transfer_quality.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synetune
from synetune_sdk import Trial
from synetune_sdk.config_space import choice
from synetune_sdk.testing import RESOURCE_ATTR, contract_config_space
from synetune_sdk.transfer import TransferLearningTaskEvaluations

FAST = {"x": 0.1, "y": 1, "c": "a"}  # learns fast, ends badly
SLOW = {"x": 0.2, "y": 1, "c": "a"}  # starts slowly, ends best


def start(scheduler, trial_id):
    suggestion = scheduler.suggest(trial_id)
    if suggestion is None:
        return None
    trial = Trial(trial_id, suggestion.config, None)
    scheduler.on_trial_add(trial)
    return trial


def report(scheduler, trial, level, loss):
    return scheduler.on_trial_result(trial, {"loss": loss, RESOURCE_ATTR: level})


def incumbent_rush(space, thresholds, **kwargs):
    from synetune_plugin_transfer.rush import IncumbentRush

    return IncumbentRush(
        space,
        "loss",
        [{**space, **c} for c in thresholds],
        [],
        mode="min",
        resource_attr=RESOURCE_ATTR,
        max_t=4,
        reduction_factor=2,  # rungs 1 and 2, top half goes on
        random_seed=0,
        **kwargs,
    )


def test_rush_hurdle_is_the_curve_of_the_best_threshold_trial():
    space = contract_config_space()
    rush = incumbent_rush(space, [FAST, SLOW])
    fast, slow, new = (start(rush, i) for i in range(3))
    assert {k: fast.config[k] for k in "xyc"} == FAST
    assert {k: slow.config[k] for k in "xyc"} == SLOW
    assert rush.hurdle(1) is None  # no threshold trial has reported yet
    # threshold trials set hurdles and are not held to them (ASHA's own test still applies:
    # the first value in a rung always goes on)
    assert report(rush, slow, 1, 0.8) == "CONTINUE"
    assert report(rush, fast, 1, 0.2) == "CONTINUE"
    assert rush.hurdle(1) == 0.2  # only level 1 reached: the best value there
    for level, loss in ((2, 0.5), (4, 0.45)):
        report(rush, fast, level, loss)
    for level, loss in ((2, 0.3), (4, 0.1)):
        report(rush, slow, level, loss)
    # the slow starter ends best: its curve is the hurdle, at every level
    assert rush.incumbent() == slow.trial_id
    assert (rush.hurdle(1), rush.hurdle(2)) == (0.8, 0.3)
    # 0.5 at level 1 passes ASHA (the median of 0.2, 0.8, 0.5) and the incumbent's 0.8; Syne
    # Tune's hurdle (the best of any threshold trial there, 0.2) would stop it
    assert report(rush, new, 1, 0.5) == "CONTINUE"
    assert report(rush, new, 2, 0.35) == "STOP"  # worse than the incumbent's 0.3 at level 2


def test_rush_hurdle_best_is_syne_tunes_rung_system():
    space = contract_config_space()
    evals = {
        "t": TransferLearningTaskEvaluations(
            space,
            pd.DataFrame([FAST, SLOW]),
            ["loss"],
            np.array([0.45, 0.1]).reshape(2, 1, 1, 1),
        )
    }
    kwargs = dict(
        config_space=space,
        metric="loss",
        transfer_learning_evaluations=evals,
        resource_attr=RESOURCE_ATTR,
        max_t=4,
        reduction_factor=2,
        custom_rush_points=[FAST],
        random_seed=0,
    )
    best = synetune.schedulers.create("rush", hurdle="best", **kwargs)
    assert type(best).__name__ != "IncumbentRush"
    assert best.rung_system_kwargs["num_threshold_candidates"] == 2
    with pytest.raises(ValueError, match="hurdle must be 'incumbent' or 'best'"):
        synetune.schedulers.create("rush", hurdle="worst", **kwargs)
    promotion = synetune.schedulers.create("rush", type="promotion", **kwargs)
    assert promotion.type == "rush_promotion"
    assert type(synetune.schedulers.create("rush", **kwargs)).__name__ == "IncumbentRush"


def test_rush_runs_the_thresholds_again_once_the_space_is_used_up():
    space = {"x": choice([0.1, 0.2, 0.3]), "epochs": 4}
    rush = incumbent_rush(space, [{"x": 0.2}, {"x": 0.3}])
    trials = [start(rush, i) for i in range(3)]
    assert sorted(t.config["x"] for t in trials) == [0.1, 0.2, 0.3]
    report(rush, trials[0], 4, 0.5)  # x=0.2 (a threshold) reaches max_t
    report(rush, trials[1], 1, 0.9)  # x=0.3 (a threshold) stops at level 1
    # nothing new is left: the thresholds run again, the best on this task first, as
    # threshold trials (they set hurdles and are not held to them)
    again = [start(rush, i) for i in range(3, 6)]
    assert [t.config["x"] for t in again] == [0.2, 0.3, 0.2]
    assert report(rush, again[1], 1, 0.95) in ("CONTINUE", "STOP")
    assert rush._curves[again[1].trial_id] == {1: 0.95}
    ending = incumbent_rush(space, [{"x": 0.2}], rerun_thresholds=False)
    assert [start(ending, i) is None for i in range(4)] == [False, False, False, True]


def test_cts_goes_on_with_repeats_once_the_finite_space_is_used_up():
    space = {"x": choice([0.1, 0.2, 0.3, 0.4]), "epochs": 4}
    hps = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4] * 3})
    values = np.tile([0.4, 0.1, 0.3, 0.2], 3).reshape(12, 1, 1, 1)
    evals = {"t": TransferLearningTaskEvaluations(space, hps, ["loss"], values)}
    once_first = {"resource_attr": RESOURCE_ATTR, "search_options": {"repeat_penalty": None}}
    for method, extra in (("quantile_based", {}), ("asha_cts", once_first)):
        scheduler = synetune.schedulers.create(
            method,
            config_space=space,
            metric="loss",
            transfer_learning_evaluations=evals,
            random_seed=0,
            **extra,
        )
        configs = [start(scheduler, i).config["x"] for i in range(4)]
        assert sorted(configs) == [0.1, 0.2, 0.3, 0.4]  # each once first
        more = [start(scheduler, i) for i in range(4, 10)]
        assert all(t is not None and t.config["x"] in configs for t in more)


def test_zero_shot_breaks_ties_by_the_own_mean_rank():
    space = contract_config_space()
    hps = pd.DataFrame({"x": [0.5, 0.9, 0.1, 0.7], "y": [1] * 4, "c": ["a"] * 4})
    scores = {
        "t1": [0.0, 0.1, 0.2, 0.3],
        "t2": [0.2, 0.1, 0.1, 0.3],  # x=0.9 and x=0.1 tie here
        "t3": [0.0, 0.1, 0.2, 0.3],
    }
    evals = {
        t: TransferLearningTaskEvaluations(space, hps, ["loss"], np.reshape(v, (4, 1, 1, 1)))
        for t, v in scores.items()
    }
    scheduler = synetune.schedulers.create(
        "zero_shot",
        config_space=space,
        metric="loss",
        transfer_learning_evaluations=evals,
        random_seed=0,
    )
    # x=0.5 first (best mean rank); capped at its ranks, x=0.9 and x=0.1 tie, and x=0.9 has
    # the better mean rank of its own
    assert [start(scheduler, i).config["x"] for i in range(3)] == [0.5, 0.9, 0.1]


def test_cts_repeat_penalty_repeats_favourites_without_crowding_out_the_rest():
    space = {"x": choice([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), "epochs": 4}
    hps = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] * 3})
    values = np.tile([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 3).reshape(18, 1, 1, 1)
    evals = {"t": TransferLearningTaskEvaluations(space, hps, ["loss"], values)}

    def run(**search_options):
        scheduler = synetune.schedulers.create(
            "asha_cts",
            config_space=space,
            metric="loss",
            resource_attr=RESOURCE_ATTR,
            transfer_learning_evaluations=evals,
            random_seed=0,
            search_options=search_options,
        )
        return [start(scheduler, i).config["x"] for i in range(12)]

    default = run()  # repeat_penalty=2.0
    assert len(set(default[:6])) < 6  # repeats before the space is used up...
    assert len(set(default)) >= 4  # ...but not only the favourite
    assert default[0] == 0.1  # the surrogate's favourite first
    once_each = run(repeat_penalty=None)
    assert sorted(once_each[:6]) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    with pytest.raises(ValueError, match="repeat_penalty must be a number >= 0"):
        run(repeat_penalty=-1)


def test_cts_draws_like_syne_tunes_many_sampled_candidates_on_a_finite_space():
    # three tasks that disagree: the surrogate's residual noise is large next to the gaps of
    # its means, so one Thompson draw per configuration often puts another one first, while
    # the best of num_candidates / size draws (Syne Tune's 100,000 samples of the space)
    # almost always picks the configuration with the best mean
    grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    space = {"x": choice(grid), "epochs": 4}
    hps = pd.DataFrame({"x": grid * 4})
    tasks = {
        "t1": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "t2": [0.1, 0.6, 0.5, 0.2, 0.3, 0.4],
        "t3": [0.2, 0.1, 0.6, 0.5, 0.4, 0.3],
    }
    evals = {
        t: TransferLearningTaskEvaluations(
            space, hps, ["loss"], np.tile(v, 4).reshape(24, 1, 1, 1) + 0.01
        )
        for t, v in tasks.items()
    }

    def first_suggestions(**search_options):
        firsts = []
        for seed in range(20):
            scheduler = synetune.schedulers.create(
                "quantile_based",
                config_space=space,
                metric="loss",
                transfer_learning_evaluations=evals,
                random_seed=seed,
                search_options=search_options,
            )
            firsts.append(start(scheduler, 0).config["x"])
        return firsts

    many = first_suggestions()  # default num_candidates=100000: 16,666 draws each
    one = first_suggestions(num_candidates=len(grid))  # one draw each
    assert many.count(0.1) >= 18  # the best mean rank over the tasks
    assert len(set(one)) >= 3 and one.count(0.1) < many.count(0.1)
