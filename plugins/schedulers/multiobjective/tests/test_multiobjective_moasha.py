"""MOASHA: Syne Tune 0.13.0's decisions on a recorded stream, contract, bad input, Tuner run."""

from __future__ import annotations

import gzip
import json
import logging
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import synetune
from synetune_sdk.config_space import uniform
from synetune_sdk.testing import SchedulerContract, contract_config_space, drive_scheduler
from synetune_sdk.trial import SchedulerDecision, Trial

# recorded by benchmarks/moasha_throughput.py --syne-tune --record (Syne Tune 0.13.0)
STREAM = Path(__file__).parent / "data" / "moasha_syne_tune_stream.json.gz"


def _replay(scenario: dict) -> str:
    args = scenario["scheduler"]
    scheduler = synetune.schedulers.create(
        "moasha",
        config_space={"x": uniform(0.0, 1.0)},
        time_attr="epoch",
        random_seed=scenario["seed"],
        **args,
    )
    metrics = args["metrics"]
    trials: dict[int, Trial] = {}
    decisions = []
    for event in scenario["events"]:
        kind, trial_id = event[0], event[1]
        if kind == "a":
            trials[trial_id] = Trial(trial_id, {}, datetime.now())
            scheduler.on_trial_add(trials[trial_id])
        elif kind == "x":
            scheduler.on_trial_remove(trials[trial_id])
        else:
            result = {"epoch": event[2], metrics[0]: event[3], metrics[1]: event[4]}
            if kind == "r":
                decision = scheduler.on_trial_result(trials[trial_id], result)
                decisions.append("S" if decision == SchedulerDecision.STOP else "C")
            else:
                scheduler.on_trial_complete(trials[trial_id], result)
    return "".join(decisions)


@pytest.mark.parametrize("name", ["min-1bracket", "minmax-3brackets"])
def test_same_decisions_as_syne_tune_on_recorded_stream(name):
    with gzip.open(STREAM, "rt") as f:
        scenario = json.load(f)[name]
    expected = scenario["decisions"]
    assert len(expected) >= 5000 and 0 < expected.count("S") < len(expected)
    got = _replay(scenario)
    first_diff = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), None)
    assert got == expected, f"first different decision at result {first_diff}"


class TestMOASHAContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        # the kit reports its metric and "epoch": both are the objectives here
        return synetune.schedulers.create(
            "moasha",
            config_space=config_space,
            metric=[metric, "epoch"],
            mode=[mode, "max"],
            time_attr="epoch",
            max_resource_attr="epochs",
            random_seed=random_seed,
        )


def _moasha(**kwargs):
    args = dict(
        config_space={"x": uniform(0.0, 1.0)},
        metrics=["a", "b"],
        time_attr="epoch",
        max_t=9,
        random_seed=0,
    )
    args.update(kwargs)
    return synetune.schedulers.create("moasha", **args)


def test_stops_a_dominated_trial_and_keeps_a_front_trial():
    scheduler = _moasha()
    trials = [Trial(i, {}, datetime.now()) for i in range(3)]
    for t in trials:
        scheduler.on_trial_add(t)
    assert scheduler.on_trial_result(trials[0], {"epoch": 1, "a": 0.5, "b": 0.5}) == "CONTINUE"
    # dominated by trial 0: the newcomer is last in the order
    assert scheduler.on_trial_result(trials[1], {"epoch": 1, "a": 0.9, "b": 0.9}) == "STOP"
    # dominates both: front of its own
    assert scheduler.on_trial_result(trials[2], {"epoch": 1, "a": 0.1, "b": 0.1}) == "CONTINUE"
    # numpy numbers are read like Python's
    t3 = Trial(3, {}, None)
    scheduler.on_trial_add(t3)
    result = {"epoch": np.int64(1), "a": np.float32(0.95), "b": np.float64(0.95)}
    assert scheduler.on_trial_result(t3, result) == "STOP"
    # at max_t every trial stops
    assert scheduler.on_trial_result(trials[2], {"epoch": 9, "a": 0.1, "b": 0.1}) == "STOP"


def test_mode_max_flips_an_objective():
    scheduler = _moasha(mode=["min", "max"], reduction_factor=2)
    t0, t1 = Trial(0, {}, None), Trial(1, {}, None)
    scheduler.on_trial_add(t0)
    scheduler.on_trial_add(t1)
    scheduler.on_trial_result(t0, {"epoch": 1, "a": 0.5, "b": 0.5})
    # higher b is better: trial 1 dominates trial 0
    assert scheduler.on_trial_result(t1, {"epoch": 1, "a": 0.4, "b": 0.9}) == "CONTINUE"
    assert scheduler.metric_mode() == ["min", "max"]


def test_custom_priority_callable():
    # priority = first objective only: the newcomer is ranked by "a"
    scheduler = _moasha(multiobjective_priority=lambda Y: Y[:, 0])
    trials = [Trial(i, {}, None) for i in range(2)]
    for t in trials:
        scheduler.on_trial_add(t)
    scheduler.on_trial_result(trials[0], {"epoch": 1, "a": 0.5, "b": 0.0})
    assert scheduler.on_trial_result(trials[1], {"epoch": 1, "a": 0.9, "b": -5.0}) == "STOP"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metrics": ["a"]}, "at least two metrics"),
        ({"metrics": "a"}, "at least two metrics"),
        ({"mode": ["min"]}, "one 'min'/'max' per metric"),
        ({"mode": "minimize"}, "mode must be 'min' or 'max'"),
        ({"grace_period": 20}, "grace_period"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"brackets": 0}, "brackets"),
        ({"multiobjective_priority": "crowding"}, "multiobjective_priority"),
        ({"max_resource_attr": "epochs"}, "max_resource_attr"),
        ({"typo": 1}, "unknown argument"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        _moasha(**kwargs)


def test_missing_metric_or_nan_is_skipped_with_one_warning(caplog):
    scheduler = _moasha()
    trial = Trial(0, {}, None)
    scheduler.on_trial_add(trial)
    with caplog.at_level(logging.WARNING):
        assert scheduler.on_trial_result(trial, {"epoch": 1, "a": 0.5}) == "CONTINUE"
        assert scheduler.on_trial_result(trial, {"epoch": 1, "a": 0.6}) == "CONTINUE"
        assert scheduler.on_trial_result(trial, {"epoch": 1, "a": np.nan, "b": 1}) == "CONTINUE"
        assert scheduler.on_trial_result(trial, {"a": 1.0, "b": 1.0}) == "CONTINUE"
        scheduler.on_trial_complete(trial, {"epoch": 2, "a": 0.5})
    messages = [r.getMessage() for r in caplog.records]
    assert sum("without ['b']" in m for m in messages) == 1
    assert sum("NaN" in m for m in messages) == 1
    assert sum("numeric 'epoch'" in m for m in messages) == 1
    # nothing was recorded: a finite result at the rung is compared with nobody
    t1 = Trial(1, {}, None)
    scheduler.on_trial_add(t1)
    assert scheduler.on_trial_result(t1, {"epoch": 1, "a": 9.0, "b": 9.0}) == "CONTINUE"


def test_same_seed_same_configs_and_brackets():
    def run(seed):
        s = _moasha(
            config_space=contract_config_space(),
            metrics=["loss", "epoch"],
            mode=["min", "max"],
            brackets=3,
            random_seed=seed,
        )
        configs = [s.suggest(i).config for i in range(5)]
        counts = drive_scheduler(s, n_workers=2, max_trials=20)
        return configs, counts, [s._trial_bracket.get(i) is not None for i in range(20)]

    assert run(3) == run(3)
    assert run(3)[0] != run(4)[0]


def test_real_tuner_run_two_objectives(tmp_path, monkeypatch):
    from synetune import StoppingCriterion, Tuner
    from synetune_sdk.testing import ThreadBackend

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))

    def objective(config, report, start_epoch=0):
        for epoch in range(start_epoch + 1, 10):
            time.sleep(0.02)  # gives the tuner time to act on a STOP
            x = config["x"]
            if not report(epoch=epoch, err=x + 1.0 / epoch, cost=(1 - x) * epoch):
                return

    scheduler = synetune.schedulers.create(
        "moasha",
        config_space={"x": uniform(0.0, 1.0), "epochs": 9},
        metrics=["err", "cost"],
        time_attr="epoch",
        max_resource_attr="epochs",
        random_seed=1,
    )
    tuner = Tuner(
        ThreadBackend(objective),
        scheduler,
        StoppingCriterion(max_num_trials_started=12),
        n_workers=3,
        verbose="quiet",
    )
    tuner.run()
    results = synetune.load_experiment(tuner.name).results
    assert results["trial_id"].nunique() == 12
    assert {"err", "cost"} <= set(results.columns)
    assert (results.groupby("trial_id")["epoch"].max() < 9).any()  # some trials were stopped


class TestMOASHAPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "moasha",
            config_space=config_space,
            metric=[metric, "epoch"],
            mode=[mode, "max"],
            time_attr="epoch",
            max_resource_attr="epochs",
            random_seed=random_seed,
            type="promotion",
        )


def test_promotion_pauses_at_rungs_and_resumes_only_the_top_third():
    scheduler = _moasha(type="promotion")
    assert scheduler.does_pause_resume()
    trials = {}

    def start():
        suggestion = scheduler.suggest(len(trials))
        assert suggestion.spawn_new_trial_id
        trial = trials[len(trials)] = Trial(len(trials), dict(suggestion.config), None)
        scheduler.on_trial_add(trial)
        return trial

    t0 = start()
    assert scheduler.on_trial_result(t0, {"epoch": 1, "a": 0.5, "b": 0.5}) == "PAUSE"
    scheduler.on_trial_remove(t0)
    resumed = scheduler.suggest(1)  # alone at the rung: in its top third
    assert not resumed.spawn_new_trial_id and resumed.checkpoint_trial_id == 0
    assert resumed.config == t0.config
    assert scheduler.on_trial_result(t0, {"epoch": 2, "a": 0.4, "b": 0.4}) == "CONTINUE"
    assert scheduler.on_trial_result(t0, {"epoch": 3, "a": 0.3, "b": 0.3}) == "PAUSE"
    scheduler.on_trial_remove(t0)
    # rung 3 holds t0 alone: it is promoted again before anything else
    assert scheduler.suggest(1).checkpoint_trial_id == 0
    assert scheduler.on_trial_result(t0, {"epoch": 9, "a": 0.2, "b": 0.2}) == "STOP"
    for values in ((0.9, 0.9), (0.8, 0.95)):  # dominated by t0 at rung 1
        t = start()
        assert scheduler.on_trial_result(t, {"epoch": 1, "a": values[0], "b": values[1]}) == "PAUSE"
        scheduler.on_trial_remove(t)
    assert {p[0] for p in scheduler.paused_trials()} == {1, 2}
    assert (1, 3, 1 / 3) in scheduler.rung_information()
    t3 = start()  # positions 1 and 2 of 3 are not in the top third: a new trial starts
    assert scheduler.on_trial_result(t3, {"epoch": 1, "a": 0.1, "b": 0.1}) == "PAUSE"
    scheduler.on_trial_remove(t3)
    assert scheduler.suggest(4).checkpoint_trial_id == 3  # best of 4 at the rung


def test_unknown_type_is_refused():
    with pytest.raises(ValueError, match="type must be one of"):
        _moasha(type="pasha")


def test_same_verdicts_as_syne_tune_on_random_rungs_with_ties_and_more_objectives():
    with gzip.open(STREAM, "rt") as f:
        cases = json.load(f)["priority_cases"]
    assert len(cases) >= 300 and any(len(Y[0]) == 4 for Y, _ in cases)
    verdicts = []
    for Y, _ in cases:
        m = len(Y[0])
        names = [f"o{j}" for j in range(m)]
        scheduler = _moasha(metrics=names)  # every result is recorded at rung level 1
        for trial_id, row in enumerate(Y):
            trial = Trial(trial_id, {}, None)
            scheduler.on_trial_add(trial)
            decision = scheduler.on_trial_result(trial, {"epoch": 1, **dict(zip(names, row))})
        verdicts.append(decision == SchedulerDecision.STOP)
    assert verdicts == [expected for _, expected in cases]
