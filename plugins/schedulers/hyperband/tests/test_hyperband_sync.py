"""Synchronous Hyperband and DEHB: bracket shapes, rung filling, promotion, DE configurations."""

from __future__ import annotations

import math
import random
from datetime import datetime

import numpy as np
import pytest
from synetune_plugin_hyperband.dehb import GeometricDifferentialEvolutionHyperbandScheduler as DEHB
from synetune_plugin_hyperband.synchronous import SynchronousGeometricHyperbandScheduler as SyncHB
from synetune_plugin_hyperband.synchronous import geometric_bracket_rungs

from synetune_sdk.config_space import (
    choice,
    finrange,
    is_valid_config,
    lograndint,
    loguniform,
    ordinal,
    randint,
    uniform,
)
from synetune_sdk.encoding import ConfigEncoder
from synetune_sdk.trial import Trial

CONTINUE, PAUSE, STOP = "CONTINUE", "PAUSE", "STOP"
SPACE9 = {"x": uniform(0.0, 1.0), "epochs": 9}


def test_bracket_rungs_as_syne_tune():
    # the values Syne Tune 0.13's SynchronousHyperbandRungSystem.geometric returns
    assert geometric_bracket_rungs(1, 27, 3) == [
        [(27, 1), (9, 3), (3, 9), (1, 27)],
        [(12, 3), (4, 9), (2, 27)],
        [(6, 9), (2, 27)],
        [(4, 27)],
    ]
    assert geometric_bracket_rungs(1, 9, 3, 1) == [[(9, 1), (3, 3), (1, 9)]]
    assert geometric_bracket_rungs(2, 100, 2.5, 2) == [
        [(98, 2), (40, 5), (16, 12), (7, 31), (3, 78), (1, 100)],
        [(47, 5), (19, 12), (8, 31), (3, 78), (2, 100)],
    ]


def test_sync_arguments(make_driver):
    hb = make_driver(SyncHB).scheduler
    assert (hb.max_t, hb.rung_levels, hb.num_brackets) == (27, [1, 3, 9], 4)
    assert make_driver(SyncHB, brackets=1).scheduler.num_brackets == 1
    with pytest.raises(ValueError, match="searcher_data"):
        make_driver(SyncHB, searcher_data="rungs_and_last")
    with pytest.raises(ValueError, match="grace_period"):
        make_driver(SyncHB, grace_period=27)
    with pytest.raises(ValueError, match="max_resource_level"):
        make_driver(SyncHB, space={"x": uniform(0, 1)}, max_resource_attr=None)
    with pytest.raises(TypeError, match="max_t"):
        make_driver(SyncHB, max_t=27)


def _fill_base_rung(d, values):
    ids = d.start(len(values))
    for trial_id, value in zip(ids, values):
        assert d.report(trial_id, 1, value) == PAUSE
    return ids


def test_rung_fills_before_promotion_and_idle_worker_takes_next_bracket(make_driver):
    d = make_driver(SyncHB, space=SPACE9, brackets=1)
    values = [0.5, 0.2, 0.9, 0.1, 0.7, 0.3, 0.8, 0.6, 0.4]
    ids = d.start(9)
    for trial_id, value in zip(ids[:8], values[:8]):
        assert d.report(trial_id, 1, value) == PAUSE
    # the rung is not full (one pending slot): no promotion, the worker starts a job of bracket 1
    extra = d.suggest()
    assert extra.spawn_new_trial_id
    assert d.scheduler._trials[d.next_id - 1].slot.bracket_id == 1
    assert d.report(ids[8], 1, values[8]) == PAUSE  # the rung is full now
    promoted = [d.suggest().checkpoint_trial_id for _ in range(3)]
    assert promoted == [ids[3], ids[1], ids[5]]  # the top 1/3, best first
    left_behind = sorted(set(ids) - set(promoted))
    assert sorted(d.scheduler.trials_checkpoints_can_be_removed()) == left_behind
    assert d.scheduler.trials_checkpoints_can_be_removed() == []
    assert d.suggest().spawn_new_trial_id  # rung 3 of bracket 0 is handed out: bracket 1 again


def test_promoted_trial_runs_to_next_rung_then_max_t(make_driver):
    d = make_driver(SyncHB, space=SPACE9, brackets=1)
    ids = _fill_base_rung(d, [0.5, 0.2, 0.9, 0.1, 0.7, 0.3, 0.8, 0.6, 0.4])
    resumes = [d.suggest() for _ in range(3)]
    assert [s.config["epochs"] for s in resumes] == [9, 9, 9]
    before = len(d.searcher.results)
    assert d.report(ids[3], 1, 0.1) == CONTINUE  # replayed from scratch: tolerated, not passed on
    assert len(d.searcher.results) == before
    assert d.report(ids[3], 2, 0.05) == CONTINUE
    assert d.report(ids[3], 3, 0.04) == PAUSE
    assert d.report(ids[1], 2, 0.1) == CONTINUE
    assert d.report(ids[1], 3, 0.01) == PAUSE
    assert d.report(ids[5], 2, 0.2) == CONTINUE
    assert d.report(ids[5], 3, 0.2) == PAUSE
    final = d.suggest()
    assert final.checkpoint_trial_id == ids[1]  # the best of rung 3
    for epoch in range(4, 9):
        assert d.report(ids[1], epoch, 0.01) == CONTINUE
    assert d.report(ids[1], 9, 0.0) == CONTINUE  # max_t: the script ends by itself
    assert d.searcher.results[-1] == (ids[1], 9, True)
    assert (ids[1], 4, False) in d.searcher.results  # searcher_data="rungs": only levels update


def test_sync_mode_max_promotes_largest(make_driver):
    d = make_driver(SyncHB, space=SPACE9, brackets=1, mode="max")
    ids = _fill_base_rung(d, [0.5, 0.2, 0.9, 0.1, 0.7, 0.3, 0.8, 0.6, 0.4])
    assert [d.suggest().checkpoint_trial_id for _ in range(3)] == [ids[2], ids[6], ids[4]]


def test_failed_trials_rank_last_and_are_not_resumed(make_driver):
    d = make_driver(SyncHB, space=SPACE9, brackets=1)
    ids = d.start(9)
    for trial_id in ids[:3]:
        d.scheduler.on_trial_error(d.trials[trial_id])
    assert d.searcher.failed == ids[:3]
    d.scheduler.on_trial_complete(d.trials[ids[3]], {"loss": 0.0, "epoch": 0})  # ended early
    for trial_id in ids[4:8]:
        d.report(trial_id, 1, 0.5)
    d.report(ids[8], 1, 0.0)
    promoted = [d.suggest().checkpoint_trial_id for _ in range(3)]
    assert promoted == [ids[8], ids[4], ids[5]]


def test_default_brackets_start_later_brackets_at_higher_levels(make_driver):
    d = make_driver(SyncHB, space=SPACE9)
    assert d.scheduler.bracket_rungs[1] == [(5, 3), (2, 9)]
    d.start(9)
    d.start(1)  # bracket 0 has no free slot: a job of bracket 1, which starts at level 3
    assert d.searcher.suggested[-1][1] == {"bracket": 1, "milestone": 3}
    assert d.searcher.pending[-1] == (9, 3)


def test_sync_bad_results(make_driver):
    d = make_driver(SyncHB, space=SPACE9, brackets=1)
    ids = d.start(2)
    with pytest.raises(ValueError, match="resource_attr='epoch'"):
        d.scheduler.on_trial_result(d.trials[ids[0]], {"loss": 1.0})
    with pytest.raises(ValueError, match="rung level 1"):
        d.report(ids[0], 2, 1.0)
    d.report(ids[1], 1, 1.0)
    assert d.report(ids[1], 2, 1.0) == PAUSE  # late result after the pause
    unknown = Trial(99, {"x": 0.5}, datetime.now())
    assert d.scheduler.on_trial_result(unknown, {"loss": 1.0, "epoch": 1}) == STOP


# -- DEHB -------------------------------------------------------------------------------------
MIXED = {
    "lr": loguniform(1e-4, 1.0),
    "layers": randint(1, 5),
    "width": lograndint(8, 512),
    "act": choice(["relu", "tanh", "gelu"]),
    "size": ordinal([16, 32, 64]),
    "drop": finrange(0.0, 0.5, 6),
    "x": uniform(-1.0, 1.0),
    "epochs": 9,
}


def test_encoder_round_trip_and_valid_decoding():
    """DEHB's encoded space is ConfigEncoder's: any point of R^d (not one-hot, outside [0, 1],
    as DE mutation makes them) decodes to a valid configuration."""
    encoder = DEHB(MIXED, metric="loss")._encoder
    assert isinstance(encoder, ConfigEncoder)
    rng = np.random.default_rng(0)
    for _ in range(200):
        config = encoder.decode(rng.uniform(-0.5, 1.5, encoder.dim))[0]
        assert is_valid_config(config, MIXED) and config["epochs"] == 9
        again = encoder.decode(encoder.encode(config))[0]
        for name, value in config.items():
            if isinstance(value, float):
                assert again[name] == pytest.approx(value, rel=1e-9), name
            else:
                assert again[name] == value, name
    assert encoder.decode(np.zeros(encoder.dim))[0]["width"] == 8
    assert encoder.decode(np.ones(encoder.dim))[0]["width"] == 512
    with pytest.raises(ValueError, match="no hyperparameter"):
        DEHB({"epochs": 9}, metric="loss")


def test_dehb_crossover_takes_each_hyperparameter_whole():
    space = {"act": choice(["a", "b", "c", "d"]), "x": uniform(0.0, 1.0), "epochs": 9}
    scheduler = DEHB(
        space, metric="loss", random_seed=0, crossover_probability=0.5, points_to_evaluate=[]
    )
    _run_dehb(scheduler, 9 + 3 + 1)  # bracket 0 done: a DE slot of bracket 1 has its parents
    slot = scheduler._manager.next_job()
    assert slot.bracket_id == 1
    encoder = scheduler._encoder
    block = encoder.onehot_slices[0]
    from_target = 0
    for _ in range(200):
        child, target = scheduler._mutation_crossover(slot)
        # random points are continuous, so a mutant coordinate never equals the target's: the
        # one-hot block is all the target's or all the mutant's, never spliced
        same = child[block] == scheduler._trials[target].encoded[block]
        assert same.all() or not same.any()
        from_target += bool(same.all())
        assert is_valid_config(encoder.decode(child)[0], space)
    assert 40 < from_target < 160


def _loss(config, epoch):
    return (config["x"] - 0.3) ** 2 + 1.0 / epoch


def _run_dehb(scheduler, steps):
    """One worker: run each suggestion up to its rung level; record what happened."""
    trials, epoch_done, log = {}, {}, []
    next_id = 0
    for _ in range(steps):
        suggestion = scheduler.suggest(next_id)
        if suggestion.spawn_new_trial_id:
            trial_id = next_id
            trials[trial_id] = Trial(trial_id, dict(suggestion.config), datetime.now())
            scheduler.on_trial_add(trials[trial_id])
            epoch_done[trial_id] = 0
            next_id += 1
        else:
            trial_id = suggestion.checkpoint_trial_id
        slot = scheduler._trials[trial_id].slot
        while True:
            epoch = epoch_done[trial_id] + 1
            epoch_done[trial_id] = epoch
            decision = scheduler.on_trial_result(
                trials[trial_id], {"loss": _loss(trials[trial_id].config, epoch), "epoch": epoch}
            )
            if decision != CONTINUE or epoch == 9:
                break
        log.append((suggestion.spawn_new_trial_id, trial_id, slot.bracket_id, slot.level, decision))
        if suggestion.spawn_new_trial_id and decision != PAUSE:
            epoch_done[trial_id] = 0  # a stopped DE trial never comes back
    return log, trials


def test_dehb_first_bracket_promotes_then_de_fills_later_brackets():
    scheduler = DEHB(SPACE9, metric="loss", max_resource_attr="epochs", random_seed=1)
    assert scheduler.bracket_rungs == [[(9, 1), (3, 3), (1, 9)], [(3, 3), (1, 9)], [(1, 9)]]
    log, trials = _run_dehb(scheduler, 9 + 3 + 1 + 3 + 1 + 1)
    bracket0 = [entry for entry in log if entry[2] == 0]
    assert [(new, level, decision) for new, _, _, level, decision in bracket0] == (
        [(True, 1, PAUSE)] * 9 + [(False, 3, PAUSE)] * 3 + [(False, 9, CONTINUE)]
    )
    base = {
        trial_id: _loss(trials[trial_id].config, 1)
        for _, trial_id, _, level, _ in bracket0
        if level == 1
    }
    top3 = sorted(base, key=base.get)[:3]
    assert [trial_id for new, trial_id, _, level, _ in bracket0 if level == 3] == top3
    bracket1 = [entry for entry in log if entry[2] == 1]
    assert [(new, level, decision) for new, _, _, level, decision in bracket1] == [
        (True, 3, STOP)
    ] * 3 + [(True, 9, CONTINUE)]
    # DE children compete with their targets (the trials in the same slots of bracket 0)
    rung = scheduler._manager.brackets[1].slots[0]
    for (_, child, _, _, _), (winner, value) in zip(bracket1[:3], rung):
        target = scheduler._trials[child].target
        assert target in top3
        assert winner in (child, target)
        assert value == min(scheduler._trials[child].value, _loss(trials[target].config, 3))
    assert all(is_valid_config(t.config, SPACE9) for t in trials.values())
    assert trials[0].config["x"] == 0.5  # points_to_evaluate=None: the midpoint first


def test_dehb_mixed_space_gives_valid_configs_and_promotes():
    scheduler = DEHB(MIXED, metric="loss", mode="max", random_seed=3, points_to_evaluate=[])
    rng = random.Random(0)
    trials, epoch_done, resumed = {}, {}, 0
    for step in range(120):
        suggestion = scheduler.suggest(step)
        if suggestion.spawn_new_trial_id:
            trials[step] = Trial(step, dict(suggestion.config), datetime.now())
            epoch_done[step] = 0
            trial_id = step
        else:
            trial_id = suggestion.checkpoint_trial_id
            resumed += 1
        slot_level = scheduler._trials[trial_id].slot.level
        for epoch in range(epoch_done[trial_id] + 1, slot_level + 1):
            scheduler.on_trial_result(trials[trial_id], {"loss": rng.random(), "epoch": epoch})
        epoch_done[trial_id] = slot_level
    assert resumed > 0
    assert all(is_valid_config(t.config, MIXED) for t in trials.values())
    assert len(
        {tuple(sorted((k, str(v)) for k, v in t.config.items())) for t in trials.values()}
    ) == len(trials)


def test_dehb_failed_slot_and_arguments():
    scheduler = DEHB(SPACE9, metric="loss", random_seed=0, brackets=1)
    first = scheduler.suggest(0)
    trial = Trial(0, first.config, datetime.now())
    scheduler.on_trial_error(trial)
    assert math.isnan(scheduler._manager.brackets[0].slots[0][0][1])
    with pytest.raises(ValueError, match="mutation_factor"):
        DEHB(SPACE9, metric="loss", mutation_factor=0)
    with pytest.raises(TypeError, match="searcher"):
        DEHB(SPACE9, metric="loss", searcher="random")
