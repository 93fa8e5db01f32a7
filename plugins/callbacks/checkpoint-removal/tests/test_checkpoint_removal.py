"""Checkpoint removal under real runs with the local backend, and the resume-probability score.

The local backend is created by name (synetune-plugin-local is a test dependency); unit tests
drive the callbacks with a ``TuningContext`` built by hand.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from synetune_plugin_checkpoint_removal.callback import (
    HyperbandRemoveCheckpointsCallback,
    RemoveCheckpointsCallback,
)
from synetune_plugin_checkpoint_removal.score import binomial_pmf, resume_probabilities

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk import Callback
from synetune_sdk.config_space import uniform
from synetune_sdk.context import TuningContext, TuningStatus
from synetune_sdk.scheduler import PauseResumeScheduler
from synetune_sdk.testing import CONTRACT_SCRIPT, RandomScheduler, ThreadBackend, quadratic
from synetune_sdk.trial import Trial, TrialStatus


def local_backend() -> Any:
    return synetune.backends.create("local", entry_point=CONTRACT_SCRIPT, kill_grace_period=2.0)


def holders(tuner_path: Path) -> list[int]:
    """Trials whose checkpoint folder holds files, read from the disk."""
    out = []
    for folder in tuner_path.iterdir():
        checkpoints = folder / "checkpoints"
        if folder.name.isdigit() and checkpoints.is_dir() and any(checkpoints.iterdir()):
            out.append(int(folder.name))
    return sorted(out)


class DiskMonitor(Callback):
    """After every loop iteration (and the removal callback), what holds a checkpoint on disk."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[int], dict[int, str]]] = []
        self.context: Any = None

    def on_tuning_start(self, context: TuningContext) -> None:
        self.context = context

    def on_loop_end(self) -> None:
        status = dict(self.context.tuning_status.trial_status)
        self.seen.append((holders(self.context.tuner_path), status))

    def __getstate__(self) -> dict[str, Any]:
        return {"seen": self.seen, "context": None}


# ------------------------------------------------------------------------ checkpoint_removal
def _local_run(name: str, callbacks: list, n_trials: int = 5) -> Tuner:
    space = {"x": uniform(0.0, 1.0), "epochs": 3, "sleep": 0.05}
    tuner = Tuner(
        trial_backend=local_backend(),
        # stops trials with |x - 0.3| > 0.22 at epoch 2, others complete
        scheduler=RandomScheduler(space, seed=4, stop_above=0.55),
        stop_criterion=StoppingCriterion(max_num_trials_started=n_trials),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=callbacks,
    )
    tuner.run()
    return tuner


def test_finished_trials_lose_their_checkpoint_during_the_run():
    monitor = DiskMonitor()
    removal = synetune.callbacks.create("checkpoint_removal")
    tuner = _local_run("removal-all", [removal, monitor])
    statuses = set(tuner.tuning_status.trial_status.values())
    assert {TrialStatus.COMPLETED, TrialStatus.STOPPED} <= statuses  # both paths exercised
    checked = 0
    for on_disk, status in monitor.seen:
        for trial_id in on_disk:
            # what holds a checkpoint after a loop iteration is a trial still running
            assert status[trial_id] == TrialStatus.IN_PROGRESS, (trial_id, status)
            checked += 1
    assert checked > 0
    assert holders(tuner.tuner_path) == []  # the rest went at the end
    assert removal.num_removed == 5
    with pytest.raises(FileNotFoundError, match="keep_best"):
        load_experiment("removal-all").best_checkpoint()


def test_keep_best_keeps_exactly_the_best_trials_checkpoint():
    removal = RemoveCheckpointsCallback(keep_best=True)
    tuner = _local_run("removal-best", [removal])
    exp = load_experiment("removal-best")
    best = exp.best_trial()
    assert holders(tuner.tuner_path) == [int(best["trial_id"])]
    checkpoint = exp.best_checkpoint()
    assert checkpoint == tuner.tuner_path / str(int(best["trial_id"])) / "checkpoints"
    assert (checkpoint / "state.json").exists()
    assert removal.kept == int(best["trial_id"])


def test_keep_best_with_maximisation_and_an_explicit_metric():
    removal = RemoveCheckpointsCallback(keep_best=True, metric="loss", mode="max")
    backend = ThreadBackend(quadratic)
    tuner = Tuner(
        trial_backend=backend,
        scheduler=RandomScheduler({"x": uniform(0.0, 1.0), "epochs": 2}, seed=2),
        stop_criterion=StoppingCriterion(max_num_trials_started=4),
        n_workers=2,
        tuner_name="removal-max",
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=[removal],
    )
    deleted: list[int] = []
    backend.delete_checkpoint = deleted.append  # the thread backend writes no checkpoints
    tuner.run()
    df = load_experiment("removal-max").results
    worst = int(df.loc[df["loss"].idxmax(), "trial_id"])
    assert removal.kept == worst
    assert sorted(set(deleted)) == sorted(set(range(4)) - {worst})


# ------------------------------------------------------------------------ early removal
HB_SPACE = {"x": uniform(0.0, 1.0), "epochs": 9, "sleep": 0.05}


def _hyperband_run(name: str, callbacks: list) -> Tuner:
    scheduler = synetune.schedulers.create(
        "hyperband",
        type="promotion",
        config_space=HB_SPACE,
        metric="loss",
        mode="min",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=7,
    )
    tuner = Tuner(
        trial_backend=local_backend(),
        scheduler=scheduler,
        # one worker: the run is the same sequence of events whatever the timing, so two runs
        # with the same seed can be compared result by result
        stop_criterion=StoppingCriterion(max_num_trials_started=9, max_wallclock_time=120),
        n_workers=1,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=callbacks,
    )
    tuner.run()
    return tuner


def _first_reports(df) -> list[tuple]:
    rows = df.drop_duplicates(["trial_id", "epoch"], keep="first")
    rows = rows.sort_values(["trial_id", "epoch"])
    return list(
        zip(rows["trial_id"], rows["epoch"], rows["loss"], rows["st_decision"], rows["config_x"])
    )


def test_early_removal_bounds_checkpoints_and_leaves_results_unchanged():
    removal = synetune.callbacks.create("hyperband_checkpoint_removal", max_num_checkpoints=2)
    monitor = DiskMonitor()
    _hyperband_run("early-removal", [removal, monitor])
    baseline_monitor = DiskMonitor()
    _hyperband_run("no-removal", [baseline_monitor])

    with_removal = load_experiment("early-removal").results
    without = load_experiment("no-removal").results
    # the scheduler decided exactly the same: same trials, configs, results and decisions
    assert _first_reports(with_removal) == _first_reports(without)
    assert "PAUSE" in set(without["st_decision"])
    # trials resumed without their checkpoint trained again from scratch, nothing else differs
    assert removal.num_checkpoints_removed > 0 and removal.num_trials_resumed > 0
    retrained = sum(level for _, level in removal.trials_resumed_without_checkpoint)
    assert len(with_removal) == len(without) + retrained

    assert max(len(on_disk) for on_disk, _ in monitor.seen) <= 2
    assert max(len(on_disk) for on_disk, _ in baseline_monitor.seen) > 2
    extra = removal.extra_results()
    assert extra["num_checkpoints_removed"] == removal.num_checkpoints_removed
    assert extra["cost_resources"] == retrained


def context(scheduler: Any, n_workers: int = 1, elapsed: float = 0.0, **stop: Any) -> TuningContext:
    """What the tuner hands a callback at the start, built by hand."""
    return TuningContext(
        name="fake",
        tuner_path=Path("/nonexistent"),
        n_workers=n_workers,
        scheduler=scheduler,
        trial_backend=None,
        stop_criterion=StoppingCriterion(**(stop or {"max_wallclock_time": 100})),
        tuning_status=TuningStatus(wallclock_time=elapsed),
        trials={},
    )


def hyperband(kind: str) -> Any:
    return synetune.schedulers.create(
        "hyperband",
        type=kind,
        config_space={"x": uniform(0.0, 1.0), "epochs": 3},
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
    )


def test_early_removal_refuses_what_it_cannot_serve():
    space = {"x": uniform(0.0, 1.0), "epochs": 3}
    with pytest.raises(ValueError, match="pause-and-resume scheduler.*lacks does_pause_resume"):
        HyperbandRemoveCheckpointsCallback(3).on_tuning_start(context(RandomScheduler(space)))
    with pytest.raises(ValueError, match="type='stopping'"):
        HyperbandRemoveCheckpointsCallback(3).on_tuning_start(context(hyperband("stopping")))
    with pytest.raises(ValueError, match="larger than n_workers=4"):
        HyperbandRemoveCheckpointsCallback(4).on_tuning_start(
            context(hyperband("promotion"), n_workers=4)
        )
    with pytest.raises(ValueError, match="max_wallclock_time"):
        HyperbandRemoveCheckpointsCallback(3).on_tuning_start(
            context(hyperband("promotion"), max_num_trials_started=3)
        )
    ok = HyperbandRemoveCheckpointsCallback(5)
    ok.on_tuning_start(context(hyperband("promotion"), n_workers=4))
    assert ok.max_wallclock_time == 100  # from the run's stop criterion
    with pytest.raises(TypeError, match="max_num_checkpoints"):
        HyperbandRemoveCheckpointsCallback(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prior_beta_mean"):
        HyperbandRemoveCheckpointsCallback(3, prior_beta_mean=1.5)
    with pytest.raises(ValueError, match="mode"):
        RemoveCheckpointsCallback(mode="lowest")


def test_the_tuner_refuses_too_few_checkpoints_for_the_workers():
    with pytest.raises(ValueError, match="larger than n_workers=4"):
        Tuner(
            trial_backend=ThreadBackend(quadratic),
            scheduler=hyperband("promotion"),
            stop_criterion=StoppingCriterion(max_wallclock_time=60),
            n_workers=4,
            tuner_name="refused",
            verbose="quiet",
            callbacks=[HyperbandRemoveCheckpointsCallback(4)],
        ).run()


class FakeHyperband(PauseResumeScheduler):
    """Only the pause/resume protocol (and the metric's mode) of a promotion scheduler."""

    def __init__(self, values: dict[int, list[float]], paused: list[tuple[int, float, int]]):
        super().__init__({})
        self.values, self.paused = values, paused

    def paused_trials(self, resource: int | None = None) -> list[tuple[int, int, float, int]]:
        # rank: how many values recorded at the rung are better (0: the best)
        return [
            (t, sorted(self.values[lvl]).index(v), v, lvl)
            for t, v, lvl in self.paused
            if resource is None or lvl == resource
        ]

    def rung_information(self) -> list[tuple[int, int, float]]:
        return [(level, len(v), 1 / 3) for level, v in sorted(self.values.items(), reverse=True)]

    def metric_names(self) -> list[str]:
        return ["loss"]

    def metric_mode(self) -> str:
        return "min"


class DuckHyperband:
    """The protocol's three methods without subclassing PauseResumeScheduler."""

    def does_pause_resume(self) -> bool:
        return True

    def paused_trials(self, resource: int | None = None) -> list:
        return []

    def rung_information(self) -> list:
        return [(1, 0, 1 / 3)]

    def metric_names(self) -> list[str]:
        return ["acc"]

    def metric_mode(self) -> str:
        return "max"


def test_the_protocol_is_all_the_callback_reads():
    duck = HyperbandRemoveCheckpointsCallback(max_num_checkpoints=2)
    duck.on_tuning_start(context(DuckHyperband()))
    assert duck.scores() == [] and duck.metric == "acc" and duck.mode == "max"
    # a pause is an arrival at the rung where the scheduler ranks it, with its value there
    values = {1: [0.1, 0.3, 0.5], 3: [0.2]}
    scheduler = FakeHyperband(values, paused=[(0, 0.3, 1), (1, 0.5, 1)])
    callback = HyperbandRemoveCheckpointsCallback(max_num_checkpoints=2)
    callback.on_tuning_start(context(scheduler))
    for trial_id in (0, 1):
        callback.on_start_trial(Trial(trial_id, {}, None))  # type: ignore[arg-type]
    scheduler.paused = [(0, 0.3, 1)]
    callback.on_trial_result(Trial(0, {}, None), "InProgress", {}, "PAUSE")  # type: ignore[arg-type]
    assert callback.estimator_overall.num_total == 0  # nobody paused at rung 1 before it
    scheduler.paused = [(0, 0.3, 1), (1, 0.5, 1)]
    callback.on_trial_result(Trial(1, {}, None), "InProgress", {}, "PAUSE")  # type: ignore[arg-type]
    assert callback._paused_level == {0: 1, 1: 1}
    # trial 1 (0.5) arrived after trial 0 (0.3) and ranks worse: one outcome, "not better"
    assert (callback.estimator_overall.num_one, callback.estimator_overall.num_total) == (0, 1)
    assert callback._estimator(1).num_total == 1


def test_scores_prefer_removing_low_rungs_and_bad_ranks():
    # rung 1 holds 6 values (3 paused), rung 3 holds 2 (both paused)
    paused = [(0, 0.9, 1), (1, 0.5, 1), (2, 0.1, 1), (3, 0.4, 3), (4, 0.2, 3)]
    values = {1: [0.1, 0.15, 0.3, 0.5, 0.7, 0.9], 3: [0.2, 0.4]}
    callback = HyperbandRemoveCheckpointsCallback(max_num_checkpoints=2)
    callback.on_tuning_start(context(FakeHyperband(values, paused), elapsed=50.0))
    callback._status = {t: "paused" for t in range(5)}
    order = [row[0] for row in callback.scores()]
    ranks = {row[0]: row[2] for row in callback.scores()}
    assert ranks == {0: 6, 1: 4, 2: 1, 3: 2, 4: 1}
    scores = {row[0]: row[4] for row in callback.scores()}
    # equal time spent and left: 6 more arrivals at rung 1, 2 at rung 3. Trial 0 (last of 6)
    # and trial 3 (needs 4 arrivals at rung 3) cannot be promoted in time: score 0, lower
    # level first. Trial 1 needs 6 arrivals none better: 0.67 ** 6 (prior mean of p: 0.33).
    assert order == [0, 3, 1, 2, 4]
    assert scores[0] == scores[3] == 0.0
    assert scores[1] == pytest.approx((1 - 0.33) ** 6)
    assert scores[2] == pytest.approx(1.0)  # promotable now: probability 1, times level 1
    # best of 2 at rung 3 is not yet within the top third: the next arrival must not beat it
    assert scores[4] == pytest.approx(3 * (1 - 0.33))


# ------------------------------------------------------------------------ the score
def _exact_resume_probability(rank, n, alpha, p, time_ratio):
    """First passage over every single arrival (no approximation)."""
    c = rank - alpha * n
    if c <= 0:
        return 1.0
    dist = {0: 1.0}
    resumed = 0.0
    for m in range(1, math.ceil(n * time_ratio) + 1):
        new: dict[int, float] = {}
        for j, prob in dist.items():
            new[j] = new.get(j, 0.0) + prob * (1 - p)
            new[j + 1] = new.get(j + 1, 0.0) + prob * p
        dist = {}
        for j, prob in new.items():
            if alpha * m - j >= c - 1e-12:
                resumed += prob
            else:
                dist[j] = prob
    return resumed


def test_resume_probability_matches_exact_first_passage():
    rng = np.random.default_rng(0)
    cases = [(1, 2, 1 / 3, 0.4, 1.9)]  # boundary case: (1 - 2/3) / (1/3) arrivals needed
    for _ in range(40):
        n = int(rng.integers(2, 40))
        cases.append(
            (
                int(rng.integers(1, n + 1)),
                n,
                float(rng.choice([1 / 3, 1 / 2, 1 / 4])),
                float(rng.uniform(0.05, 0.6)),
                float(rng.uniform(0.1, 3.0)),
            )
        )
    ranks, lens, alphas, ps, ratio = zip(*cases)
    for time_ratio in (0.3, 1.0, 2.5):
        got = resume_probabilities(ranks, lens, alphas, ps, time_ratio, approx_steps=150)
        exact = [_exact_resume_probability(k, n, a, p, time_ratio) for k, n, a, p, _ in cases]
        assert got == pytest.approx(exact, abs=1e-9)
    # with few steps, the approximation only misses mass: it never overestimates
    rough = resume_probabilities(ranks, lens, alphas, ps, 2.5, approx_steps=2)
    exact = [_exact_resume_probability(k, n, a, p, 2.5) for k, n, a, p, _ in cases]
    assert np.all(rough <= np.array(exact) + 1e-12)
    assert np.any(rough < np.array(exact) - 1e-3)


def test_resume_probability_behaves_as_expected():
    # better rank, more time and fewer strong newcomers make a resume more likely
    by_rank = resume_probabilities([8, 10, 12], [20] * 3, [1 / 3] * 3, [0.3] * 3, 1.5)
    assert by_rank[0] > by_rank[1] > by_rank[2] > 0
    by_time = [resume_probabilities([10], [20], [1 / 3], [0.3], t)[0] for t in (0.5, 1.0, 3.0)]
    assert by_time[0] < by_time[1] < by_time[2]
    by_p = resume_probabilities([10, 10], [20, 20], [1 / 3] * 2, [0.2, 0.5], 2.0)
    assert by_p[0] > by_p[1]
    assert resume_probabilities([1, 2], [9, 9], [1 / 3] * 2, [0.5] * 2, 0.1).tolist() == [1, 1]
    with pytest.raises(ValueError, match="time_ratio"):
        resume_probabilities([1], [2], [0.5], [0.5], 0.0)


def test_binomial_pmf_sums_to_one_and_matches_the_formula():
    pmf = binomial_pmf(np.array([0.0, 3.0, 10.0]), np.array([0.3, 0.3, 0.25]), 12)
    assert pmf.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])
    assert pmf[0].tolist() == [1.0] + [0.0] * 12
    assert pmf[2, 4] == pytest.approx(math.comb(10, 4) * 0.25**4 * 0.75**6)
