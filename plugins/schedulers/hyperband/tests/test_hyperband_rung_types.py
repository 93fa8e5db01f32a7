"""Rung types cost_promotion, rush_stopping, rush_promotion, and rung types other plugins supply
through a RungChooser searcher."""

from __future__ import annotations

from typing import Any

import pytest
from synetune_plugin_hyperband.rung_types import Choice, PausedTrial
from synetune_plugin_hyperband.scheduler import HyperbandScheduler

import synetune
from synetune_sdk.config_space import uniform
from synetune_sdk.searcher import Searcher
from synetune_sdk.testing import SchedulerContract

CONTINUE, PAUSE, STOP = "CONTINUE", "PAUSE", "STOP"


class XSearcher(Searcher):
    """Suggests x = trial_id / 1000."""

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any]:
        return {"x": trial_id / 1000}


# -- conformance ---------------------------------------------------------------------------
class TestCostPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        # the contract's workload reports no cost: the resource level stands in for it
        return synetune.schedulers.create(
            "hyperband",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            resource_attr="epoch",
            max_resource_attr="epochs",
            type="cost_promotion",
            cost_attr="epoch",
        )


class TestRushStoppingContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "hyperband",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            resource_attr="epoch",
            max_resource_attr="epochs",
            type="rush_stopping",
            points_to_evaluate=[{"x": 0.3, "y": 1, "c": "a"}, {"x": 0.9, "y": 3, "c": "b"}],
        )


class TestRushPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "hyperband",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            resource_attr="epoch",
            max_resource_attr="epochs",
            type="rush_promotion",
            points_to_evaluate=[{"x": 0.3, "y": 1, "c": "a"}],
        )


# -- cost_promotion --------------------------------------------------------------------------
def promoted(driver) -> list[int]:
    """Resume suggestions until the scheduler starts a new trial instead."""
    out = []
    while True:
        suggestion = driver.suggest()
        if suggestion.spawn_new_trial_id:
            return out
        out.append(suggestion.checkpoint_trial_id)


def test_cost_promotion_promotes_while_the_cheap_best_fit_the_budget(make_driver):
    driver = make_driver(HyperbandScheduler, type="cost_promotion", cost_attr="time")
    ids = driver.start(6)
    for trial_id, cost in zip(ids, [1, 1, 1, 1, 1, 10]):
        assert driver.report(trial_id, 1, 0.1 * (trial_id + 1), time=cost) == PAUSE
    # total cost 15, q = 1/3: the best five together cost 5 <= 5, so all five are promotable
    assert promoted(driver) == [0, 1, 2, 3, 4]


def test_cost_promotion_holds_back_an_expensive_best(make_driver):
    driver = make_driver(HyperbandScheduler, type="cost_promotion", cost_attr="time")
    ids = driver.start(6)
    for trial_id, cost in zip(ids, [10, 1, 1, 1, 1, 1]):
        driver.report(trial_id, 1, 0.1 * (trial_id + 1), time=cost)
    assert promoted(driver) == []  # the best alone costs 10 > 15 / 3
    plain = make_driver(HyperbandScheduler, type="promotion")
    for trial_id in plain.start(6):
        plain.report(trial_id, 1, 0.1 * (trial_id + 1))
    assert promoted(plain) == [0, 1]  # the quantile rule alone


def test_cost_is_summed_over_pause_and_resume(make_driver):
    class CostSearcher(XSearcher):
        totals: list[float] = []

        def on_trial_result(self, trial_id, config, result, update):
            self.totals.append(result.get("total_time"))

    searcher = CostSearcher({"x": uniform(0.0, 1.0), "epochs": 27}, "loss")
    driver = make_driver(
        HyperbandScheduler, type="cost_promotion", cost_attr="time", searcher=searcher
    )
    a, b = driver.start(2)
    driver.report(a, 1, 0.1, time=1.0)
    driver.report(b, 1, 0.5, time=3.0)
    assert driver.suggest().checkpoint_trial_id == a  # costs 1 <= 4 / 3
    driver.report(a, 2, 0.09, time=1.5)  # cost since the resume
    assert driver.report(a, 3, 0.08, time=3.0) == PAUSE
    assert driver.scheduler._rungs[1].costs[a] == 4.0
    assert searcher.totals == [1.0, 3.0, 2.5, 4.0]


def test_cost_offset_is_dropped_when_a_resumed_trial_restarts_from_scratch(make_driver):
    driver = make_driver(HyperbandScheduler, type="cost_promotion", cost_attr="time")
    a, b = driver.start(2)
    driver.report(a, 1, 0.1, time=1.0)
    driver.report(b, 1, 0.5, time=3.0)
    assert (
        driver.suggest().checkpoint_trial_id == a
    )  # resumes a, which has no checkpoint and starts again at epoch 1
    driver.report(a, 1, 0.1, time=2.0)
    driver.report(a, 2, 0.09, time=3.0)
    driver.report(a, 3, 0.08, time=4.0)
    assert driver.scheduler._rungs[1].costs[a] == 4.0


def test_cost_promotion_needs_cost_attr_and_the_cost(make_driver):
    with pytest.raises(ValueError, match="cost_attr"):
        make_driver(HyperbandScheduler, type="cost_promotion")
    driver = make_driver(HyperbandScheduler, type="cost_promotion", cost_attr="time")
    (a,) = driver.start(1)
    with pytest.raises(ValueError, match="cost_attr='time'"):
        driver.report(a, 1, 0.1)
    with pytest.raises(ValueError, match="not a number"):
        driver.report(a, 1, 0.1, time="slow")


# -- RUSH ------------------------------------------------------------------------------------
POINTS = [{"x": 0.1}, {"x": 0.2}]


def test_rush_stopping_stops_what_misses_the_hurdle(make_driver):
    driver = make_driver(HyperbandScheduler, type="rush_stopping", points_to_evaluate=POINTS)
    plain = make_driver(HyperbandScheduler, type="stopping")
    stream = [0.3, 0.2, 0.9, 0.9, 0.9, 0.25, 0.15]  # trials 0, 1 set the hurdle 0.2 at rung 1
    rush = [driver.report(t, 1, v) for t, v in zip(driver.start(7), stream)]
    asha = [plain.report(t, 1, v) for t, v in zip(plain.start(7), stream)]
    assert asha[5] == CONTINUE and rush[5] == STOP  # 0.25 is in the top third, not below 0.2
    assert rush[6] == CONTINUE
    assert rush[:2] == [CONTINUE, CONTINUE]  # threshold trials pass (within the quantile)
    assert driver.scheduler.rung_system_kwargs["num_threshold_candidates"] == 2


def test_rush_stopping_hurdle_ignores_a_threshold_trial_that_was_stopped(make_driver):
    driver = make_driver(
        HyperbandScheduler,
        type="rush_stopping",
        points_to_evaluate=POINTS + [{"x": 0.3}],
        rung_system_kwargs={"num_threshold_candidates": 3},
    )
    ids = driver.start(5)
    assert driver.report(ids[0], 1, 0.5) == CONTINUE
    assert driver.report(ids[3], 1, 0.1) == CONTINUE
    assert driver.report(ids[1], 1, 0.9) == STOP  # a threshold trial outside the quantile
    assert driver.scheduler._rush.hurdles == {1: 0.5}


def test_rush_promotion_resumes_only_trials_past_the_hurdle(make_driver):
    driver = make_driver(HyperbandScheduler, type="rush_promotion", points_to_evaluate=POINTS)
    for trial_id, value in zip(driver.start(6), [0.3, 0.2, 0.25, 0.9, 0.9, 0.9]):
        assert driver.report(trial_id, 1, value) == PAUSE
    # trial 1 (a threshold trial, 0.2) goes; trial 2 (0.25) misses the hurdle 0.2, and the
    # other threshold trial (0.3) lies outside the top third
    assert promoted(driver) == [1]
    plain = make_driver(HyperbandScheduler, type="promotion")
    for trial_id, value in zip(plain.start(6), [0.3, 0.2, 0.25, 0.9, 0.9, 0.9]):
        plain.report(trial_id, 1, value)
    assert promoted(plain) == [1, 2]


def test_rush_promotion_mode_max(make_driver):
    driver = make_driver(
        HyperbandScheduler, type="rush_promotion", points_to_evaluate=POINTS, mode="max"
    )
    for trial_id, value in zip(driver.start(6), [0.7, 0.8, 0.75, 0.1, 0.1, 0.1]):
        driver.report(trial_id, 1, value)
    assert promoted(driver) == [1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"rung_system_kwargs": {"num_threshold_candidates": 3}}, "exceeds the 2"),
        ({"rung_system_kwargs": {"num_threshold_candidates": -1}}, ">= 0"),
        ({"rung_system_kwargs": {"thresholds": 1}}, "unknown keys"),
        ({"rung_system_kwargs": {"probability_sh": 1.0}}, "probability_sh"),
    ],
)
def test_rush_bad_rung_system_kwargs(make_driver, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_driver(HyperbandScheduler, type="rush_stopping", points_to_evaluate=POINTS, **kwargs)


def test_rush_without_points_behaves_like_its_base_type(make_driver, caplog):
    driver = make_driver(HyperbandScheduler, type="rush_stopping")
    plain = make_driver(HyperbandScheduler, type="stopping")
    stream = [0.3, 0.2, 0.9, 0.9, 0.9, 0.25, 0.15]
    assert [driver.report(t, 1, v) for t, v in zip(driver.start(7), stream)] == [
        plain.report(t, 1, v) for t, v in zip(plain.start(7), stream)
    ]
    assert "behaves exactly like 'stopping'" in caplog.text
    assert not driver.scheduler.does_pause_resume()


def test_early_checkpoint_removal_refused_for_rush_stopping(make_driver):
    with pytest.raises(ValueError, match="never keeps paused"):
        make_driver(
            HyperbandScheduler,
            type="rush_stopping",
            early_checkpoint_removal_kwargs={"max_num_checkpoints": 4},
        )


# -- rung types from other plugins -----------------------------------------------------------
class FirstPausedChooser(XSearcher):
    """Resumes the paused trial with the smallest id, or starts x = trial_id / 1000."""

    def __init__(self, config_space: dict[str, Any], **kwargs: Any):
        super().__init__(config_space, "loss", **kwargs)
        self.seen: list[list[PausedTrial]] = []

    def choose(self, trial_id: int, paused: list[PausedTrial], min_resource: int) -> Choice:
        self.seen.append(paused)
        if paused:
            return Choice(resume=min(p.trial_id for p in paused))
        return Choice(config={"x": trial_id / 1000})


def test_a_chooser_searcher_supplies_a_rung_type(make_driver, space):
    chooser = FirstPausedChooser(space)
    driver = make_driver(
        HyperbandScheduler,
        type="my_type",
        searcher=chooser,
        rung_system_kwargs={"probability_sh": 0.0},
    )
    assert driver.scheduler.does_pause_resume()
    (a,) = driver.start(1)
    assert driver.report(a, 1, 0.5) == PAUSE
    suggestion = driver.suggest()
    assert suggestion.checkpoint_trial_id == a
    assert chooser.seen[-1] == [PausedTrial(a, driver.trials[a].config, 1, 3, 0.5)]
    assert driver.report(a, 2, 0.4) == CONTINUE
    assert driver.report(a, 3, 0.3) == PAUSE
    assert driver.scheduler.paused_trials() == [(a, 0, 0.3, 3)]


def test_a_chooser_with_probability_sh_one_half_sometimes_promotes_by_the_rule(make_driver, space):
    chooser = FirstPausedChooser(space)
    driver = make_driver(HyperbandScheduler, type="my_type", searcher=chooser)
    assert driver.scheduler.rung_system_kwargs["probability_sh"] == 0.25
    ids = driver.start(3)
    for trial_id in ids:
        driver.report(trial_id, 1, 1.0 - trial_id / 10)  # trial 2 is the best
    calls = len(chooser.seen)
    suggestion = driver.suggest()
    if len(chooser.seen) == calls:  # the successive-halving rule promoted the best
        assert suggestion.checkpoint_trial_id == 2
    else:
        assert suggestion.checkpoint_trial_id == 0


def test_a_chooser_resuming_a_trial_that_is_not_paused_is_an_error(make_driver, space):
    class Bad(FirstPausedChooser):
        def choose(self, trial_id, paused, min_resource):
            return Choice(resume=99) if paused else Choice(config={"x": 0.5})

    driver = make_driver(
        HyperbandScheduler,
        type="my_type",
        searcher=Bad(space),
        rung_system_kwargs={"probability_sh": 0.0},
    )
    (a,) = driver.start(1)
    driver.report(a, 1, 0.5)
    with pytest.raises(ValueError, match="trial 99, which is not paused"):
        driver.suggest()


def test_unknown_type_says_how_plugins_supply_one(make_driver, space):
    with pytest.raises(ValueError, match="RungChooser.*no searcher 'foo' is installed"):
        HyperbandScheduler(space, metric="loss", type="foo", max_resource_attr="epochs")
    with pytest.raises(ValueError, match="searcher 'RecordingSearcher' does not"):
        make_driver(HyperbandScheduler, type="foo")


def test_choice_is_one_or_the_other():
    with pytest.raises(ValueError, match="exactly one"):
        Choice()
    with pytest.raises(ValueError, match="exactly one"):
        Choice(resume=1, config={"x": 0.1})
