"""Asynchronous Hyperband: rung levels, stopping, promotion, PASHA, searcher feedback, bad input."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from synetune_plugin_hyperband.common import rung_levels_for
from synetune_plugin_hyperband.pasha import PashaState
from synetune_plugin_hyperband.rungs import (
    Rung,
    RunningQuantile,
    bracket_distribution,
    promotion_quantiles,
)
from synetune_plugin_hyperband.scheduler import HyperbandScheduler

from synetune_sdk.config_space import randint, uniform

CONTINUE, PAUSE, STOP = "CONTINUE", "PAUSE", "STOP"


# -- rung levels, brackets, max_t ------------------------------------------------------------
def test_geometric_rung_levels_as_syne_tune():
    assert rung_levels_for(27, 1, 3) == [1, 3, 9]
    assert rung_levels_for(10, 1, 3) == [1, 3, 9]
    # round() is Python's (half to even), as in Syne Tune: 2 * 2.5**2 = 12.5 -> 12
    assert rung_levels_for(100, 2, 2.5) == [2, 5, 12, 31, 78]


def test_linear_and_explicit_rung_levels():
    assert rung_levels_for(27, 2, None, 4) == [2, 6, 10, 14, 18, 22, 26]
    assert rung_levels_for(27, 1, None, None, [2, 5, 11, 27]) == [2, 5, 11]  # max_t is dropped
    assert rung_levels_for(27, 1, 3, 4) == [1, 3, 9]  # reduction_factor wins over rung_increment


def test_scheduler_rung_defaults(space, make_driver):
    hb = make_driver(HyperbandScheduler).scheduler
    assert (hb.max_t, hb.rung_levels, hb.reduction_factor) == (27, [1, 3, 9], 3)
    linear = make_driver(HyperbandScheduler, rung_increment=5, grace_period=2).scheduler
    assert linear.rung_levels == [2, 7, 12, 17, 22]
    explicit = make_driver(HyperbandScheduler, rung_levels=[2, 4, 20]).scheduler
    assert explicit.rung_levels == [2, 4, 20]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"rung_levels": [3, 2]}, "strictly increasing"),
        ({"rung_levels": [2, 40]}, "max_t"),
        ({"rung_levels": [27]}, "below max_t"),
        ({"grace_period": 27}, "grace_period"),
        ({"grace_period": 30}, "grace_period"),
        ({"reduction_factor": 1.5}, "reduction_factor"),
        ({"brackets": 0}, "brackets"),
        ({"type": "cost_promotion"}, "type"),
        ({"searcher_data": "some"}, "searcher_data"),
        ({"mode": "minimize"}, "mode"),
        ({"max_t": 9}, "contradicts"),
    ],
)
def test_bad_arguments_name_the_argument(make_driver, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_driver(HyperbandScheduler, **kwargs)


def test_unknown_argument_is_a_type_error(make_driver):
    with pytest.raises(TypeError, match="grace_periods"):
        make_driver(HyperbandScheduler, grace_periods=2)


def test_max_t_inference(make_driver):
    assert (
        make_driver(
            HyperbandScheduler, space={"x": uniform(0, 1), "max_epochs": 12}, max_resource_attr=None
        ).scheduler.max_t
        == 12
    )
    assert (
        make_driver(
            HyperbandScheduler, space={"x": uniform(0, 1), "n": 20}, max_resource_attr="n"
        ).scheduler.max_t
        == 20
    )
    assert (
        make_driver(
            HyperbandScheduler, space={"x": uniform(0, 1)}, max_resource_attr=None, max_t=5
        ).scheduler.max_t
        == 5
    )
    with pytest.raises(ValueError, match="max_t"):
        make_driver(HyperbandScheduler, space={"x": uniform(0, 1)}, max_resource_attr=None)
    with pytest.raises(ValueError, match="max_resource_attr"):
        make_driver(
            HyperbandScheduler,
            space={"x": uniform(0, 1), "n": randint(1, 5)},
            max_resource_attr="n",
        )


def test_promotion_quantiles_and_bracket_distribution():
    assert promotion_quantiles([1, 3, 9], 10) == [1 / 3, 1 / 3, 0.9]
    dist = bracket_distribution([1, 3, 9], 27, 4)
    weights = np.array([4 / (4 * 1), 4 / (3 * 3), 4 / (2 * 9), 4 / (1 * 27)])
    assert dist == pytest.approx(list(weights / weights.sum()))
    assert bracket_distribution([1, 3, 9], 27, 1) == [1.0]


# -- stopping ---------------------------------------------------------------------------------
def test_stopping_hand_built_sequence(make_driver):
    d = make_driver(HyperbandScheduler)
    t = d.start(5)
    assert d.report(t[0], 1, 0.5) == CONTINUE  # alone in the rung
    assert d.report(t[1], 1, 0.4) == CONTINUE  # 0.4 <= quantile([.4, .5], 1/3) = .4333
    assert d.report(t[2], 1, 0.6) == STOP  # 0.6 > quantile([.4, .5, .6], 1/3) = .4667
    assert d.report(t[0], 2, 0.45) == CONTINUE  # not a rung level
    assert d.report(t[3], 1, 0.45) == CONTINUE  # quantile([.4, .45, .5, .6], 1/3) = .45 exactly
    assert d.report(t[0], 3, 0.3) == CONTINUE
    assert d.report(t[1], 2, 0.3) == CONTINUE
    assert d.report(t[1], 3, 0.2) == CONTINUE  # 0.2 <= quantile([.2, .3], 1/3)
    assert d.report(t[4], 1, 0.1) == CONTINUE
    assert d.report(t[2], 2, 0.1) == STOP  # late result of a stopped trial: unchanged, not recorded
    assert d.scheduler.rung_information() == [(9, 0, 1 / 3), (3, 2, 1 / 3), (1, 5, 1 / 3)]


def test_stopping_quantile_boundary_is_inclusive():
    # quantile([.4, .45, .5, .6], 1/3) = .45 exactly: a value equal to the quantile continues
    assert np.quantile([0.4, 0.45, 0.5, 0.6], 1 / 3) == pytest.approx(0.45)
    rung = Rung(1, 1 / 3, 1)
    for i, v in enumerate([0.4, 0.5, 0.6, 0.45]):
        rung.add(i, v, i, paused=False)
    assert rung.cutoff() == np.quantile([0.4, 0.45, 0.5, 0.6], 1 / 3)
    assert rung.passes(rung.cutoff())


@pytest.mark.parametrize("q", [1 / 3, 2 / 3, 0.5, 0.9, 1 / 9, 0.25])
def test_running_quantile_equals_numpy_bit_for_bit(q):
    rng = random.Random(int(q * 1000))
    running, values = RunningQuantile(q), []
    for _ in range(700):
        value = rng.choice([rng.gauss(0, 1), round(rng.gauss(0, 1), 1)])  # with many ties
        running.add(value)
        values.append(value)
        assert running.quantile() == np.quantile(values, q)
    assert running.sorted_values() == sorted(values)


def test_stopping_ties_all_continue(make_driver):
    d = make_driver(HyperbandScheduler)
    t = d.start(4)
    assert [d.report(i, 1, 0.5) for i in t] == [CONTINUE] * 4
    assert d.report(t[0], 2, 0.7) == CONTINUE


def test_stopping_mode_max_is_mirrored(make_driver):
    d = make_driver(HyperbandScheduler, mode="max")
    t = d.start(3)
    assert d.report(t[0], 1, 0.5) == CONTINUE
    assert d.report(t[1], 1, 0.6) == CONTINUE  # 0.6 >= quantile([.5, .6], 2/3)
    assert d.report(t[2], 1, 0.4) == STOP  # 0.4 < quantile([.4, .5, .6], 2/3) = .5333


def test_stopping_at_max_t_continues(make_driver):
    d = make_driver(HyperbandScheduler, space={"x": uniform(0, 1), "epochs": 3}, grace_period=1)
    t = d.start(3)
    for i in t:
        d.report(i, 1, 0.5)
    assert d.report(t[0], 2, 0.9) == CONTINUE
    assert d.report(t[1], 2, 0.1) == CONTINUE
    assert d.report(t[2], 2, 0.95) == CONTINUE
    assert d.report(t[2], 3, 9.0) == CONTINUE  # max_t: the script ends by itself (Syne Tune: STOP)


@pytest.mark.parametrize(
    "mode, seed, discrete", [("min", 1, False), ("max", 2, False), ("min", 3, True)]
)
def test_stopping_matches_numpy_quantile_on_random_stream(make_driver, mode, seed, discrete):
    """2000 random results over random trials, each decision recomputed with numpy.quantile."""
    rng = random.Random(seed)
    d = make_driver(
        HyperbandScheduler, mode=mode, rung_levels=[1, 2, 4, 8, 16] if discrete else None
    )
    levels = d.scheduler.rung_levels
    quantiles = dict(zip(levels, promotion_quantiles(levels, 27)))
    recorded = {level: [] for level in levels}
    epoch_of: dict[int, int] = {}
    checked = 0
    for _ in range(2000):
        if len(epoch_of) < 8 or rng.random() < 0.15:
            (trial_id,) = d.start(1)
            epoch_of[trial_id] = 0
        trial_id = rng.choice(sorted(epoch_of))
        epoch = epoch_of[trial_id] + 1
        value = rng.choice([0.1, 0.2, 0.3]) if discrete else rng.gauss(0, 1)
        decision = d.report(trial_id, epoch, value)
        if epoch in recorded:
            values = recorded[epoch] + [value]
            recorded[epoch] = values
            if len(values) < 2:
                expected = CONTINUE
            elif mode == "min":
                expected = CONTINUE if value <= np.quantile(values, quantiles[epoch]) else STOP
            else:
                expected = CONTINUE if value >= np.quantile(values, 1 - quantiles[epoch]) else STOP
            assert decision == expected, (trial_id, epoch, value)
            checked += 1
        else:
            assert decision == CONTINUE
        if decision == STOP or epoch == 27:
            del epoch_of[trial_id]
        else:
            epoch_of[trial_id] = epoch
    assert checked > 600  # results that hit a rung level
    assert sum(len(v) for v in recorded.values()) == sum(
        n for _, n, _ in d.scheduler.rung_information()
    )


def test_skipped_rung_is_not_recorded(make_driver):
    d = make_driver(HyperbandScheduler)
    (t,) = d.start(1)
    assert d.report(t, 2, 0.5) == CONTINUE  # never reported epoch 1
    assert d.scheduler.rung_information()[-1] == (1, 0, 1 / 3)


# -- brackets ---------------------------------------------------------------------------------
def test_brackets_are_seeded_and_follow_the_distribution(make_driver):
    def brackets(seed):
        d = make_driver(HyperbandScheduler, brackets=4, random_seed=seed)
        d.start(3000)
        return [kw["bracket"] for _, kw in d.searcher.suggested], d

    first, d = brackets(5)
    again, _ = brackets(5)
    other, _ = brackets(6)
    assert first == again and first != other
    assert d.scheduler.num_brackets == 4
    freq = np.bincount(first, minlength=4) / len(first)
    assert freq == pytest.approx(d.scheduler.bracket_distribution, abs=0.03)
    milestones = {kw["bracket"]: kw["milestone"] for _, kw in d.searcher.suggested}
    assert milestones == {0: 1, 1: 3, 2: 9, 3: 27}


def test_brackets_capped_by_number_of_rungs(make_driver):
    assert make_driver(HyperbandScheduler, brackets=10).scheduler.num_brackets == 4


def test_bracket_skips_lower_rungs(make_driver):
    d = make_driver(HyperbandScheduler, brackets=2, random_seed=3)
    ids = d.start(40)
    bracket = {tid: kw["bracket"] for tid, kw in d.searcher.suggested}
    late = [t for t in ids if bracket[t] == 1][:3]
    early = [t for t in ids if bracket[t] == 0][:2]
    assert len(late) == 3 and len(early) == 2
    for t in late:
        assert d.report(t, 1, 0.9) == CONTINUE  # rung 1 is not a milestone of bracket 1
    assert d.scheduler.rung_information()[-1] == (1, 0, 1 / 3)
    for t in early:
        d.report(t, 1, 0.1)
    assert d.scheduler.rung_information()[-1] == (1, 2, 1 / 3)
    d.report(late[0], 2, 0.5)
    d.report(late[1], 2, 0.4)
    assert d.report(late[0], 3, 0.5) == CONTINUE
    assert d.report(late[1], 3, 0.4) == CONTINUE
    assert d.scheduler.rung_information()[1] == (3, 2, 1 / 3)


# -- searcher feedback ------------------------------------------------------------------------
def test_searcher_data_rungs(make_driver):
    d = make_driver(HyperbandScheduler)
    (t,) = d.start(1)
    for epoch in range(1, 5):
        d.report(t, epoch, 1.0 / epoch)
    assert d.searcher.results == [(t, 1, True), (t, 2, False), (t, 3, True), (t, 4, False)]
    assert d.searcher.pending == [(t, 1), (t, 3), (t, 9)]
    assert d.searcher.suggested == [(t, {"bracket": 0, "milestone": 1})]
    assert isinstance(d.searcher.scheduler, HyperbandScheduler)


def test_searcher_data_all_and_rungs_and_last(make_driver):
    d = make_driver(HyperbandScheduler, searcher_data="all")
    (t,) = d.start(1)
    for epoch in range(1, 4):
        d.report(t, epoch, 1.0)
    assert d.searcher.results == [(t, 1, True), (t, 2, True), (t, 3, True)]
    # every level up to the next milestone: 1 at the start, 2..3 after rung 1, 4..9 after rung 3
    assert d.searcher.pending == [(t, level) for level in range(1, 10)]
    d = make_driver(HyperbandScheduler, searcher_data="rungs_and_last")
    (t,) = d.start(1)
    for epoch in range(1, 6):
        d.report(t, epoch, float(epoch))
    # epoch 2 is dropped when 3 arrives; 4 when 5 arrives; rung levels 1 and 3 are kept
    assert d.searcher.removed == [(t, {"loss": 2.0, "epoch": 2}), (t, {"loss": 4.0, "epoch": 4})]


def test_failed_trial_reaches_searcher_and_is_forgotten(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion")
    t = d.start(3)
    d.report(t[0], 1, 0.1)
    d.report(t[1], 1, 0.2)
    d.scheduler.on_trial_error(d.trials[t[0]])
    assert d.searcher.failed == [t[0]]
    suggestion = d.suggest()  # t[0] was the best paused trial, but failed trials never resume
    assert suggestion.spawn_new_trial_id


def test_completion_tells_searcher_only_unseen_final_result(make_driver):
    d = make_driver(HyperbandScheduler, space={"x": uniform(0, 1), "epochs": 4})
    t = d.start(2)
    for epoch in (1, 2):
        d.report(t[0], epoch, 1.0)
    d.scheduler.on_trial_complete(d.trials[t[0]], {"loss": 1.0, "epoch": 2})  # 2: not a rung
    d.report(t[1], 1, 1.0)
    d.report(t[1], 4, 1.0)  # max_t: already learned from
    d.scheduler.on_trial_complete(d.trials[t[1]], {"loss": 1.0, "epoch": 4})
    assert d.searcher.completed == [t[0]]


# -- bad input at result time -----------------------------------------------------------------
def test_missing_resource_attr_names_it_and_the_keys(make_driver):
    d = make_driver(HyperbandScheduler)
    (t,) = d.start(1)
    with pytest.raises(ValueError, match=r"resource_attr='epoch'.*\['loss', 'step'\]"):
        d.scheduler.on_trial_result(d.trials[t], {"loss": 1.0, "step": 1})


def test_missing_metric_and_bad_resource(make_driver):
    d = make_driver(HyperbandScheduler)
    (t,) = d.start(1)
    with pytest.raises(ValueError, match="metric 'loss'"):
        d.scheduler.on_trial_result(d.trials[t], {"acc": 1.0, "epoch": 1})
    for bad in (0, 1.5, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            d.scheduler.on_trial_result(d.trials[t], {"loss": 1.0, "epoch": bad})


def test_resource_going_backwards_raises(make_driver):
    d = make_driver(HyperbandScheduler)
    (t,) = d.start(1)
    d.report(t, 1, 1.0)
    d.report(t, 2, 1.0)
    with pytest.raises(ValueError, match="backwards"):
        d.report(t, 1, 1.0)


# -- promotion --------------------------------------------------------------------------------
def test_promotion_pauses_at_rungs_and_resumes_the_best(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion")
    t = d.start(3)
    assert d.suggest().spawn_new_trial_id  # nothing paused yet: a new trial
    assert d.report(t[0], 1, 0.5) == PAUSE
    assert d.report(t[1], 1, 0.4) == PAUSE
    suggestion = d.suggest()  # 0.4 <= quantile([.4, .5], 1/3): t1 is promoted
    assert (suggestion.spawn_new_trial_id, suggestion.checkpoint_trial_id) == (False, t[1])
    assert suggestion.config["epochs"] == 27  # the script may run to max_t; we PAUSE at rungs
    assert d.suggest().spawn_new_trial_id  # t1 is not promoted twice; t0 is outside the quantile
    assert d.report(t[2], 1, 0.3) == PAUSE
    # rung 1: [.3, .4, .5] -> quantile(1/3) = .3667: t2 qualifies
    assert d.suggest().checkpoint_trial_id == t[2]


def test_promotion_highest_rung_first(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion")
    t = d.start(5)
    for i, v in zip(t, [0.1, 0.2, 0.3, 0.4]):
        d.report(i, 1, v)
    assert d.suggest().checkpoint_trial_id == t[0]
    assert d.suggest().checkpoint_trial_id == t[1]  # [.1, .2, .3, .4] -> quantile = .2
    for epoch in (2, 3):
        d.report(t[0], epoch, 0.05)
    for epoch in (2, 3):
        d.report(t[1], epoch, 0.06)
    d.report(t[4], 1, 0.01)
    # promotable: t0 at rung 3 (.05 <= .0533) and t4 at rung 1 (.01 <= .1333): rung 3 first
    assert d.suggest().checkpoint_trial_id == t[0]
    assert d.suggest().checkpoint_trial_id == t[4]  # t1 (.06) is outside rung 3's quantile


def test_promotion_top_quantile_only(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion")
    t = d.start(2)
    d.report(t[0], 1, 0.5)
    d.report(t[1], 1, 0.5)
    assert d.suggest().checkpoint_trial_id == t[0]  # tie: the earlier one first
    assert d.suggest().checkpoint_trial_id == t[1]  # .5 <= quantile([.5, .5]) too
    d = make_driver(HyperbandScheduler, type="promotion")
    t = d.start(1)
    d.report(t[0], 1, 0.5)
    assert d.suggest().spawn_new_trial_id  # a single value: no promotion yet


def test_promotion_mode_max(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion", mode="max")
    t = d.start(3)
    for i, v in zip(t, [0.5, 0.9, 0.1]):
        d.report(i, 1, v)
    assert d.suggest().checkpoint_trial_id == t[1]
    assert d.suggest().spawn_new_trial_id


def test_resumed_trial_replaying_from_scratch_is_tolerated(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion", searcher_data="all")
    t = d.start(2)
    d.report(t[0], 1, 0.1)
    d.report(t[1], 1, 0.2)
    assert d.suggest().checkpoint_trial_id == t[0]
    seen = len(d.searcher.results)
    assert d.report(t[0], 1, 0.15) == CONTINUE  # no checkpoint: the script starts over
    assert len(d.searcher.results) == seen  # not passed on again
    assert d.scheduler.rung_information()[-1] == (1, 2, 1 / 3)  # not recorded again
    assert d.report(t[0], 2, 0.1) == CONTINUE
    assert d.report(t[0], 3, 0.05) == PAUSE
    assert d.scheduler.rung_information()[1] == (3, 1, 1 / 3)
    assert d.scheduler.paused_trials() == [
        (t[1], 1, 0.2, 1),
        (t[0], 0, 0.05, 3),
    ]  # t0 ranks first at 1
    assert d.scheduler.paused_trials(resource=3) == [(t[0], 0, 0.05, 3)]


def test_resumed_trial_with_checkpoint(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion")
    t = d.start(2)
    d.report(t[0], 1, 0.1)
    d.report(t[1], 1, 0.2)
    d.suggest()
    assert d.report(t[0], 2, 0.1) == CONTINUE
    assert d.report(t[0], 3, 0.1) == PAUSE
    assert d.searcher.pending == [(t[0], 1), (t[1], 1), (t[0], 3)]


def test_promotion_ranks_a_skipped_rung_level_at_the_rung_passed(make_driver):
    # a script (or a backend pausing late) that skips rung level 1 must not end the run:
    # the trial is ranked at the highest rung it passed and paused there
    d = make_driver(HyperbandScheduler, type="promotion")
    (t,) = d.start(1)
    assert d.report(t, 2, 0.5) == PAUSE
    assert d.scheduler.rung_information()[-1][:2] == (1, 1)


def test_late_result_after_pause_changes_nothing(make_driver):
    d = make_driver(HyperbandScheduler, type="promotion")
    t = d.start(2)
    d.report(t[0], 1, 0.1)
    assert d.report(t[0], 2, 0.1) == PAUSE
    assert d.scheduler.rung_information()[-1] == (1, 1, 1 / 3)


# -- PASHA ------------------------------------------------------------------------------------
def _pasha_driver(make_driver, **kwargs):
    return make_driver(HyperbandScheduler, type="pasha", **kwargs)


def test_pasha_keeps_resources_while_ranking_is_stable(make_driver):
    d = _pasha_driver(make_driver)
    assert d.scheduler._effective_max_t() == 3
    t = d.start(6)
    for i, v in zip(t, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]):
        d.report(i, 1, v)
    for trial in (t[0], t[1]):
        assert d.suggest().checkpoint_trial_id == trial
        d.report(trial, 2, 0.05)
        assert d.report(trial, 3, 0.01 if trial == t[0] else 0.02) == PAUSE
    # rung 3 = [t0 .01, t1 .02], same order as at rung 1: no growth, nothing promoted from 3
    assert d.scheduler._effective_max_t() == 3
    assert d.suggest().spawn_new_trial_id


def test_pasha_grows_when_ranking_changes_and_then_promotes(make_driver):
    d = _pasha_driver(make_driver)
    t = d.start(6)
    for i, v in zip(t, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]):
        d.report(i, 1, v)
    assert d.suggest().checkpoint_trial_id == t[0]
    assert d.suggest().checkpoint_trial_id == t[1]
    d.report(t[0], 2, 0.1)
    assert d.report(t[0], 3, 0.09) == PAUSE
    d.report(t[1], 2, 0.1)
    assert d.report(t[1], 3, 0.01) == PAUSE  # t1 now beats t0: the ranking changed
    assert d.scheduler._effective_max_t() == 9
    assert d.suggest().checkpoint_trial_id == t[1]  # promoted from rung 3 to 9
    for epoch in range(4, 10):
        d.report(t[1], epoch, 0.005)
    # one entry at rung 9: no disagreement possible yet
    assert d.scheduler._effective_max_t() == 9


def test_pasha_grows_to_max_t_after_last_rung(make_driver):
    d = _pasha_driver(make_driver, space={"x": uniform(0, 1), "epochs": 9})
    assert d.scheduler.rung_levels == [1, 3] and d.scheduler._effective_max_t() == 3
    t = d.start(4)
    for i, v in zip(t, [0.1, 0.2, 0.3, 0.4]):
        d.report(i, 1, v)
    d.suggest(), d.suggest()
    d.report(t[0], 2, 0.1), d.report(t[0], 3, 0.2)
    d.report(t[1], 2, 0.1), d.report(t[1], 3, 0.1)  # order flips
    assert d.scheduler._effective_max_t() == 9
    assert d.suggest().checkpoint_trial_id == t[1]


def test_pasha_needs_two_rungs(make_driver):
    with pytest.raises(ValueError, match="two rung levels"):
        _pasha_driver(make_driver, space={"x": uniform(0, 1), "epochs": 3})


def test_pasha_soft_ranking_uses_epsilon():
    top, below = Rung(3, 1 / 3, 1, keep_order=True), Rung(1, 1 / 3, 1, keep_order=True)
    for seq, (trial, v) in enumerate([(0, 0.10), (1, 0.11), (2, 0.5)]):
        below.add(trial, v, seq, paused=True)
    top.add(1, 0.01, 10, paused=True)  # at rung 3, trial 1 beats trial 0
    top.add(0, 0.02, 11, paused=True)
    state = PashaState([1, 3, 9], 27, 1)
    assert state._ranking_changed([below, top, Rung(9, 1 / 3, 1)])
    state.epsilon = 0.02  # 0.10 and 0.11 are within epsilon: the same group
    assert not state._ranking_changed([below, top, Rung(9, 1 / 3, 1)])


def _brute_force_epsilon(state: PashaState) -> float | None:
    lo, hi = state.window
    distances = []
    for a, b in itertools.combinations(sorted(state.per_epoch), 2):
        pa, pb = state.per_epoch[a], state.per_epoch[b]
        common = [e for e in range(hi, lo, -1) if e in pa and e in pb]
        if not common:
            continue
        e = common[0]
        cond = pa[e] > pb[e]
        flipped = [pa[p] > pb[p] for p in range(e - 1, 0, -1)]
        if (not cond) in flipped and cond in flipped[flipped.index(not cond) :]:
            distances.append(abs(pa[e] - pb[e]))
    return float(np.percentile(distances, 90)) if distances else None


def test_pasha_incremental_epsilon_equals_brute_force():
    rng = random.Random(4)
    state = PashaState([1, 3, 9], 27, 1)
    state.rung_idx, state.current_max_t = 3, 9  # window (3, 9]
    rungs = [Rung(level, 1 / 3, 1, keep_order=True) for level in (1, 3, 9)]
    epochs = {}
    for _ in range(600):
        trial = rng.randrange(25)
        epoch = epochs.get(trial, 0) + 1
        if epoch > 9:
            continue
        epochs[trial] = epoch
        state.on_report(trial, epoch, rng.gauss(0, 1), rungs)
        expected = _brute_force_epsilon(state)
        if expected is not None:
            assert state.epsilon == pytest.approx(expected, rel=1e-12)
    assert state.noisy  # the stream did produce noisy pairs


def test_searcher_may_supply_the_bracket_distribution(space):
    from synetune_sdk.searcher import Searcher

    class LearnsBrackets(Searcher):
        def suggest(self, trial_id, **kwargs):
            self.brackets.append(kwargs["bracket"])
            return {"x": 0.5}

        def bracket_distribution(self, num_brackets):
            return [0.0, 1.0]  # learned over the first two brackets only

    searcher = LearnsBrackets(space, "loss")
    searcher.brackets = []
    hb = HyperbandScheduler(space, "loss", brackets=4, searcher=searcher, random_seed=0)
    for trial_id in range(400):
        hb.suggest(trial_id)
    counts = np.bincount(searcher.brackets, minlength=4)
    assert counts[0] == 0 and counts[1] > 0 and counts[2] > 0 and counts[3] > 0


# -- pause/resume protocol and the callbacks the scheduler needs -----------------------------
def test_implements_the_pause_resume_protocol(make_driver):
    from synetune_sdk.scheduler import PauseResumeScheduler

    stopping = make_driver(HyperbandScheduler).scheduler
    promotion = make_driver(HyperbandScheduler, type="promotion").scheduler
    assert isinstance(stopping, PauseResumeScheduler) and not stopping.does_pause_resume()
    assert isinstance(promotion, PauseResumeScheduler) and promotion.does_pause_resume()
    assert promotion.paused_trials() == [] and promotion.rung_information()[-1][0] == 1


def test_default_callbacks_bring_early_checkpoint_removal(make_driver):
    from synetune_plugin_checkpoint_removal import callback as removal

    plain = make_driver(HyperbandScheduler, type="promotion").scheduler
    assert plain.default_callbacks() == []
    kwargs = {"max_num_checkpoints": 5, "approx_steps": 10}
    scheduler = make_driver(
        HyperbandScheduler, type="pasha", early_checkpoint_removal_kwargs=kwargs
    ).scheduler
    [callback] = scheduler.default_callbacks()
    assert isinstance(callback, removal.HyperbandRemoveCheckpointsCallback)
    assert (callback.max_num_checkpoints, callback.approx_steps) == (5, 10)
