"""LocalBackend driven directly (set_path, start_trial, wait + fetch_status_results)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import dill
import pytest
from synetune_plugin_local.local_backend import LocalBackend

import synetune
from synetune_sdk.processes import pid_alive
from synetune_sdk.testing import collect_until, run_to_end, wait_for
from synetune_sdk.trial import TrialStatus

REPORT_EPOCHS = """
    import argparse, time
    from synetune_sdk import Reporter
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--st_checkpoint_dir")
    args = parser.parse_args()
    report = Reporter()
    for epoch in range(1, args.epochs + 1):
        report(epoch=epoch, loss=args.lr / epoch)
"""

# reports forever until stopped; writes its pid (and a child's) into the trial folder
REPORT_FOREVER = """
    import argparse, os, subprocess, time
    from pathlib import Path
    from synetune_sdk import Reporter
    parser = argparse.ArgumentParser()
    parser.add_argument("--st_checkpoint_dir")
    args, _ = parser.parse_known_args()
    trial = Path(args.st_checkpoint_dir).parent
    child = subprocess.Popen(["sleep", "60"])
    (trial / "pids.tmp").write_text(f"{os.getpid()} {child.pid}")
    os.replace(trial / "pids.tmp", trial / "pids.txt")
    report = Reporter()
    epoch = 0
    while True:
        epoch += 1
        report(epoch=epoch)
        time.sleep(0.05)
"""


def make_backend(tmp_path: Path, script: Path, **kwargs) -> LocalBackend:
    backend = LocalBackend(entry_point=str(script), **kwargs)
    backend.set_path(tmp_path / "tuner")
    return backend


def epochs_of(results: list[tuple[int, dict]], trial_id: int = 0) -> list[int]:
    return [r["epoch"] for t, r in results if t == trial_id]


def read_pids(backend: LocalBackend, trial_id: int) -> list[int]:
    path = backend.trial_path(trial_id) / "pids.txt"
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_trial_runs_to_completion_with_results_in_order(tmp_path, write_script):
    script = write_script("train.py", REPORT_EPOCHS)
    backend = make_backend(tmp_path, script)
    config = {"lr": 0.5, "epochs": 5}
    trial = backend.start_trial(config)
    assert trial.trial_id == 0 and backend.busy_trial_ids() == [(0, TrialStatus.IN_PROGRESS)]

    results = run_to_end(backend, [0])

    assert epochs_of(results) == [1, 2, 3, 4, 5]
    assert [r["loss"] for _, r in results] == pytest.approx([0.5 / e for e in range(1, 6)])
    assert all("st_worker_timestamp" in r for _, r in results)
    assert backend.status[0] == TrialStatus.COMPLETED
    assert 0 not in backend.errors
    metric_lines = [line for line in backend.stdout(0) if line.startswith("[tune-metric]: ")]
    assert len(metric_lines) == 5
    assert json.loads((backend.trial_path(0) / "config.json").read_text()) == config
    assert backend.checkpoint_path(0).is_dir()
    assert backend.entrypoint_path() == script.resolve()
    assert backend.busy_trial_ids() == []


@pytest.mark.parametrize("as_json", [False, True])
def test_script_gets_config_and_checkpoint_folder(tmp_path, write_script, as_json):
    script = write_script(
        "argv.py",
        """
        import json, os, sys
        from synetune_sdk import Reporter
        argv = sys.argv[1:]
        checkpoint_dir = argv[argv.index("--st_checkpoint_dir") + 1]
        info = {"argv": argv, "checkpoint_dir_exists": os.path.isdir(checkpoint_dir)}
        trial = os.path.dirname(checkpoint_dir)
        with open(os.path.join(trial, "argv.json"), "w") as f:
            json.dump(info, f)
        Reporter()(epoch=1)
        """,
    )
    backend = make_backend(tmp_path, script, pass_args_as_json=as_json)
    config = {"lr": 0.1, "name": "a b", "layers": 3, "flag": True}
    backend.start_trial(config)
    run_to_end(backend, [0])

    assert backend.status[0] == TrialStatus.COMPLETED
    info = json.loads((backend.trial_path(0) / "argv.json").read_text())
    checkpoint_dir = str(backend.checkpoint_path(0))
    assert info["checkpoint_dir_exists"]
    if as_json:
        config_file = str(backend.trial_path(0) / "config.json")
        assert info["argv"] == [
            "--st_config_json_filename", config_file, "--st_checkpoint_dir", checkpoint_dir,
        ]  # fmt: skip
        assert json.loads(Path(config_file).read_text()) == config
    else:
        assert info["argv"] == [
            "--lr", "0.1", "--name", "a b", "--layers", "3", "--flag", "True",
            "--st_checkpoint_dir", checkpoint_dir,
        ]  # fmt: skip


def test_stop_kills_the_whole_process_group(tmp_path, write_script):
    backend = make_backend(tmp_path, write_script("forever.py", REPORT_FOREVER))
    backend.start_trial({"lr": 0.1})
    collect_until(backend, [0], lambda results: len(results) >= 2)
    wait_for(lambda: len(read_pids(backend, 0)) == 2)
    script_pid, child_pid = read_pids(backend, 0)
    assert pid_alive(script_pid) and pid_alive(child_pid)

    backend.stop_trial(0)

    assert backend.status[0] == TrialStatus.STOPPED
    assert backend.busy_trial_ids() == []
    wait_for(lambda: not pid_alive(script_pid) and not pid_alive(child_pid))
    backend.close()


def test_script_ignoring_sigterm_is_killed_after_grace_period(tmp_path, write_script):
    script = write_script(
        "stubborn.py",
        """
        import os, signal, sys, time
        from pathlib import Path
        from synetune_sdk import Reporter
        trial = Path(sys.argv[sys.argv.index("--st_checkpoint_dir") + 1]).parent
        def ignore(signum, frame):
            (trial / "got_sigterm").write_text("ignored")
        signal.signal(signal.SIGTERM, ignore)
        (trial / "pids.txt").write_text(str(os.getpid()))
        report = Reporter()
        while True:
            report(epoch=1)
            time.sleep(0.05)
        """,
    )
    backend = make_backend(tmp_path, script, kill_grace_period=0.3)
    backend.start_trial({})
    collect_until(backend, [0], lambda results: len(results) >= 1)
    wait_for(lambda: bool(read_pids(backend, 0)))
    (pid,) = read_pids(backend, 0)

    backend.stop_trial(0)

    wait_for(lambda: (backend.trial_path(0) / "got_sigterm").exists())
    wait_for(lambda: not pid_alive(pid))
    assert backend.status[0] == TrialStatus.STOPPED


def test_results_after_stop_are_dropped_and_counted(tmp_path, write_script):
    script = write_script(
        "late.py",
        """
        import signal, sys, time
        from synetune_sdk import Reporter
        report = Reporter()
        def late_result(signum, frame):
            report(epoch=999)
            sys.exit(0)
        signal.signal(signal.SIGTERM, late_result)
        epoch = 0
        while True:
            epoch += 1
            report(epoch=epoch)
            time.sleep(0.05)
        """,
    )
    backend = make_backend(tmp_path, script)
    backend.start_trial({})
    collect_until(backend, [0], lambda results: len(results) >= 1)

    backend.stop_trial(0)

    wait_for(lambda: any('"epoch": 999' in line for line in backend.stdout(0)))
    assert backend.num_dropped_results >= 1
    statuses, results = backend.fetch_status_results([0])
    assert 999 not in epochs_of(results)
    assert statuses[0][1] == TrialStatus.STOPPED
    backend.close()


def test_pause_then_resume_continues_from_checkpoint(tmp_path, write_script):
    # the script saves its checkpoint only when told to stop, and takes its time doing so: the
    # resumed run sees it only if the backend waited for the paused run to be gone
    script = write_script(
        "ckpt.py",
        """
        import argparse, json, signal, sys, time
        from pathlib import Path
        from synetune_sdk import Reporter
        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--st_checkpoint_dir")
        args = parser.parse_args()
        state = Path(args.st_checkpoint_dir) / "state.json"
        start = json.loads(state.read_text())["epoch"] if state.exists() else 0
        done = start
        def save_and_exit(signum, frame):
            time.sleep(0.3)
            state.write_text(json.dumps({"epoch": done}))
            sys.exit(0)
        signal.signal(signal.SIGTERM, save_and_exit)
        report = Reporter()
        for epoch in range(start + 1, args.epochs + 1):
            done = epoch  # the epoch is trained: a pause from now on keeps it
            report(epoch=epoch)
            time.sleep(0.05)
        """,
    )
    backend = make_backend(tmp_path, script)
    backend.start_trial({"epochs": 8})
    first = collect_until(backend, [0], lambda results: len(results) >= 2)

    backend.pause_trial(0)
    first += backend.fetch_status_results([0])[1]
    assert backend.status[0] == TrialStatus.PAUSED
    backend.resume_trial(0)
    second = run_to_end(backend, [0])

    assert backend.status[0] == TrialStatus.COMPLETED
    first_epochs, second_epochs = epochs_of(first), epochs_of(second)
    assert first_epochs == list(range(1, len(first_epochs) + 1))
    assert second_epochs[0] > first_epochs[-1]  # continued from the checkpoint
    assert second_epochs == list(range(second_epochs[0], 9))
    metric_lines = [line for line in backend.stdout(0) if line.startswith("[tune-metric]")]
    assert len(metric_lines) >= len(first_epochs) + len(second_epochs)  # std.out appended


def test_crash_fails_with_command_and_stderr_tail(tmp_path, write_script):
    script = write_script(
        "crash.py",
        """
        from synetune_sdk import Reporter
        Reporter()(epoch=1)
        raise RuntimeError("boom in training")
        """,
    )
    backend = make_backend(tmp_path, script)
    backend.start_trial({"lr": 0.25})
    results = run_to_end(backend, [0])

    assert epochs_of(results) == [1]
    assert backend.status[0] == TrialStatus.FAILED
    error = backend.errors[0]
    assert "trial 0" in error and "exited with code 1" in error
    assert "RuntimeError: boom in training" in error
    assert shlex.join(backend.command(0, {"lr": 0.25})) in error
    assert any("boom in training" in line for line in backend.stderr(0))


def test_completed_without_metrics_fails(tmp_path, write_script):
    backend = make_backend(tmp_path, write_script("quiet.py", "print('hello')\n"))
    backend.start_trial({})
    assert run_to_end(backend, [0]) == []
    assert backend.status[0] == TrialStatus.FAILED
    assert "no metrics" in backend.errors[0]
    assert backend.stdout(0) == ["hello\n"]


def test_malformed_metric_line_is_logged_and_trial_continues(tmp_path, write_script, caplog):
    script = write_script(
        "malformed.py",
        """
        from synetune_sdk import Reporter
        report = Reporter()
        report(epoch=1)
        print("[tune-metric]: {oops not json", flush=True)
        report(epoch=2)
        """,
    )
    backend = make_backend(tmp_path, script)
    with caplog.at_level(logging.WARNING, logger="synetune_plugin_local"):
        backend.start_trial({})
        results = run_to_end(backend, [0])

    assert epochs_of(results) == [1, 2]
    assert backend.status[0] == TrialStatus.COMPLETED
    assert backend.num_malformed_lines == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("trial 0" in w and "oops not json" in w for w in warnings)


def test_syne_tune_style_script_printing_metric_lines_runs_unchanged(
    tmp_path, write_script, monkeypatch
):
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    # prints without flushing and then waits for the test: the line must arrive while it runs
    script = write_script(
        "syne_tune_train.py",
        """
        import json, os, time
        from argparse import ArgumentParser
        parser = ArgumentParser()
        parser.add_argument("--lr", type=float, required=True)
        parser.add_argument("--epochs", type=int, required=True)
        parser.add_argument("--go_on", type=str, required=True)
        parser.add_argument("--st_checkpoint_dir", type=str)
        args, _ = parser.parse_known_args()
        for epoch in range(1, args.epochs + 1):
            print(f"[tune-metric]: {json.dumps({'epoch': epoch, 'mean_loss': args.lr * epoch})}")
            while epoch == 1 and not os.path.exists(args.go_on):
                time.sleep(0.01)
        """,
    )
    go_on = tmp_path / "go_on"
    backend = make_backend(tmp_path, script)
    backend.start_trial({"lr": 0.5, "epochs": 3, "go_on": str(go_on)})
    first = collect_until(backend, [0], lambda results: len(results) >= 1)
    go_on.touch()
    results = first + run_to_end(backend, [0])

    assert [r["mean_loss"] for _, r in results] == [0.5, 1.0, 1.5]
    assert backend.status[0] == TrialStatus.COMPLETED


GPU_SCRIPT = """
    import os, sys, time
    from pathlib import Path
    from synetune_sdk import Reporter
    argv = sys.argv[1:]
    trial = Path(argv[argv.index("--st_checkpoint_dir") + 1]).parent
    (trial / "cuda.txt").write_text(os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>"))
    release = Path(argv[argv.index("--release") + 1])
    while not release.exists():
        time.sleep(0.01)
    Reporter()(epoch=1)
"""


def run_gpu_trials(backend, tmp_path, num_trials) -> list[str]:
    """Start ``num_trials`` trials that all run at the same time; their CUDA_VISIBLE_DEVICES."""
    release = tmp_path / "release"
    release.unlink(missing_ok=True)
    first = backend.new_trial_id()
    ids = [backend.start_trial({"release": str(release)}).trial_id for _ in range(num_trials)]
    release.touch()
    run_to_end(backend, ids)
    assert all(backend.status[t] == TrialStatus.COMPLETED for t in ids)
    assert ids == list(range(first, first + num_trials))
    return [(backend.trial_path(t) / "cuda.txt").read_text() for t in ids]


def test_gpu_rotation_over_injected_devices(tmp_path, write_script, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    script = write_script("gpu.py", GPU_SCRIPT)
    backend = make_backend(tmp_path, script, gpus=["0", "1"])
    assert run_gpu_trials(backend, tmp_path, 3) == ["0", "1", "0"]

    two_each = make_backend(
        tmp_path / "two", script, gpus=["0", "1", "2", "3"], num_gpus_per_trial=2
    )
    assert run_gpu_trials(two_each, tmp_path, 2) == ["0,1", "2,3"]

    no_rotation = make_backend(tmp_path / "off", script, gpus=["0", "1"], rotate_gpus=False)
    assert run_gpu_trials(no_rotation, tmp_path, 2) == ["<unset>", "<unset>"]


def test_gpu_rotation_honours_preset_cuda_visible_devices(tmp_path, write_script, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    script = write_script("gpu.py", GPU_SCRIPT)
    backend = make_backend(tmp_path, script)
    assert backend.devices() == ["4", "5", "6", "7"]
    assert run_gpu_trials(backend, tmp_path, 2) == ["4", "5"]
    # idle GPUs are rotated: the next trials go to those not used yet
    assert run_gpu_trials(backend, tmp_path, 2) == ["6", "7"]

    from_env_argument = make_backend(tmp_path / "env", script, env={"CUDA_VISIBLE_DEVICES": "2,3"})
    assert run_gpu_trials(from_env_argument, tmp_path, 2) == ["2", "3"]


def test_gpus_are_detected_with_nvidia_smi(tmp_path, write_script, monkeypatch):
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-aaaa)'\n"
        "echo 'GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-bbbb)'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    script = write_script("train.py", REPORT_EPOCHS)
    assert make_backend(tmp_path, script).devices() == ["0", "1"]

    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert make_backend(tmp_path, script).devices() == []


def test_delete_checkpoints_when_trial_ends_but_not_when_paused(tmp_path, write_script):
    script = write_script(
        "ckpt_forever.py",
        """
        import argparse, time
        from pathlib import Path
        from synetune_sdk import Reporter
        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--st_checkpoint_dir")
        args = parser.parse_args()
        (Path(args.st_checkpoint_dir) / "model.txt").write_text("weights")
        report = Reporter()
        for epoch in range(1, args.epochs + 1):
            report(epoch=epoch)
            time.sleep(0.02)
        """,
    )
    backend = make_backend(tmp_path, script, delete_checkpoints=True, kill_grace_period=1.0)
    backend.start_trial({"epochs": 1})
    run_to_end(backend, [0])
    assert backend.status[0] == TrialStatus.COMPLETED
    wait_for(lambda: not backend.checkpoint_path(0).exists())

    backend.start_trial({"epochs": 10_000})
    collect_until(backend, [1], lambda results: len(results) >= 1)
    backend.pause_trial(1)
    backend._processes[1].wait_until_gone(10.0)
    assert (backend.checkpoint_path(1) / "model.txt").exists()
    backend.stop_trial(1)
    wait_for(lambda: not backend.checkpoint_path(1).exists())

    keeping = make_backend(tmp_path / "keep", script)
    keeping.start_trial({"epochs": 1})
    run_to_end(keeping, [0])
    assert (keeping.checkpoint_path(0) / "model.txt").exists()


@pytest.mark.parametrize("pickler", [pickle, dill], ids=["pickle", "dill"])
def test_backend_pickles_with_finished_and_running_trials(tmp_path, write_script, pickler):
    script = write_script("train.py", REPORT_EPOCHS)
    backend = make_backend(tmp_path, script)
    backend.start_trial({"lr": 0.5, "epochs": 2})
    backend.start_trial({"lr": "not a float", "epochs": 2})  # argparse error: fails
    run_to_end(backend, [0, 1])
    forever = make_backend(tmp_path / "running", write_script("forever.py", REPORT_FOREVER))
    forever.start_trial({})
    collect_until(forever, [0], lambda results: len(results) >= 1)

    restored = pickler.loads(pickler.dumps(backend))
    restored_running = pickler.loads(pickler.dumps(forever))
    forever.close()

    assert restored.status == {0: TrialStatus.COMPLETED, 1: TrialStatus.FAILED}
    assert restored.errors == backend.errors and "invalid float value" in restored.errors[1]
    assert restored.trials[0].config == {"lr": 0.5, "epochs": 2}
    assert restored_running.status[0] == TrialStatus.IN_PROGRESS
    assert restored.path == backend.path
    trial = restored.start_trial({"lr": 1.0, "epochs": 3})
    assert trial.trial_id == 2
    assert epochs_of(run_to_end(restored, [2]), 2) == [1, 2, 3]
    assert restored.status[2] == TrialStatus.COMPLETED


def test_close_stops_running_trials(tmp_path, write_script):
    backend = make_backend(tmp_path, write_script("forever.py", REPORT_FOREVER))
    backend.start_trial({})
    collect_until(backend, [0], lambda results: len(results) >= 1)
    wait_for(lambda: len(read_pids(backend, 0)) == 2)

    backend.close()

    assert backend.status[0] == TrialStatus.STOPPED
    assert not any(pid_alive(pid) for pid in read_pids(backend, 0))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_trials_die_when_the_tuner_is_killed(tmp_path, write_script):
    # the trial prints nothing once started, so no SIGPIPE can end it: only the death signal
    script = write_script(
        "silent.py",
        """
        import os, sys, time
        from pathlib import Path
        trial = Path(sys.argv[sys.argv.index("--st_checkpoint_dir") + 1]).parent
        (trial / "pid.tmp").write_text(str(os.getpid()))
        os.replace(trial / "pid.tmp", trial / "pid.txt")
        time.sleep(600)
        """,
    )
    tuner = write_script(
        "tuner.py",
        f"""
        import time
        from synetune_plugin_local.local_backend import LocalBackend
        backend = LocalBackend(entry_point={str(script)!r})
        backend.set_path({str(tmp_path / "tuner")!r})
        backend.start_trial({{}})
        time.sleep(600)
        """,
    )
    proc = subprocess.Popen([sys.executable, str(tuner)])
    pid = None
    try:
        pid_file = tmp_path / "tuner" / "0" / "pid.txt"
        wait_for(pid_file.exists)
        pid = int(pid_file.read_text())
        assert pid_alive(pid)
        proc.kill()  # SIGKILL: the tuner gets no chance to clean up
        proc.wait()
        wait_for(lambda: not pid_alive(pid))
    finally:
        proc.kill()
        proc.wait()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def test_copy_checkpoint_copies_the_source_trial_folder(tmp_path, write_script):
    script = write_script(
        "save.py",
        """
        import sys
        from pathlib import Path
        from synetune_sdk import Reporter
        argv = sys.argv[1:]
        folder = Path(argv[argv.index("--st_checkpoint_dir") + 1])
        seen = (folder / "model.txt").read_text() if (folder / "model.txt").exists() else "none"
        (folder / "seen.txt").write_text(seen)
        (folder / "model.txt").write_text(argv[argv.index("--tag") + 1])
        Reporter()(epoch=1)
        """,
    )
    backend = make_backend(tmp_path, script)
    backend.start_trial({"tag": "parent"})
    run_to_end(backend, [0])
    backend.start_trial({"tag": "child"}, checkpoint_trial_id=0)  # PBT-style
    run_to_end(backend, [1])
    assert (backend.checkpoint_path(1) / "seen.txt").read_text() == "parent"
    assert (backend.checkpoint_path(1) / "model.txt").read_text() == "child"


def test_missing_entry_point_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="entry_point.*nope.py"):
        LocalBackend(entry_point=str(tmp_path / "nope.py"))


def test_python_that_cannot_start_fails_the_trial(tmp_path, write_script):
    script = write_script("train.py", REPORT_EPOCHS)
    backend = make_backend(tmp_path, script, python=str(tmp_path / "no-python"))
    backend.start_trial({"lr": 0.1, "epochs": 1})
    run_to_end(backend, [0])
    assert backend.status[0] == TrialStatus.FAILED
    assert "could not be started" in backend.errors[0] and "python=" in backend.errors[0]


def test_plugin_registers_local_and_python_backends(tmp_path, write_script):
    assert {"local", "python"} <= set(synetune.backends.names())
    backend = synetune.backends.create("local", entry_point=str(write_script("t.py", "")))
    assert isinstance(backend, LocalBackend)
    from synetune_plugin_local.python_backend import PythonBackend

    assert synetune.backends.get("python") is PythonBackend


# a script that leaves three processes behind that do not hold its stdout (a shell `sleep &`, a
# child in a process group of its own and a multiprocessing child), writes their pids into the
# trial folder, reports, then exits with the given code or runs until stopped
LEAVES_CHILDREN = """
    import multiprocessing, os, subprocess, sys, time
    from pathlib import Path
    from synetune_sdk import Reporter
    trial = Path(sys.argv[sys.argv.index("--st_checkpoint_dir") + 1]).parent
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shell = subprocess.run(
        ["sh", "-c", "sleep 1000 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True
    )
    own_group = subprocess.Popen(["sleep", "1000"], process_group=0, **quiet)
    worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(1000,))
    worker.start()
    (trial / "pids.tmp").write_text(f"{int(shell.stdout)} {own_group.pid} {worker.pid}")
    os.replace(trial / "pids.tmp", trial / "pids.txt")
    Reporter()(epoch=1)
    if FOREVER:
        time.sleep(600)
    os._exit(CODE)  # no multiprocessing join at exit: the worker is left behind
"""


def leaves_children(forever: bool, code: int) -> str:
    return LEAVES_CHILDREN.replace("FOREVER", str(forever)).replace("CODE", str(code))


def kill_pids(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    "ending, status",
    [("completes", TrialStatus.COMPLETED), ("fails", TrialStatus.FAILED), ("stops", None)],
)
def test_processes_a_trial_left_behind_are_gone_when_it_ends(
    tmp_path, write_script, ending, status
):
    source = leaves_children(forever=ending == "stops", code=int(ending == "fails"))
    backend = make_backend(tmp_path, write_script("train.py", source))
    backend.start_trial({})
    pids: list[int] = []
    try:
        if ending == "stops":
            collect_until(backend, [0], lambda results: len(results) >= 1)
            pids = read_pids(backend, 0)
            assert all(pid_alive(pid) for pid in pids)
            backend.stop_trial(0)
            wait_for(lambda: not any(pid_alive(pid) for pid in pids), timeout=10.0)
        else:
            run_to_end(backend, [0])
            pids = read_pids(backend, 0)
            assert backend.status[0] == status
            assert len(pids) == 3
            # gone by the time the trial is reported as ended, not some time later
            assert [pid for pid in pids if pid_alive(pid)] == []
    finally:
        kill_pids(pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG, /proc")
def test_trials_and_what_they_started_die_when_the_tuner_is_killed(tmp_path, write_script):
    script = write_script("train.py", leaves_children(forever=True, code=0))
    tuner = write_script(
        "tuner.py",
        f"""
        import time
        from synetune_plugin_local.local_backend import LocalBackend
        backend = LocalBackend(entry_point={str(script)!r})
        backend.set_path({str(tmp_path / "tuner")!r})
        for _ in range(2):
            backend.start_trial({{}})
        time.sleep(600)
        """,
    )
    proc = subprocess.Popen([sys.executable, str(tuner)])
    pids: list[int] = []
    try:
        pid_files = [tmp_path / "tuner" / str(trial_id) / "pids.txt" for trial_id in (0, 1)]
        wait_for(lambda: all(path.exists() for path in pid_files))
        pids = [int(pid) for path in pid_files for pid in path.read_text().split()]
        assert len(pids) == 6 and all(pid_alive(pid) for pid in pids)
        proc.kill()  # SIGKILL: the tuner gets no chance to clean up
        proc.wait()
        wait_for(lambda: not any(pid_alive(pid) for pid in pids), timeout=5.0)
    finally:
        proc.kill()
        proc.wait()
        kill_pids(pids)
