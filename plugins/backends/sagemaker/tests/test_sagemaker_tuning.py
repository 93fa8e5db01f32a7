"""Whole tunings on the SageMaker backend: ASHA with promotion, PBT, warm pools, quota."""

from __future__ import annotations

from typing import Any

import pytest

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.plugin_api import read_events
from synetune_sdk.config_space import uniform
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.testing import CONTRACT_SCRIPT, run_to_end
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion


def _tuner(backend: Any, scheduler: Any, name: str, n_workers: int, **kwargs: Any) -> Tuner:
    options: dict[str, Any] = {
        "stop_criterion": StoppingCriterion(max_wallclock_time=60),
        "sleep_time": 0.1,
        "verbose": "quiet",
        "suffix_tuner_name": False,
    }
    options.update(kwargs)
    return Tuner(
        trial_backend=backend, scheduler=scheduler, n_workers=n_workers, tuner_name=name, **options
    )


def _epochs_per_trial(df: Any) -> dict[int, list[int]]:
    return {int(t): g["epoch"].tolist() for t, g in df.groupby("trial_id")}


def test_asha_promotion_pauses_and_resumes_from_s3_checkpoints(
    make_backend, sagemaker, tmp_path, monkeypatch
):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    sagemaker.quota = 3  # the account's instance limit
    backend = make_backend(CONTRACT_SCRIPT)
    # an epoch lasts longer than a stop takes (a paused job trains on until its job stops; a
    # promotion scheduler needs the resumed job to report the next rung level)
    space = {"x": uniform(0.0, 1.0), "epochs": 9, "sleep": 0.5}
    scheduler = synetune.schedulers.create(
        "asha",
        config_space=space,
        metric="loss",
        mode="min",
        resource_attr="epoch",
        max_resource_attr="epochs",
        type="promotion",
        random_seed=1,
    )
    tuner = _tuner(
        backend,
        scheduler,
        "asha-sm",
        n_workers=3,
        stop_criterion=StoppingCriterion(max_num_trials_started=6, max_wallclock_time=90),
        start_jobs_without_delay=False,
    )
    tuner.run()

    df = load_experiment("asha-sm").results
    epochs = _epochs_per_trial(df)
    assert len(epochs) == 6
    resumed = [t for t in epochs if len(backend.job_names(t)) > 1]
    assert resumed, "no trial was promoted"
    for trial_id in resumed:
        # each resumed job continued from the checkpoint its previous job left in S3 (a job
        # started from scratch would report epoch 1 again)
        levels = epochs[trial_id]
        assert levels == sorted(set(levels)) and levels[-1] >= 3, levels
        uris = {
            r["CheckpointConfig"]["S3Uri"]
            for r in sagemaker.requests
            if r["TrainingJobName"] in backend.job_names(trial_id)
        }
        assert uris == {f"s3://synetune-tests/syne-tune/asha-sm/{trial_id}/checkpoints/"}
    assert all(levels[0] == 1 for levels in epochs.values())
    # busy accounting kept the account within its quota: never ResourceLimitExceeded
    assert sagemaker.rejected == []
    assert sagemaker.max_live <= 3
    assert df["st_worker_cost"].gt(0).all()
    assert backend.busy_trial_ids() == []


PBT_SCRIPT = """
import argparse, json, os, time
from synetune_sdk import Reporter

parser = argparse.ArgumentParser()
for name in ("epochs", "x", "st_checkpoint_dir"):
    parser.add_argument(f"--{name}")
args, _ = parser.parse_known_args()
state = os.path.join(args.st_checkpoint_dir, "state.json")
start = json.load(open(state))["epoch"] if os.path.exists(state) else 0
report = Reporter()
for epoch in range(start + 1, int(args.epochs) + 1):
    time.sleep(0.1)
    json.dump({"epoch": epoch}, open(state + ".tmp", "w"))
    os.replace(state + ".tmp", state)
    # the population ranks on x alone, so the worst trial is exploited at its first check
    report(epoch=epoch, loss=(float(args.x) - 0.3) ** 2)
"""


def test_pbt_starts_trials_from_s3_copies_of_checkpoints(
    make_backend, sagemaker, tmp_path, monkeypatch, write_script
):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    backend = make_backend(write_script("pbt_train.py", PBT_SCRIPT))
    # 30 epochs (3 s): a trial exploited at its epoch-2 check copies a checkpoint that still
    # has epochs to go even on a loaded machine (a finished copy would leave nothing to report)
    space = {"x": uniform(0.0, 1.0), "epochs": 30}
    scheduler = synetune.schedulers.create(
        "pbt",
        config_space=space,
        metric="loss",
        mode="min",
        resource_attr="epoch",
        max_resource_attr="epochs",
        population_size=3,
        perturbation_interval=2,
        quantile_fraction=0.34,
        random_seed=3,
    )
    tuner = _tuner(
        backend,
        scheduler,
        "pbt-sm",
        n_workers=3,
        stop_criterion=StoppingCriterion(max_num_trials_started=6, max_wallclock_time=90),
    )
    tuner.run()

    events = read_events(tuner.tuner_path / "events.jsonl")
    exploits = {
        e["trial_id"]: e["checkpoint_trial_id"]
        for e in events
        if e.get("event") == "trial" and e.get("checkpoint_trial_id") is not None
    }
    assert exploits, "PBT never started a trial from another trial's checkpoint"
    epochs = _epochs_per_trial(load_experiment("pbt-sm").results)
    # a trial started from a copied checkpoint continues at the level the copy holds
    continued = [t for t in exploits if t in epochs and epochs[t][0] > 1]
    assert continued, {t: epochs.get(t) for t in exploits}


class StopAtFirstEpoch(Scheduler):
    """Starts ``n`` fixed trials and stops each one at its first result."""

    def __init__(self, n: int, epochs: int = 50):
        super().__init__()
        self.remaining = n
        self.epochs = epochs

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        if self.remaining == 0:
            return None
        self.remaining -= 1
        return TrialSuggestion.start_suggestion({"epochs": self.epochs, "sleep": 0.05})

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        return SchedulerDecision.STOP

    def metric_names(self) -> list[str]:
        return ["loss"]

    def metric_mode(self) -> str:
        return "min"


def test_stopping_jobs_count_as_busy_so_the_quota_is_never_exceeded(
    make_backend, sagemaker, tmp_path, monkeypatch
):
    """Syne Tune issue 250: jobs still stopping hold instances."""
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    sagemaker.quota = 2
    sagemaker.stop_delay = 0.4  # SageMaker takes a while to stop a job
    backend = make_backend(CONTRACT_SCRIPT)
    tuner = _tuner(
        backend, StopAtFirstEpoch(5), "busy-sm", n_workers=2, start_jobs_without_delay=False
    )
    tuner.run()

    assert backend.status == {t: TrialStatus.STOPPED for t in range(5)}
    assert len(sagemaker.stop_calls) == 5
    assert sagemaker.rejected == []
    assert sagemaker.max_live <= 2


def test_quota_exceeded_starts_wait_instead_of_failing(
    make_backend, sagemaker, tmp_path, monkeypatch
):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    sagemaker.quota = 1
    backend = make_backend(CONTRACT_SCRIPT)
    scheduler = synetune.schedulers.create(
        "random_search", config_space={"x": uniform(0, 1), "epochs": 2}, metric="loss", mode="min"
    )
    tuner = _tuner(
        backend,
        scheduler,
        "quota-sm",
        n_workers=2,
        stop_criterion=StoppingCriterion(max_num_trials_started=3, max_wallclock_time=60),
    )
    tuner.run()

    assert sagemaker.rejected, "the fake quota was never hit"
    assert set(backend.status.values()) == {TrialStatus.COMPLETED}
    assert len(backend.status) == 3


def test_warm_pool_is_reused_across_trials_and_released_at_the_end(
    make_backend, sagemaker, tmp_path, monkeypatch
):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    backend = make_backend(CONTRACT_SCRIPT, keep_alive_period_in_seconds=600)
    scheduler = synetune.schedulers.create(
        "random_search", config_space={"x": uniform(0, 1), "epochs": 2}, metric="loss", mode="min"
    )
    tuner = _tuner(
        backend,
        scheduler,
        "warm-sm",
        n_workers=1,
        stop_criterion=StoppingCriterion(max_num_trials_started=3, max_wallclock_time=60),
        start_jobs_without_delay=False,
    )
    tuner.run()

    jobs = [r["TrainingJobName"] for r in sagemaker.requests]
    assert [r["ResourceConfig"]["KeepAlivePeriodInSeconds"] for r in sagemaker.requests] == [
        600
    ] * 3
    assert sagemaker.warm_reuses == [(jobs[0], jobs[1]), (jobs[1], jobs[2])]
    assert sagemaker.released == [jobs[2]]  # the idle pool left at the end
    assert [backend.jobs[j].warm_pool["Status"] for j in jobs] == ["Reused", "Reused", "Terminated"]


@pytest.mark.parametrize("instance_type", ["ml.m5.large", "ml.unpriced.xlarge"])
def test_worker_cost_from_instance_price_and_billable_seconds(
    make_backend, sagemaker, tmp_path, instance_type
):
    # 3600 USD per hour: the cost in USD is the number of billable seconds
    backend = make_backend(
        CONTRACT_SCRIPT, instance_type=instance_type, instance_prices={"ml.m5.large": 3600.0}
    )
    backend.set_path(tmp_path / "cost")
    trial = backend.start_trial({"epochs": 3, "sleep": 0.2})
    results = [r for _, r in run_to_end(backend, [trial.trial_id])]
    assert [r["epoch"] for r in results] == [1, 2, 3]
    if instance_type == "ml.unpriced.xlarge":
        assert all("st_worker_cost" not in r for r in results)
        return
    costs = [r["st_worker_cost"] for r in results]
    assert costs == sorted(costs) and costs[0] > 0
    # at least the seconds slept between the first and last epoch, at most the whole run
    assert costs[-1] - costs[0] >= 0.35
    assert costs[-1] <= results[-1]["st_worker_timestamp"] - trial.creation_time.timestamp() + 1
