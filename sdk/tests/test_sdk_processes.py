"""synetune_sdk.processes with real subprocesses: process groups, SIGTERM then SIGKILL, liveness."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from synetune_sdk.processes import (
    failure_message,
    group_alive,
    kill_group_after_grace,
    kill_leftovers,
    pid_alive,
    script_arguments,
    script_environment,
    signal_group,
    start_in_group,
    tail,
    terminate_group,
    wait_exited,
    wait_group_gone,
)

# a script that starts a grandchild (both print their pid), then waits; SIGTERM behaviour is set
# by the code put in front of it
FAMILY = """
import os, signal, subprocess, sys, time
{prelude}
child = subprocess.Popen([sys.executable, "-c", {child!r}], stdout=sys.stdout)
print("script", os.getpid(), flush=True)
time.sleep(60)
"""
CHILD_IGNORES_SIGTERM = (
    "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('child', os.getpid(), flush=True); time.sleep(60)"
)
CHILD_SLEEPS = "import os, time; print('child', os.getpid(), flush=True); time.sleep(60)"


def _start(tmp_path: Path, source: str) -> subprocess.Popen:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    with open(tmp_path / "std.err", "ab") as std_err:
        return start_in_group([sys.executable, str(script)], script_environment(), std_err)


def _pids(proc: subprocess.Popen, count: int) -> dict[str, int]:
    """The pids the script and its child print at start (they are running once printed)."""
    assert proc.stdout is not None
    pids = {}
    for _ in range(count):
        who, pid = proc.stdout.readline().decode().split()
        pids[who] = int(pid)
    return pids


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met in {timeout} s"
        time.sleep(0.02)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen]]:
    """Processes a test started: their groups are killed at the end whatever happened."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        signal_group(proc, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


# ----------------------------------------------------------------- command line and environment
def test_script_arguments_pass_each_hyperparameter_then_checkpoint_dir():
    args = script_arguments({"lr": 0.25, "layers": 3, "act": "relu"}, Path("/ck/3"))
    assert args == [
        "--lr",
        "0.25",
        "--layers",
        "3",
        "--act",
        "relu",
        "--st_checkpoint_dir",
        "/ck/3",
    ]


def test_script_arguments_json_mode_passes_only_the_file():
    args = script_arguments({"lr": 0.25}, "/ck/3", config_json=Path("/t/3/config.json"))
    assert args == ["--st_config_json_filename", "/t/3/config.json", "--st_checkpoint_dir", "/ck/3"]


def test_script_environment_is_unbuffered_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    monkeypatch.setenv("SYNETUNE_TEST_VAR", "outer")
    env = script_environment({"SYNETUNE_TEST_VAR": "inner"})
    assert env["PYTHONUNBUFFERED"] == "1" and env["SYNETUNE_TEST_VAR"] == "inner"
    assert script_environment({"PYTHONUNBUFFERED": ""})["PYTHONUNBUFFERED"] == ""


def test_json_fallback_turns_numpy_like_values_into_python_and_the_rest_into_strings():
    from synetune_sdk.jsonutil import json_default_or_str as jsonable

    class Scalar:
        def item(self) -> float:
            return 0.5

    class Array:
        def tolist(self) -> list[int]:
            return [1, 2]

    assert jsonable(Scalar()) == 0.5
    assert jsonable(Array()) == [1, 2]
    assert jsonable(Path("/x")) == "/x"


# ----------------------------------------------------------------- process groups
def test_script_runs_in_its_own_group_with_stdin_closed(tmp_path, started):
    proc = _start(tmp_path, "import os, sys; print(os.getpgid(0), repr(sys.stdin.read()))")
    started.append(proc)
    out, _ = proc.communicate(timeout=20)
    pgid, stdin = out.decode().split()
    assert int(pgid) == proc.pid != os.getpgid(0)
    assert stdin == "''"


def test_terminate_group_gives_sigterm_handler_its_grace_period(tmp_path, started):
    source = """
    import signal, sys, time
    def on_term(signum, frame):
        time.sleep(0.3)  # saving a checkpoint
        open(sys.argv[0] + ".saved", "w").close()
        sys.exit(3)
    signal.signal(signal.SIGTERM, on_term)
    print("script", 0, flush=True)
    time.sleep(60)
    """
    proc = _start(tmp_path, source)
    started.append(proc)
    _pids(proc, 1)
    assert terminate_group(proc, grace_period=30.0)
    assert proc.returncode == 3  # ended by itself, not by SIGKILL
    assert (tmp_path / "script.py.saved").exists()


def test_terminate_group_ends_the_scripts_children_too(tmp_path, started):
    proc = _start(tmp_path, FAMILY.format(prelude="", child=CHILD_SLEEPS))
    started.append(proc)
    pids = _pids(proc, 2)
    assert pid_alive(pids["child"]) and group_alive(proc.pid)
    assert terminate_group(proc, grace_period=30.0)
    assert proc.returncode == -signal.SIGTERM
    assert not pid_alive(pids["child"]) and not group_alive(proc.pid)


def test_sigterm_ignoring_script_and_child_get_sigkill_after_grace(tmp_path, started):
    prelude = "signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    proc = _start(tmp_path, FAMILY.format(prelude=prelude, child=CHILD_IGNORES_SIGTERM))
    started.append(proc)
    pids = _pids(proc, 2)
    assert terminate_group(proc, grace_period=0.2)
    assert proc.returncode == -signal.SIGKILL
    assert not pid_alive(pids["child"]) and not group_alive(proc.pid)


def test_child_ignoring_sigterm_is_killed_even_when_script_obeys(tmp_path, started):
    proc = _start(tmp_path, FAMILY.format(prelude="", child=CHILD_IGNORES_SIGTERM))
    started.append(proc)
    pids = _pids(proc, 2)
    signal_group(proc, signal.SIGTERM)
    proc.wait(timeout=20)
    assert pid_alive(pids["child"])  # the script is gone, its child ignored SIGTERM
    assert not wait_group_gone(proc, 0.1)
    assert kill_group_after_grace(proc, grace_period=0.1)
    assert not pid_alive(pids["child"])


def test_kill_after_grace_leaves_reaping_to_the_waiter_and_announces_sigkill(tmp_path, started):
    prelude = "signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    proc = _start(tmp_path, FAMILY.format(prelude=prelude, child=CHILD_SLEEPS))
    started.append(proc)
    _pids(proc, 2)
    exited = threading.Event()
    codes: list[int] = []

    def waiter() -> None:
        codes.append(proc.wait())
        exited.set()

    threading.Thread(target=waiter, daemon=True).start()
    announced: list[bool] = []
    signal_group(proc, signal.SIGTERM)
    gone = kill_group_after_grace(
        proc, grace_period=0.2, exited=exited, before_kill=lambda: announced.append(exited.is_set())
    )
    assert gone and exited.is_set() and codes == [-signal.SIGKILL]
    assert announced == [False]  # called once, before SIGKILL, while the script still ran


def test_kill_after_grace_sends_no_sigkill_to_a_group_that_ended(tmp_path, started):
    proc = _start(tmp_path, FAMILY.format(prelude="", child=CHILD_SLEEPS))
    started.append(proc)
    _pids(proc, 2)
    signal_group(proc, signal.SIGTERM)
    announced: list[bool] = []
    assert kill_group_after_grace(proc, 30.0, before_kill=lambda: announced.append(True))
    assert announced == [] and proc.returncode == -signal.SIGTERM


def test_signal_group_of_a_reaped_process_is_no_error(tmp_path, started):
    proc = _start(tmp_path, "pass")
    started.append(proc)
    proc.communicate(timeout=20)
    signal_group(proc, signal.SIGTERM)
    assert not group_alive(proc.pid) and not pid_alive(proc.pid)


def test_zombies_count_as_dead(tmp_path, started):
    proc = _start(tmp_path, "print('script', 0, flush=True)")
    started.append(proc)
    _pids(proc, 1)
    # exited but not reaped: a zombie that kill(pid, 0) still finds
    _wait_for(lambda: not pid_alive(proc.pid))
    os.kill(proc.pid, 0)
    assert not group_alive(proc.pid)
    assert proc.wait(timeout=20) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_script_dies_with_the_process_that_started_it(tmp_path):
    launcher = """
    import sys
    from synetune_sdk.processes import script_environment, start_in_group
    with open(sys.argv[0] + ".err", "ab") as std_err:
        command = [sys.executable, "-c", "import time; time.sleep(60)"]
        proc = start_in_group(command, script_environment(), std_err)
    print(proc.pid, flush=True)
    proc.wait()
    """
    script = tmp_path / "launcher.py"
    script.write_text(textwrap.dedent(launcher))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    try:
        trial_pid = int(parent.stdout.readline())
        assert pid_alive(trial_pid)
        parent.kill()  # SIGKILL: no chance to clean up
        parent.wait()
        _wait_for(lambda: not pid_alive(trial_pid))
    finally:
        parent.stdout.close()
        if parent.poll() is None:
            parent.kill()
            parent.wait()


# ----------------------------------------------------------------- failure messages
def test_failure_message_says_how_the_script_ended_with_command_and_stderr_tail():
    command = ["python", "train.py", "--name", "a b"]
    killed = failure_message(4, -signal.SIGKILL, command, "line 1\nline 2")
    assert killed == (
        "trial 4 failed: the training script was killed by signal SIGKILL\n"
        f"command: {shlex.join(command)}\n"
        "last lines of std.err:\nline 1\nline 2"
    )
    assert "exited with code 2 on node n1\n" in failure_message(
        4, 2, command, "", where=" on node n1"
    )
    assert "ended without an exit code\n" in failure_message(4, None, command, "")


def test_tail_gives_the_last_lines_and_nothing_for_a_missing_file(tmp_path):
    path = tmp_path / "std.err"
    path.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(path, 3) == "line 97\nline 98\nline 99"
    assert tail(str(path)).splitlines() == [f"line {i}" for i in range(80, 100)]
    assert tail(tmp_path / "missing") == ""


# ----------------------------------------------------------------- what a script leaves behind
# a script that starts three processes that do not hold its stdout: a shell `sleep &`, a child
# that left the script's process group (still in its session) and a multiprocessing child; it
# prints their pids and its own, then exits (or sleeps when told to)
LEAVES_CHILDREN = """
import multiprocessing, os, subprocess, sys, time
quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shell = subprocess.run(
    ["sh", "-c", "sleep 1000 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True
)
own_group = subprocess.Popen(["sleep", "1000"], process_group=0, **quiet)
worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(1000,))
worker.start()
pids = [int(shell.stdout), own_group.pid, worker.pid]
print("script", os.getpid(), *pids, flush=True)
{then}
os._exit(0)  # no multiprocessing join at exit: the worker is left behind
"""


def _children(proc: subprocess.Popen) -> list[int]:
    assert proc.stdout is not None
    words = proc.stdout.readline().decode().split()
    assert words[0] == "script", words
    return [int(w) for w in words[2:]]


@pytest.fixture
def leftovers() -> Iterator[list[int]]:
    """Pids a test expects to end: killed at the end whatever happened."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_kill_leftovers_ends_every_process_the_script_left_behind(tmp_path, started, leftovers):
    proc = _start(tmp_path, LEAVES_CHILDREN.format(then=""))
    started.append(proc)
    leftovers.extend(_children(proc))
    wait_exited(proc)
    assert proc.returncode is None  # exited, but not reaped yet
    assert all(pid_alive(pid) for pid in leftovers)

    assert kill_leftovers(proc)

    assert not any(pid_alive(pid) for pid in leftovers)
    assert not group_alive(proc.pid)
    assert proc.wait(timeout=20) == 0


def test_terminate_group_also_ends_children_that_left_the_group(tmp_path, started, leftovers):
    proc = _start(tmp_path, LEAVES_CHILDREN.format(then="time.sleep(60)"))
    started.append(proc)
    leftovers.extend(_children(proc))
    assert terminate_group(proc, grace_period=5.0)
    assert not any(pid_alive(pid) for pid in leftovers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
@pytest.mark.parametrize("then", ["time.sleep(60)", ""])
def test_everything_a_script_started_dies_when_its_starter_is_killed(tmp_path, leftovers, then):
    # "": the script already exited, only what it left behind runs when the starter is killed
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(LEAVES_CHILDREN.format(then=then)))
    launcher = f"""
    import sys, time
    from synetune_sdk.processes import script_environment, start_in_group
    with open(sys.argv[0] + ".err", "ab") as std_err:
        procs = [
            start_in_group([sys.executable, {str(script)!r}], script_environment(), std_err)
            for _ in range(2)
        ]
    for proc in procs:
        sys.stdout.write(proc.stdout.readline().decode())
    sys.stdout.flush()
    time.sleep(600)
    """
    (tmp_path / "launcher.py").write_text(textwrap.dedent(launcher))
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "launcher.py")], stdout=subprocess.PIPE
    )
    try:
        for _ in range(2):
            leftovers.extend(_children(parent))
        assert len(leftovers) == 6 and all(pid_alive(pid) for pid in leftovers)
        parent.kill()  # SIGKILL: no chance to clean up
        parent.wait()
        _wait_for(lambda: not any(pid_alive(pid) for pid in leftovers), timeout=5.0)
    finally:
        parent.stdout.close()
        if parent.poll() is None:
            parent.kill()
            parent.wait()
