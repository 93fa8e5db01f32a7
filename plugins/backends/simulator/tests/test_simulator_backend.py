"""The simulator backend: results on simulated time, stop/pause/resume, the Tuner on top."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pandas as pd
import pytest
from synetune_plugin_blackbox_repository import BlackboxOffline, from_function
from synetune_plugin_simulator.backend import SimulatorBackend

import synetune
from synetune import StoppingCriterion, Tuner
from synetune_sdk.callback import Callback
from synetune_sdk.config_space import choice, randint, uniform
from synetune_sdk.trial import TrialStatus


def table(num_epochs: int = 5) -> BlackboxOffline:
    """x in {0, 1, 2}: an epoch costs x + 1 seconds, loss = x + 1/epoch (+0.01 per seed)."""
    rows = [
        {
            "x": x,
            "seed": seed,
            "epoch": epoch,
            "loss": x + 1 / epoch + 0.01 * seed,
            "time": float(epoch * (x + 1)),
        }
        for x in (0, 1, 2)
        for seed in (0, 1)
        for epoch in range(1, num_epochs + 1)
    ]
    return BlackboxOffline(
        pd.DataFrame(rows),
        {"x": choice([0, 1, 2])},
        {"epoch": randint(1, num_epochs)},
        objectives_names=["loss", "time"],
        seed_col="seed",
    )


def backend(tmp_path, **kwargs) -> SimulatorBackend:
    b = SimulatorBackend(blackbox=table(), elapsed_time_attr="time", seed=0, **kwargs)
    b.set_path(tmp_path)
    return b


def drain(b: SimulatorBackend, trial_ids: list[int], stop_after: int | None = None) -> list:
    """(time, trial_id, epoch) of every released result until nothing is pending."""
    out: list[tuple[float, int, int]] = []
    while True:
        _, results = b.fetch_status_results(trial_ids)
        out += [(b.time(), t, r["epoch"]) for t, r in results]
        if stop_after is not None and len(out) >= stop_after:
            return out
        if not results and not b.wait(1.0):
            return out


def test_results_are_released_in_simulated_time_order(tmp_path):
    b = backend(tmp_path)
    slow = b.start_trial({"x": 2}).trial_id  # 3 s per epoch
    fast = b.start_trial({"x": 0}).trial_id  # 1 s per epoch
    released = drain(b, [slow, fast])
    times = [t for t, _, _ in released]
    assert times == sorted(times)
    assert [(t, e) for t, tid, e in released if tid == fast] == [(float(e), e) for e in range(1, 6)]
    assert [(t, e) for t, tid, e in released if tid == slow] == [(3.0 * e, e) for e in range(1, 6)]
    assert b.status[slow] == b.status[fast] == TrialStatus.COMPLETED
    assert b.time() == 15.0


def test_results_carry_objectives_fidelity_and_simulated_timestamps(tmp_path):
    b = backend(tmp_path)
    trial = b.start_trial({"x": 1, "epochs": 5})
    b.wait(1.0)
    _, results = b.fetch_status_results([trial.trial_id])
    ((_, result),) = results
    assert result["epoch"] == 1
    assert result["loss"] == pytest.approx(2.0)
    assert result["time"] == 2.0
    assert result["st_worker_timestamp"] == 2.0 and result["st_worker_time"] == 2.0
    assert result["st_worker_iter"] == 0


def test_wait_never_sleeps_and_returns_at_once_when_nothing_is_pending(tmp_path):
    b = backend(tmp_path)
    started = time.perf_counter()
    assert b.wait(30.0) is False
    assert time.perf_counter() - started < 5.0
    assert b.time() == 0.0


def test_stopped_trial_reports_nothing_more_and_does_not_move_the_clock(tmp_path):
    b = backend(tmp_path)
    tid = b.start_trial({"x": 2}).trial_id
    b.stop_trial(tid)
    assert b.status[tid] == TrialStatus.STOPPED
    assert drain(b, [tid]) == []
    assert b.time() == 0.0  # the dropped result did not advance simulated time
    other = b.start_trial({"x": 0}).trial_id
    first = drain(b, [tid, other], stop_after=2)
    b.stop_trial(other)
    assert [e for _, _, e in first] == [1, 2]
    assert drain(b, [tid, other]) == []
    assert b.time() == 2.0


def test_paused_trial_resumes_from_its_fidelity_without_replaying_time(tmp_path):
    b = backend(tmp_path)
    tid = b.start_trial({"x": 1}).trial_id  # 2 s per epoch
    assert drain(b, [tid], stop_after=2) == [(2.0, tid, 1), (4.0, tid, 2)]
    b.pause_trial(tid)
    assert b.status[tid] == TrialStatus.PAUSED
    other = b.start_trial({"x": 0}).trial_id  # time moves on while paused
    drain(b, [other])
    assert b.time() == 9.0
    b.resume_trial(tid)
    released = drain(b, [tid])
    # epoch 3 arrives elapsed(3) - elapsed(2) = 2 s after the resume, not 6 s
    assert released == [(11.0, tid, 3), (13.0, tid, 4), (15.0, tid, 5)]
    assert b.status[tid] == TrialStatus.COMPLETED


def test_without_checkpointing_a_resumed_trial_starts_over(tmp_path):
    b = backend(tmp_path, support_checkpointing=False)
    tid = b.start_trial({"x": 0}).trial_id
    drain(b, [tid], stop_after=3)
    b.pause_trial(tid)
    b.resume_trial(tid)
    released = drain(b, [tid])
    assert [(t, e) for t, _, e in released] == [(3.0 + e, e) for e in range(1, 6)]


def test_max_resource_attr_ends_the_trial_at_that_fidelity(tmp_path):
    b = backend(tmp_path, max_resource_attr="epochs")
    tid = b.start_trial({"x": 0, "epochs": 3}).trial_id
    assert [e for _, _, e in drain(b, [tid])] == [1, 2, 3]
    assert b.status[tid] == TrialStatus.COMPLETED
    bad = b.start_trial({"x": 0, "epochs": 7}).trial_id
    drain(b, [bad])
    assert b.status[bad] == TrialStatus.FAILED
    assert "epochs=7 is not a fidelity" in b.errors[bad]


def test_config_outside_the_blackbox_fails_the_trial_with_the_reason(tmp_path):
    b = backend(tmp_path)
    tid = b.start_trial({"x": 5}).trial_id
    statuses, _ = b.fetch_status_results([tid])
    assert statuses[tid][1] == TrialStatus.FAILED
    assert "'x'=5" in b.errors[tid]


def test_trial_started_from_a_checkpoint_continues_its_fidelity(tmp_path):
    b = backend(tmp_path)
    src = b.start_trial({"x": 0}).trial_id
    drain(b, [src], stop_after=2)
    b.pause_trial(src)
    child = b.start_trial({"x": 1}, checkpoint_trial_id=src).trial_id
    released = drain(b, [child])
    # continues at epoch 3 with the new config's curve: 6 - 4 = 2 s per epoch
    assert released == [(4.0, child, 3), (6.0, child, 4), (8.0, child, 5)]


def test_seed_none_draws_table_seeds_reproducibly(tmp_path):
    def losses(random_seed):
        b = SimulatorBackend(
            blackbox=table(),
            elapsed_time_attr="time",
            max_resource_attr="epochs",
            random_seed=random_seed,
        )
        b.set_path(tmp_path)
        ids = [b.start_trial({"x": 0, "epochs": 1}).trial_id for _ in range(12)]
        out = []
        while True:
            _, results = b.fetch_status_results(ids)
            out += [round(r["loss"], 3) for _, r in results]
            if not results and not b.wait(1.0):
                return out

    first = losses(3)
    assert first == losses(3)
    assert set(first) == {1.0, 1.01}  # both table seeds are used


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="exactly one of blackbox"):
        SimulatorBackend()
    with pytest.raises(ValueError, match="elapsed_time_attr='nope'"):
        SimulatorBackend(blackbox=table(), elapsed_time_attr="nope")
    with pytest.raises(ValueError, match="seed=4"):
        SimulatorBackend(blackbox=table(), elapsed_time_attr="time", seed=4)


def test_add_scheduler_time_charges_real_time_outside_wait(tmp_path):
    b = backend(tmp_path, add_scheduler_time=True)
    tid = b.start_trial({"x": 0}).trial_id
    time.sleep(0.05)  # a slow scheduler decision
    assert b.time() >= 0.05
    released = drain(b, [tid])
    assert [e for _, _, e in released] == [1, 2, 3, 4, 5]
    assert b.time() > 5.0


def test_registered_by_name():
    assert "simulator" in synetune.backends.names()
    b = synetune.backends.create("simulator", blackbox=table(), elapsed_time_attr="time")
    assert isinstance(b, SimulatorBackend)


# ---------------------------------------------------------------------- with the Tuner
def curves() -> object:
    """A learning-curve function: loss falls towards (x - 0.3)^2, an epoch costs 1 + 10 * x s."""

    def evaluate(config, epoch, seed):
        x = config["x"]
        return {"loss": (x - 0.3) ** 2 + 1.0 / epoch, "time": epoch * (1.0 + 10.0 * x)}

    return from_function(
        {"x": uniform(0.0, 1.0)}, evaluate, {"epoch": randint(1, 9)}, ["loss", "time"]
    )


def run_tuner(tmp_path, monkeypatch, name, scheduler_name="random_search", limit=3600.0):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    blackbox = curves()
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    scheduler = synetune.schedulers.create(
        "random_search", config_space=space, metric="loss", mode="min", random_seed=7
    )
    if scheduler_name == "median_stopping_rule":
        scheduler = synetune.schedulers.create(
            "median_stopping_rule", scheduler=scheduler, resource_attr="epoch", grace_population=3
        )
    tuner = Tuner(
        trial_backend=SimulatorBackend(
            blackbox=blackbox, elapsed_time_attr="time", max_resource_attr="epochs"
        ),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_wallclock_time=limit),
        n_workers=4,
        sleep_time=0.0,
        tuner_name=name,
        suffix_tuner_name=False,
        save_tuner=False,
        verbose="quiet",
    )
    started = time.perf_counter()
    tuner.run()
    return tuner, time.perf_counter() - started


def read_rows(path) -> list[dict[str, str]]:
    with zipfile.ZipFile(path / "results.csv.zip") as zf:
        return list(csv.DictReader(io.StringIO(zf.read("results.csv").decode())))


def test_tuner_runs_on_simulated_time(tmp_path, monkeypatch):
    tuner, wall = run_tuner(tmp_path, monkeypatch, "sim-random")
    rows = read_rows(tuner.tuner_path)
    tuner_times = [float(r["st_tuner_time"]) for r in rows]
    # an hour of simulated time, not an hour of waiting
    assert wall < 600.0
    assert tuner_times == sorted(tuner_times)
    assert 3000.0 < tuner_times[-1] <= 3600.0 + 91.0  # at most one epoch past the limit
    # st_tuner_time is the simulated time at which each result was due
    assert all(
        float(r["st_tuner_time"]) == pytest.approx(float(r["st_worker_timestamp"])) for r in rows
    )
    completed = [r for r in rows if r["epoch"] == "9"]
    assert len(completed) > 20
    assert tuner.tuning_status.wallclock_time > 3600.0


def test_two_runs_with_the_same_seed_give_identical_results(tmp_path, monkeypatch):
    first, _ = run_tuner(tmp_path, monkeypatch, "sim-a", "median_stopping_rule", limit=1500.0)
    second, _ = run_tuner(tmp_path, monkeypatch, "sim-b", "median_stopping_rule", limit=1500.0)
    rows_a, rows_b = read_rows(first.tuner_path), read_rows(second.tuner_path)
    assert len(rows_a) > 50
    assert rows_a == rows_b
    assert any(r["st_decision"] == "STOP" for r in rows_a)


def test_promotion_asha_pauses_and_resumes_trials_without_replaying_epochs(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    blackbox = curves()
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    tuner = Tuner(
        trial_backend=SimulatorBackend(
            blackbox=blackbox, elapsed_time_attr="time", max_resource_attr="epochs"
        ),
        scheduler=synetune.schedulers.create(
            "asha",
            type="promotion",
            config_space=space,
            metric="loss",
            mode="min",
            resource_attr="epoch",
            max_resource_attr="epochs",
            random_seed=3,
        ),
        stop_criterion=StoppingCriterion(max_wallclock_time=2000.0),
        n_workers=4,
        tuner_name="sim-promotion",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    rows = read_rows(tuner.tuner_path)
    assert any(r["st_decision"] == "PAUSE" for r in rows)
    by_trial: dict[str, list[int]] = {}
    for r in rows:
        by_trial.setdefault(r["trial_id"], []).append(int(r["epoch"]))
    promoted = [e for e in by_trial.values() if len(e) > 1]
    assert promoted, "some trial was resumed after a pause"
    for epochs in by_trial.values():  # resumed trials continue, never replay an epoch
        assert epochs == list(range(1, len(epochs) + 1))
    # the first result after a resume comes one epoch's cost after it, not the whole curve's
    first_after_resume = [r for r in rows if r["st_worker_iter"] == "0" and r["epoch"] != "1"]
    assert first_after_resume
    for r in first_after_resume:
        x = tuner.trials[int(r["trial_id"])].config["x"]
        assert float(r["st_worker_time"]) == pytest.approx(1.0 + 10.0 * x)


def test_fetch_jumps_to_the_next_due_result_when_none_is_due(tmp_path):
    b = backend(tmp_path)
    tid = b.start_trial({"x": 1}).trial_id
    statuses, results = b.fetch_status_results([tid])
    assert [(r["epoch"], r["st_worker_timestamp"]) for _, r in results] == [(1, 2.0)]
    assert b.time() == 2.0 and statuses[tid][1] == TrialStatus.IN_PROGRESS
    failed = b.start_trial({"x": 9}).trial_id
    statuses, results = b.fetch_status_results([tid, failed])
    # the failure is reported first, without moving the clock
    assert results == [] and statuses[failed][1] == TrialStatus.FAILED and b.time() == 2.0


# ---------------------------------------------------------------------- batched results
class CountTurns(Callback):
    def __init__(self):
        self.turns = 0

    def on_loop_start(self):
        self.turns += 1


def batched_run(tmp_path, name, scheduler_kwargs, stop, batched):
    blackbox = curves()
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    scheduler = synetune.schedulers.create(
        config_space=space, metric="loss", mode="min", random_seed=3, **scheduler_kwargs
    )
    if not batched:  # the default answer: every result may be decided on
        scheduler.may_decide = lambda trial_id, result: True
    turns = CountTurns()
    tuner = Tuner(
        trial_backend=SimulatorBackend(
            blackbox=blackbox, elapsed_time_attr="time", max_resource_attr="epochs"
        ),
        scheduler=scheduler,
        stop_criterion=stop,
        n_workers=3,
        sleep_time=0.0,
        tuner_name=name,
        suffix_tuner_name=False,
        save_tuner=False,
        verbose="quiet",
        callbacks=[turns],
    )
    tuner.run()
    return read_rows(tuner.tuner_path), turns.turns


@pytest.mark.parametrize(
    "scheduler_kwargs",
    [
        {"name": "random_search"},
        {"name": "asha", "resource_attr": "epoch", "max_resource_attr": "epochs"},
        {
            "name": "asha",
            "type": "promotion",
            "resource_attr": "epoch",
            "max_resource_attr": "epochs",
        },
    ],
    ids=["random_search", "asha", "asha_promotion"],
)
@pytest.mark.parametrize(
    "stop",
    [StoppingCriterion(max_wallclock_time=700.0), StoppingCriterion(max_num_trials_started=40)],
    ids=["time", "trials"],
)
def test_batched_results_change_nothing_but_the_number_of_loop_turns(
    tmp_path, monkeypatch, scheduler_kwargs, stop
):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    name = scheduler_kwargs["name"]
    tag = name.replace("_", "-")
    batched, batched_turns = batched_run(tmp_path, f"{tag}-b", scheduler_kwargs, stop, True)
    single, single_turns = batched_run(tmp_path, f"{tag}-s", scheduler_kwargs, stop, False)
    assert len(batched) > 40
    # the same results, decisions, times and configurations, row for row
    assert batched == single
    if name == "random_search":  # 9 results per trial, decided on at the end only
        assert batched_turns < len(batched) / 2 < single_turns
    else:
        assert batched_turns < single_turns


def test_batching_stops_at_the_first_result_past_the_time_limit(tmp_path):
    b = backend(tmp_path)
    for x in (0, 1, 2):
        b.start_trial({"x": x})
    b.batch_results(lambda trial_id, result: False, horizon=4.0)
    _, results = b.fetch_status_results([0, 1, 2])
    # every result in simulated-time order up to the first one due at or after t=4
    due = [r["st_worker_timestamp"] for _, r in results]
    assert due == sorted(due) and due[-1] == 4.0  # (results due at the same time go together)
    assert len(due) > 3 and b.time() == 4.0
    b.batch_results(None, horizon=float("inf"))
    _, results = b.fetch_status_results([0, 1, 2])
    assert len({r["st_worker_timestamp"] for _, r in results}) == 1  # one moment per fetch
