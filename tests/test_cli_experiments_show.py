"""``synetune experiments show`` counts trials as the tuner does; a constrained run's best is
feasible; plots of simulated runs say so."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

from synetune import StoppingCriterion, Tuner, load_experiment
from synetune.cli import cli
from synetune.config_space import uniform
from synetune_sdk.context import TuningStatus


def failing_above(config, report, start_epoch=0):
    if config["x"] > 0.7:
        raise RuntimeError("boom")  # fails before its first result
    quadratic(config, report, start_epoch)


def run(name: str, objective=failing_above, **scheduler_kwargs) -> Tuner:
    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=RandomScheduler({"x": uniform(0.0, 1.0), "epochs": 4}, **scheduler_kwargs),
        stop_criterion=StoppingCriterion(max_num_trials_started=8),
        n_workers=2,
        max_failures=10,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()
    return tuner


def show(name: str) -> str:
    out = CliRunner().invoke(cli, ["experiments", "show", name])
    assert out.exit_code == 0, out.output
    return out.output


def trials_line(statuses: dict[int, str]) -> str:
    label = {"InProgress": "in progress"}
    counts = sorted(Counter(statuses.values()).items())
    return (
        f"trials:     {len(statuses)} trials ("
        + ", ".join(f"{n} {label.get(s, s.lower())}" for s, n in counts)
        + ")"
    )


def test_show_counts_every_trial_started_by_its_last_status_as_the_tuner(synetune_folder):
    tuner = run("counts", stop_above=0.3)
    statuses = tuner.tuning_status.trial_status
    assert Counter(statuses.values())["Failed"] >= 1  # failed trials never reported a result
    assert len(statuses) == tuner.tuning_status.num_trials_started == 8
    output = show("counts")
    assert trials_line(statuses) in output.splitlines()

    # a run that died with a trial paused and one running: counted from the log as the tuner's
    # status (TuningStatus, fed the same events) counts them
    events = synetune_folder / "counts" / "events.jsonl"
    with events.open("a") as log:
        for trial_id in (8, 9):
            trial = {"event": "trial", "trial_id": trial_id, "config": {"x": 0.1, "epochs": 4}}
            log.write(json.dumps(trial) + "\n")
        log.write(json.dumps({"event": "status", "trial_id": 9, "status": "Paused"}) + "\n")
    replayed = TuningStatus()
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event["event"] == "trial":
            replayed.on_trial_started(event["trial_id"])
        elif event["event"] == "status":
            replayed.on_trial_status(event["trial_id"], event["status"])
    assert Counter(replayed.trial_status.values())["Paused"] == 1
    line = trials_line(replayed.trial_status)
    assert (
        line.startswith("trials:     10 trials (")
        and "1 in progress" in line
        and "1 paused" in line
    )
    assert line in show("counts").splitlines()


def constrained(config, report, start_epoch=0):
    report(epoch=1, loss=config["x"], c=0.5 - config["x"])  # feasible when x >= 0.5


def test_best_of_a_constrained_run_is_the_best_feasible(synetune_folder):
    run("constrained", objective=constrained)
    path = synetune_folder / "constrained" / "metadata.json"
    exp = load_experiment("constrained")
    unconstrained = exp.best_config()
    assert unconstrained["x"] < 0.5  # the best loss is infeasible
    meta = json.loads(path.read_text())
    path.write_text(json.dumps({**meta, "constraint_attr": "c"}))
    exp = load_experiment("constrained")
    best = exp.best_config()
    feasible = exp.results[exp.results["c"] <= 0]
    assert best["x"] >= 0.5 and best["loss"] == feasible["loss"].min()
    assert exp.best_trial()["c"] <= 0
    # the best so far only moves at feasible results
    curve = exp.best_so_far()
    assert curve["loss"].iloc[-1] == best["loss"] and (curve["loss"] >= 0.5).all()
    assert f"by trial {best['trial_id']}" in show("constrained")
    # no feasible result: said so, not an infeasible answer
    path.write_text(json.dumps({**meta, "constraint_attr": "loss"}))  # loss > 0 everywhere
    with pytest.raises(ValueError, match="no feasible value for 'loss'"):
        load_experiment("constrained").best_config()


@pytest.mark.parametrize(
    "backend, label",
    [("SimulatorBackend", "simulated time (s)"), ("ThreadBackend", "wallclock time (s)")],
)
def test_plots_of_simulated_runs_say_simulated_time(synetune_folder, backend, label):
    pytest.importorskip("matplotlib")
    run("timed")
    path = synetune_folder / "timed" / "metadata.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "backend": backend}))
    exp = load_experiment("timed")
    assert exp.time_label() == label
    assert exp.plot().axes[0].get_xlabel() == label
    assert exp.plot_trials_over_time().axes[0].get_xlabel() == label
    assert exp.plot_trials().axes[0].get_xlabel() == "epoch"
