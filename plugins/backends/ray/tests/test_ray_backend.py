"""The Ray backend on a local 2-CPU Ray cluster: contract, Tuner runs, stopping, failures."""

from __future__ import annotations

import json

import dill
import pytest
from synetune_plugin_ray.backend import RayBackend

import synetune
from synetune import StoppingCriterion, TrialFailuresError, Tuner, load_experiment
from synetune_sdk.config_space import uniform
from synetune_sdk.testing import (
    CONTRACT_SCRIPT,
    BackendContract,
    collect_until,
    contract_config_space,
    run_to_end,
    wait_for,
)
from synetune_sdk.trial import TrialStatus

TIMEOUT = 60.0  # a trial waits for Ray to schedule it on the shared 2-CPU cluster


class TestRayBackendContract(BackendContract):
    @pytest.fixture(autouse=True)
    def _cluster(self, ray_cluster):
        yield

    def make_backend(self, entry_point: str) -> RayBackend:
        return RayBackend(entry_point=entry_point, kill_grace_period=2.0)


def test_plugin_registers_backend_and_scheduler():
    assert "ray" in synetune.backends.names()
    assert "raytune" in synetune.schedulers.names()


def test_bad_arguments_name_what_to_fix(tmp_path):
    with pytest.raises(ValueError, match="exactly one of entry_point"):
        RayBackend()
    with pytest.raises(FileNotFoundError, match="entry_point"):
        RayBackend(entry_point=str(tmp_path / "missing.py"))
    with pytest.raises(ValueError, match="address="):
        RayBackend(entry_point=CONTRACT_SCRIPT, address="auto", num_cpus=2)


def test_random_search_end_to_end(ray_cluster, synetune_folder):
    backend = synetune.backends.create("ray", entry_point=CONTRACT_SCRIPT)
    tuner = Tuner(
        trial_backend=backend,
        scheduler=synetune.schedulers.create(
            "random_search",
            config_space={"x": uniform(0, 1), "epochs": 3},
            metric="loss",
            mode="min",
            random_seed=1,
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=6),
        n_workers=2,
        sleep_time=0.1,
        tuner_name="ray-random",
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()

    assert backend.status == {t: TrialStatus.COMPLETED for t in range(6)}
    df = load_experiment("ray-random").results
    for trial_id, rows in df.groupby("trial_id"):
        assert rows["epoch"].tolist() == [1, 2, 3]
        x = backend.trials[trial_id].config["x"]
        expected = [(x - 0.3) ** 2 + 1.0 / e for e in (1, 2, 3)]
        assert rows["loss"].tolist() == pytest.approx(expected)
    assert "[tune-metric]" in (synetune_folder / "ray-random" / "0" / "std.out").read_text()
    # the backend goes into tuner.dill without its Ray handles and threads
    clone = dill.loads((synetune_folder / "ray-random" / "tuner.dill").read_bytes()).trial_backend
    assert clone.status == backend.status and clone._trial_runs == {}
    assert ray_cluster.is_initialized()  # the backend did not start Ray, so it left it running


def test_asha_promotion_pauses_and_resumes_trials(ray_cluster, synetune_folder):
    backend = RayBackend(entry_point=CONTRACT_SCRIPT, kill_grace_period=2.0)
    space = {**contract_config_space(), "sleep": 0.02}
    scheduler = synetune.schedulers.create(
        "asha",
        config_space=space,
        metric="loss",
        mode="min",
        type="promotion",
        resource_attr="epoch",
        max_resource_attr="epochs",
        grace_period=1,
        reduction_factor=3,
        random_seed=3,
    )
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=9),
        n_workers=2,
        sleep_time=0.1,
        tuner_name="ray-asha",
        suffix_tuner_name=False,
        verbose="quiet",
        save_tuner=False,
    )
    tuner.run()

    df = load_experiment("ray-asha").results
    # each pause ends a run and each resume starts one: run >= 3 means paused, then resumed
    resumed = [t for t in backend.trials if backend.current_run(t) >= 3]
    assert resumed, f"no trial was promoted: {backend.status}"
    assert set(backend.status.values()) <= {TrialStatus.PAUSED, TrialStatus.COMPLETED}
    for trial_id in resumed:
        epochs = df[df["trial_id"] == trial_id]["epoch"].tolist()
        # resumed from its checkpoint: training goes on, no epoch is repeated
        assert epochs[0] == 1 and epochs == sorted(set(epochs)) and epochs[-1] > 1
        # what a resume after a crash reads back: the last run's output, which holds every
        # result recorded since that run began (and maybe some printed after its pause)
        events = [json.loads(line) for line in open(tuner.tuner_path / "events.jsonl")]
        starts = [
            e
            for e in events
            if e["event"] == "status" and e["trial_id"] == trial_id and e["status"] == "InProgress"
        ]
        runs, printed = backend.recover_results(trial_id)
        last_run = [r["epoch"] for r in printed]
        assert runs == len(starts) + 1 >= 2  # the trial's start, then each resume
        assert last_run and last_run == sorted(set(last_run)) and last_run[0] > 1
        assert [e for e in epochs if e >= last_run[0]] == [e for e in last_run if e <= epochs[-1]]
    assert backend.busy_trial_ids() == []


@pytest.mark.parametrize("ignore_sigterm", [False, True])
def test_stopped_trial_ends_its_process_group(
    ray_cluster, tmp_path, write_script, pid_alive, ignore_sigterm
):
    script = write_script(
        "spawner.py",
        """
        import os, signal, subprocess, sys, time
        from synetune_sdk import Reporter

        if "--ignore_sigterm" in sys.argv and sys.argv[sys.argv.index("--ignore_sigterm") + 1] == "True":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen(["sleep", "1000"])
        report = Reporter()
        for epoch in range(1, 10000):
            report(epoch=epoch, pid=os.getpid(), child_pid=child.pid)
            time.sleep(0.05)
        """,
    )
    backend = RayBackend(entry_point=str(script), kill_grace_period=0.5)
    backend.set_path(tmp_path)
    try:
        trial = backend.start_trial({"ignore_sigterm": ignore_sigterm})
        results = collect_until(backend, [trial.trial_id], lambda r: len(r) >= 2, timeout=TIMEOUT)
        pid, child_pid = results[0][1]["pid"], results[0][1]["child_pid"]
        assert backend.trial_pid(trial.trial_id) == pid
        assert pid_alive(pid) and pid_alive(child_pid)

        backend.stop_trial(trial.trial_id)
        assert backend.status[trial.trial_id] == TrialStatus.STOPPED
        wait_for(lambda: not pid_alive(pid) and not pid_alive(child_pid), timeout=TIMEOUT)
        # the task ends only once the group is gone
        assert backend._trial_runs[trial.trial_id].wait_until_gone(30)
        backend.fetch_status_results([trial.trial_id])
        assert backend.fetch_status_results([trial.trial_id])[1] == []
        assert backend.status[trial.trial_id] == TrialStatus.STOPPED
    finally:
        backend.close()


def test_trials_wait_for_their_ray_resources(ray_cluster, tmp_path):
    # each trial takes both CPUs of the cluster: the second one runs after the first one
    backend = RayBackend(entry_point=CONTRACT_SCRIPT, num_cpus_per_trial=2)
    backend.set_path(tmp_path)
    try:
        first = backend.start_trial({"epochs": 3, "sleep": 0.1})
        second = backend.start_trial({"epochs": 2})
        queued = backend.start_trial({"epochs": 2})
        backend.stop_trial(queued.trial_id)  # cancelled before Ray ever started it
        results = run_to_end(backend, [first.trial_id, second.trial_id], timeout=TIMEOUT)
        assert backend._trial_runs[queued.trial_id].wait_until_gone(30)
    finally:
        backend.close()
    assert (
        backend.status[first.trial_id] == backend.status[second.trial_id] == TrialStatus.COMPLETED
    )
    times = {t: [r["st_worker_timestamp"] for u, r in results if u == t] for t in (0, 1)}
    assert max(times[first.trial_id]) < min(times[second.trial_id])
    assert backend.trial_pid(queued.trial_id, timeout=0) is None
    assert backend.stdout(queued.trial_id) == []


def test_crashing_trial_is_reported_with_its_stderr(ray_cluster, synetune_folder, write_script):
    script = write_script(
        "crash.py",
        """
        from synetune_sdk import Reporter

        Reporter()(epoch=1, loss=1.0)
        raise ValueError("boom in training at epoch 2")
        """,
    )
    backend = RayBackend(entry_point=str(script))
    tuner = Tuner(
        trial_backend=backend,
        scheduler=synetune.schedulers.create(
            "random_search", config_space={"x": uniform(0, 1)}, metric="loss", random_seed=0
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=1),
        n_workers=1,
        sleep_time=0.1,
        max_failures=0,
        verbose="quiet",
        save_tuner=False,
    )
    with pytest.raises(TrialFailuresError, match="boom in training"):
        tuner.run()
    assert backend.status[0] == TrialStatus.FAILED
    error = backend.errors[0]
    assert "exited with code 1" in error and "Traceback" in error and "crash.py" in error
    assert "boom in training" in "".join(backend.stderr(0))


def test_function_mode_ships_the_function_to_the_cluster(ray_cluster, tmp_path):
    def train(config, reporter, checkpoint_dir):
        import os

        if config["x"] < 0:
            raise ValueError(f"x must be >= 0, got {config['x']}")
        for epoch in range(1, config["epochs"] + 1):
            reporter(epoch=epoch, loss=config["x"] * epoch, has_dir=os.path.isdir(checkpoint_dir))

    backend = RayBackend(tune_function=train)
    backend.set_path(tmp_path)
    try:
        good = backend.start_trial({"x": 0.5, "epochs": 3})
        bad = backend.start_trial({"x": -1.0, "epochs": 3})
        results = run_to_end(backend, [good.trial_id, bad.trial_id], timeout=TIMEOUT)
    finally:
        backend.close()
    assert backend.status == {
        good.trial_id: TrialStatus.COMPLETED,
        bad.trial_id: TrialStatus.FAILED,
    }
    good_results = [r for t, r in results if t == good.trial_id]
    assert [r["loss"] for r in good_results] == [0.5, 1.0, 1.5]
    assert all(r["has_dir"] for r in good_results)
    assert "x must be >= 0, got -1.0" in backend.errors[bad.trial_id]
