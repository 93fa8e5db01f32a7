"""Ray Tune searchers and schedulers wrapped as a synetune scheduler (RayTuneScheduler)."""

from __future__ import annotations

from datetime import datetime

import optuna
import pytest
from ray.tune.schedulers import ASHAScheduler, HyperBandScheduler, MedianStoppingRule
from ray.tune.search.optuna import OptunaSearch
from synetune_plugin_ray.backend import RayBackend
from synetune_plugin_ray.raytune import RayTuneScheduler, to_ray_config_space

import synetune
from synetune import StoppingCriterion, Tuner
from synetune_sdk.config_space import choice, randint, uniform
from synetune_sdk.testing import CONTRACT_SCRIPT, SchedulerContract
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = {"x": uniform(0, 1), "y": randint(1, 4), "c": choice(["a", "b"]), "epochs": 4}
GOOD, BAD = {"x": 0.3}, {"x": 1.0}  # the contract script's loss is (x - 0.3) ** 2 + 1 / epoch


class TestOptunaWithASHAContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return RayTuneScheduler(
            config_space,
            metric=metric,
            mode=mode,
            ray_scheduler=ASHAScheduler(time_attr="epoch", max_t=9),
            ray_searcher=OptunaSearch(seed=random_seed),
        )


class TestRandomWithMedianStoppingContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            "raytune",
            config_space=config_space,
            metric=metric,
            mode=mode,
            ray_scheduler=MedianStoppingRule(time_attr="epoch", grace_period=2),
            random_seed=random_seed,
        )


def _add(scheduler: RayTuneScheduler, trial_id: int, config: dict) -> Trial:
    trial = Trial(trial_id, config, datetime.now())
    scheduler.on_trial_add(trial)
    return trial


def test_ray_asha_stops_a_trial_below_the_rung_cutoff():
    scheduler = RayTuneScheduler(
        SPACE,
        metric="loss",
        mode="min",
        ray_scheduler=ASHAScheduler(time_attr="epoch", max_t=9, grace_period=1, reduction_factor=2),
    )
    good, bad = _add(scheduler, 0, {**SPACE, **GOOD}), _add(scheduler, 1, {**SPACE, **BAD})
    assert scheduler.on_trial_result(good, {"epoch": 1, "loss": 1.0}) == SchedulerDecision.CONTINUE
    assert scheduler.on_trial_result(bad, {"epoch": 1, "loss": 2.0}) == SchedulerDecision.STOP
    scheduler.on_trial_remove(bad)  # the tuner's call after STOP must not confuse Ray's ASHA
    assert scheduler.on_trial_result(good, {"epoch": 2, "loss": 0.5}) == SchedulerDecision.CONTINUE
    scheduler.on_trial_complete(good, {"epoch": 4, "loss": 0.25})
    assert scheduler.ray_scheduler._num_stopped == 1


def test_ray_median_stopping_rule_stops_a_trial_worse_than_the_median():
    scheduler = RayTuneScheduler(
        SPACE,
        ray_scheduler=MedianStoppingRule(
            time_attr="epoch", metric="loss", mode="min", grace_period=1, min_samples_required=2
        ),
    )
    assert scheduler.metric_names() == ["loss"] and scheduler.metric_mode() == "min"
    trials = [_add(scheduler, i, {**SPACE, **GOOD}) for i in range(3)]
    for trial in trials[:2]:
        for epoch in (1, 2):
            scheduler.on_trial_result(trial, {"epoch": epoch, "loss": 1.0})
        scheduler.on_trial_complete(trial, {"epoch": 2, "loss": 1.0})
    assert scheduler.on_trial_result(trials[2], {"epoch": 1, "loss": 5.0}) == SchedulerDecision.STOP


def test_metric_and_unsupported_schedulers_are_reported():
    with pytest.raises(ValueError, match="needs metric and mode"):
        RayTuneScheduler(SPACE)
    with pytest.raises(ValueError, match="metric='loss' but"):
        RayTuneScheduler(
            SPACE, metric="loss", ray_scheduler=ASHAScheduler(metric="acc", mode="max")
        )
    with pytest.raises(ValueError, match="HyperBandScheduler needs Ray Tune's own trial runner"):
        RayTuneScheduler(SPACE, metric="loss", mode="min", ray_scheduler=HyperBandScheduler())


def test_config_space_goes_to_ray_with_inclusive_integer_bounds():
    space = to_ray_config_space(SPACE)
    assert set(space) == {"x", "y", "c"}  # constants stay with synetune
    assert (space["y"].lower, space["y"].upper) == (1, 5)  # Ray's randint excludes upper
    assert space["c"].categories == ["a", "b"]


def test_optuna_searcher_runs_a_tuning_on_ray(ray_cluster, synetune_folder):
    searcher = OptunaSearch(seed=0)
    scheduler = RayTuneScheduler(
        SPACE, metric="loss", mode="min", ray_searcher=searcher, points_to_evaluate=[GOOD]
    )
    backend = RayBackend(entry_point=CONTRACT_SCRIPT)
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=6),
        n_workers=2,
        sleep_time=0.1,
        verbose="quiet",
        save_tuner=False,
    )
    tuner.run()

    assert backend.status == {t: TrialStatus.COMPLETED for t in range(6)}
    assert backend.trials[0].config == {**SPACE, "x": 0.3, "y": 2, "c": "a"}
    # five trials asked from Optuna and told their outcome, plus the point to evaluate added
    # with its outcome (the tuner may ask once more before its stop criterion fires)
    done = [t for t in searcher._ot_study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 6
    told = sorted(t.value for t in done)
    losses = sorted(
        (backend.trials[t].config["x"] - 0.3) ** 2 + 1 / SPACE["epochs"] for t in backend.trials
    )
    assert told == pytest.approx(losses)


def test_ray_asha_stops_trials_on_the_ray_backend(ray_cluster, synetune_folder):
    scheduler = RayTuneScheduler(
        SPACE,
        metric="loss",
        mode="min",
        ray_scheduler=ASHAScheduler(time_attr="epoch", max_t=9, grace_period=1, reduction_factor=2),
        points_to_evaluate=[GOOD, BAD, BAD],
    )
    backend = RayBackend(entry_point=CONTRACT_SCRIPT)
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=1,  # one trial after the other: the decisions are deterministic
        sleep_time=0.1,
        verbose="quiet",
        save_tuner=False,
    )
    tuner.run()

    assert backend.status == {
        0: TrialStatus.COMPLETED,
        1: TrialStatus.STOPPED,
        2: TrialStatus.STOPPED,
    }
    assert tuner.tuning_status.last_results[1]["epoch"] == 1
