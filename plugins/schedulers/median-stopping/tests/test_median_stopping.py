"""Decisions of the median stopping rule, driven by hand with hand-built result sequences."""

from __future__ import annotations

import math
import pickle
from types import SimpleNamespace

import pytest
from synetune_plugin_median_stopping.scheduler import MedianStoppingRule

import synetune
from synetune_sdk import Scheduler, SchedulerDecision, Trial, TrialSuggestion, hookimpl
from synetune_sdk.testing import SchedulerContract

CONTINUE, PAUSE, STOP = SchedulerDecision.CONTINUE, SchedulerDecision.PAUSE, SchedulerDecision.STOP


class Recorder(Scheduler):
    """A wrapped scheduler that records every call and answers ``decision`` to results."""

    def __init__(self, config_space=None, metric="loss", mode="min", decision=CONTINUE, **kwargs):
        super().__init__(config_space or {})
        self.metric, self.mode, self.decision, self.kwargs = metric, mode, decision, kwargs
        self.calls: list[tuple] = []

    def suggest(self, trial_id):
        self.calls.append(("suggest", trial_id))
        return TrialSuggestion.start_suggestion({"x": trial_id})

    def on_trial_add(self, trial):
        self.calls.append(("add", trial.trial_id))

    def on_trial_result(self, trial, result):
        self.calls.append(("result", trial.trial_id, dict(result)))
        return self.decision

    def on_trial_complete(self, trial, result):
        self.calls.append(("complete", trial.trial_id))

    def on_trial_error(self, trial):
        self.calls.append(("error", trial.trial_id))

    def on_trial_remove(self, trial):
        self.calls.append(("remove", trial.trial_id))

    def metric_names(self):
        return [self.metric, "cost"]

    def metric_mode(self):
        return self.mode


def trial(trial_id: int) -> Trial:
    return Trial(trial_id=trial_id, config={"x": trial_id})


def report(rule, trial_id, epoch, value, metric="loss"):
    return rule.on_trial_result(trial(trial_id), {"epoch": epoch, metric: value})


def test_grace_population_counts_other_trials_at_the_level():
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", grace_population=5)
    # trials 0..4 see at most 4 others: never stopped, however bad
    assert [report(rule, t, 1, 10.0 - t) for t in range(5)] == [CONTINUE] * 5
    # others at epoch 1: 6, 7, 8, 9, 10 -> median 8
    assert report(rule, 5, 1, 9.0) == STOP
    assert report(rule, 6, 1, 8.0) == CONTINUE  # equal to the median is not worse
    assert report(rule, 7, 1, 7.5) == CONTINUE
    # another level has its own population
    assert report(rule, 5, 2, 100.0) == CONTINUE


def test_grace_time_protects_low_resource_levels():
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", grace_time=3, grace_population=2)
    for epoch in (1, 2, 3):
        report(rule, 0, epoch, 1.0)
        report(rule, 1, epoch, 2.0)
    assert report(rule, 2, 1, 5.0) == CONTINUE
    assert report(rule, 2, 2, 5.0) == CONTINUE
    assert report(rule, 2, 3, 5.0) == STOP


def run_trajectories(running_average: bool) -> list[str]:
    rule = MedianStoppingRule(
        Recorder(), resource_attr="epoch", grace_population=3, running_average=running_average
    )
    for t, value in enumerate([3.0, 5.0, 5.0]):  # constant curves: average == last value
        for epoch in (1, 2, 3):
            assert report(rule, t, epoch, value) == CONTINUE
    # the last value 10 is worse than the median 5, the average (1 + 1 + 10) / 3 = 4 is not
    return [report(rule, 9, epoch, value) for epoch, value in ((1, 1.0), (2, 1.0), (3, 10.0))]


def test_running_average_smooths_a_bad_last_value():
    assert run_trajectories(running_average=True) == [CONTINUE, CONTINUE, CONTINUE]


def test_last_value_without_running_average():
    assert run_trajectories(running_average=False) == [CONTINUE, CONTINUE, STOP]


def test_mode_max_stops_the_low_values():
    rule = MedianStoppingRule(
        Recorder(metric="accuracy", mode="max"), resource_attr="epoch", grace_population=5
    )
    assert rule.metric == "accuracy" and rule.mode == "max"
    for t, acc in enumerate([0.1, 0.2, 0.3, 0.4, 0.5]):
        assert report(rule, t, 1, acc, metric="accuracy") == CONTINUE
    assert report(rule, 5, 1, 0.25, metric="accuracy") == STOP
    assert report(rule, 6, 1, 0.35, metric="accuracy") == CONTINUE


def test_mode_argument_overrides_the_wrapped_mode():
    rule = MedianStoppingRule(
        Recorder(mode="min"), resource_attr="epoch", mode="max", grace_population=2
    )
    report(rule, 0, 1, 1.0)
    report(rule, 1, 1, 3.0)
    assert report(rule, 2, 1, 1.5) == STOP  # below the median 2 is worse when maximising


@pytest.mark.parametrize(
    ("rank_cutoff", "value", "expected"),
    [
        (0.25, 2.5, STOP),  # quantile 0.25 of 1..5 is 2
        (0.25, 1.5, CONTINUE),
        (0.75, 3.5, CONTINUE),  # quantile 0.75 of 1..5 is 4
        (0.75, 4.5, STOP),
        (1.0, 4.9, CONTINUE),  # never worse than the worst
        (1.0, 5.1, STOP),
        (0.0, 1.1, STOP),  # only as good as the best survives
    ],
)
def test_rank_cutoff_picks_the_quantile(rank_cutoff, value, expected):
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", rank_cutoff=rank_cutoff)
    for t in range(5):
        report(rule, t, 1, float(t + 1))
    assert report(rule, 10, 1, value) == expected


def test_median_of_an_even_population_interpolates():
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", grace_population=6)
    for t in range(6):
        report(rule, t, 1, float(t + 1))  # median of 1..6 is 3.5
    assert report(rule, 10, 1, 3.6) == STOP
    assert report(rule, 11, 1, 3.4) == CONTINUE


def test_wrapped_scheduler_decides_first_and_sees_every_result():
    wrapped = Recorder()
    rule = MedianStoppingRule(wrapped, resource_attr="epoch", grace_population=1)
    report(rule, 0, 1, 1.0)
    wrapped.decision = PAUSE
    assert report(rule, 1, 1, 9.0) == PAUSE  # the rule never overrides PAUSE
    wrapped.decision = STOP
    assert report(rule, 2, 1, 0.5) == STOP  # nor STOP
    assert [c[1] for c in wrapped.calls if c[0] == "result"] == [0, 1, 2]
    # values seen under a PAUSE/STOP still count: others at epoch 1 are now 0.5, 1, 9 (median 1)
    wrapped.decision = CONTINUE
    assert report(rule, 3, 1, 1.5) == STOP
    assert report(rule, 4, 1, 0.9) == CONTINUE


def test_every_other_hook_is_delegated():
    wrapped = Recorder(config_space={"x": 1})
    rule = MedianStoppingRule(wrapped, resource_attr="epoch")
    assert rule.suggest(7).config == {"x": 7}
    rule.on_trial_add(trial(7))
    rule.on_trial_complete(trial(7), {"epoch": 1, "loss": 1.0})
    rule.on_trial_error(trial(8))
    rule.on_trial_remove(trial(9))
    assert wrapped.calls == [
        ("suggest", 7),
        ("add", 7),
        ("complete", 7),
        ("error", 8),
        ("remove", 9),
    ]
    assert rule.metric_names() == ["loss", "cost"]
    assert rule.metric_mode() == "min"
    assert rule.config_space == {"x": 1}
    assert rule.metric == "loss"  # defaults to the wrapped scheduler's first metric
    assert rule.metadata()["scheduler_name"] == "MedianStoppingRule"


def test_explicit_metric_is_used():
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", metric="cost", grace_population=1)
    rule.on_trial_result(trial(0), {"epoch": 1, "loss": 100.0, "cost": 1.0})
    assert rule.on_trial_result(trial(1), {"epoch": 1, "loss": 0.0, "cost": 2.0}) == STOP


def test_a_level_reported_again_replaces_the_trials_value():
    rule = MedianStoppingRule(
        Recorder(), resource_attr="epoch", grace_population=2, running_average=False
    )
    for _ in range(4):  # one trial reporting the same level four times is one peer, not four
        report(rule, 0, 1, 1.0)
    assert report(rule, 1, 1, 5.0) == CONTINUE
    report(rule, 0, 1, 9.0)  # trial 0 resumed from an older checkpoint, now worse
    assert report(rule, 2, 1, 6.0) == CONTINUE  # others: 5 and 9, median 7
    assert report(rule, 3, 1, 8.0) == STOP  # others: 5, 6, 9, median 6


def test_nan_counts_as_the_worst_value():
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", grace_population=2)
    report(rule, 0, 1, 1.0)
    report(rule, 1, 1, 2.0)
    assert report(rule, 2, 1, math.nan) == STOP
    assert report(rule, 3, 1, 1.6) == CONTINUE  # others 1, 2, nan: median 2


def test_missing_keys_in_a_result_are_reported_clearly():
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch")
    with pytest.raises(ValueError, match="'epoch'.*resource_attr"):
        rule.on_trial_result(trial(0), {"loss": 1.0})
    with pytest.raises(ValueError, match="'loss'.*metric"):
        rule.on_trial_result(trial(0), {"epoch": 1})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rank_cutoff": 1.5}, "rank_cutoff"),
        ({"grace_population": 0}, "grace_population"),
        ({"resource_attr": ""}, "resource_attr"),
        ({"mode": "up"}, "mode"),
        ({"scheduler_kwargs": {"a": 1}}, "scheduler_kwargs"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MedianStoppingRule(Recorder(), **{"resource_attr": "epoch", **kwargs})


def test_state_survives_pickling():
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", grace_population=2)
    report(rule, 0, 1, 1.0)
    report(rule, 1, 1, 2.0)
    clone = pickle.loads(pickle.dumps(rule))
    assert report(clone, 2, 1, 3.0) == STOP
    assert report(clone, 3, 1, 1.2) == CONTINUE


@pytest.fixture
def recorder_plugin():
    plugin = SimpleNamespace(
        register_schedulers=hookimpl(
            lambda register: register("test_recorder", Recorder, summary="records calls")
        )
    )
    synetune.plugins.register(plugin, name="test-median-recorder")
    yield
    synetune.plugins.unregister("test-median-recorder")


def test_wrapped_scheduler_by_name(recorder_plugin):
    rule = synetune.schedulers.create(
        "median_stopping_rule",
        scheduler="test_recorder",
        config_space={"x": 1},
        metric="acc",
        mode="max",
        scheduler_kwargs={"flavour": "plain"},
        resource_attr="epoch",
        grace_population=1,
    )
    assert isinstance(rule, MedianStoppingRule)
    wrapped = rule.scheduler
    assert isinstance(wrapped, Recorder)
    assert (wrapped.config_space, wrapped.metric, wrapped.mode) == ({"x": 1}, "acc", "max")
    assert wrapped.kwargs == {"flavour": "plain"}
    report(rule, 0, 1, 0.9, metric="acc")
    assert report(rule, 1, 1, 0.5, metric="acc") == STOP


def test_random_seed_seeds_a_wrapped_scheduler_built_by_name(recorder_plugin):
    def build(**kwargs):
        return synetune.schedulers.create(
            "median_stopping_rule",
            scheduler="test_recorder",
            config_space={"x": 1},
            metric="loss",
            resource_attr="epoch",
            **kwargs,
        )

    assert build(random_seed=7).scheduler.kwargs == {"random_seed": 7}
    assert build(random_seed=7).metadata()["random_seed"] == 7
    # scheduler_kwargs win; no seed given: none passed on
    rule = build(random_seed=7, scheduler_kwargs={"random_seed": 3})
    assert rule.scheduler.kwargs == {"random_seed": 3}
    assert build().scheduler.kwargs == {}
    # with an instance the seed is only recorded (the rule draws nothing)
    rule = MedianStoppingRule(Recorder(), resource_attr="epoch", random_seed=5)
    assert rule.random_seed == 5 and rule.metadata()["random_seed"] == 5
    fifo = synetune.schedulers.create(
        "median_stopping_rule",
        scheduler="fifo",
        config_space={"x": 1},
        metric="loss",
        resource_attr="epoch",
        random_seed=11,
    )
    assert fifo.scheduler.random_seed == 11 and fifo.metadata()["random_seed"] == 11


def test_scheduler_name_needs_config_space_and_metric():
    with pytest.raises(ValueError, match="config_space and metric"):
        MedianStoppingRule("fifo", resource_attr="epoch")


class TestMedianStoppingContract(SchedulerContract):
    """The conformance kit, on the rule wrapping the registered ``fifo`` scheduler by name."""

    def make_scheduler(self, config_space, metric, mode, random_seed):
        return MedianStoppingRule(
            "fifo",
            resource_attr="epoch",
            config_space=config_space,
            metric=metric,
            mode=mode,
            scheduler_kwargs={"random_seed": random_seed},
            grace_population=2,
        )
