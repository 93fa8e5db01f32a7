"""Running a training script as a trial: its command line, its process group, its failure message.

Backends that run scripts as subprocesses (``local``, and ``ray`` on its worker nodes) share
this code so that a trial starts, stops and fails the same way everywhere. A training script
may start children of its own (data loader workers, ``torchrun``, a shell ``sleep``). Each trial
therefore runs in its own session and process group, and stopping a trial signals the whole
group (SIGTERM, then SIGKILL after a grace period), so nothing the trial started outlives it. On
Linux each trial also asks the kernel to SIGKILL it when the thread that started it dies
(``PR_SET_PDEATHSIG``), so a tuner or Ray worker killed with SIGKILL leaves no orphaned
training runs behind.

Standard library only (Ray worker nodes import it); not imported by ``import synetune_sdk``.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

from synetune_sdk.constants import ST_CHECKPOINT_DIR, ST_CONFIG_JSON_FNAME_ARG

TYPE_CHECKING = False  # typing costs ~10 ms to import: keep it off a Ray worker's import path
if TYPE_CHECKING:  # pragma: no cover
    import threading
    from collections.abc import Callable
    from pathlib import Path
    from typing import IO, Any

# how many lines of std.err a failure message quotes
STDERR_TAIL_LINES = 20
# after the script exits, how long its leftover children may keep its stdout open
LEFTOVER_GRACE = 1.0
# how long to wait, beyond the grace period, for a killed process group to disappear
KILL_TIMEOUT = 10.0

_PR_SET_PDEATHSIG = 1
_prctl: Callable[..., int] | None = None
_prctl_loaded = False


# ----------------------------------------------------------------- the command line
def script_arguments(
    config: dict[str, Any], checkpoint_dir: str | Path, config_json: str | Path | None = None
) -> list[str]:
    """The arguments Syne Tune passes a training script, after its path.

    ``--<name> <value>`` per hyperparameter, or ``--st_config_json_filename <config_json>`` when
    ``config_json`` is given (the config travels as that JSON file), then
    ``--st_checkpoint_dir <checkpoint_dir>``.
    """
    if config_json is not None:
        args = [f"--{ST_CONFIG_JSON_FNAME_ARG}", str(config_json)]
    else:
        args = [item for name, value in config.items() for item in (f"--{name}", str(value))]
    return [*args, f"--{ST_CHECKPOINT_DIR}", str(checkpoint_dir)]


def script_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus ``extra``, with unbuffered Python output.

    Scripts that ``print()`` metric lines without flushing must still be heard at once.
    """
    env = dict(os.environ)
    env.update(extra or {})
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def jsonable(value: Any) -> Any:
    """``json.dumps(default=...)`` for configs: numpy scalars and arrays (without importing
    numpy) as Python values, anything else as its string."""
    for attr in ("tolist", "item"):
        if callable(getattr(value, attr, None)):
            return getattr(value, attr)()
    return str(value)


# ----------------------------------------------------------------- starting a script
def start_in_group(command: list[str], env: dict[str, str], stderr: IO[bytes]) -> subprocess.Popen:
    """Start ``command`` in a new session and process group, stdout piped, stdin closed.

    The process gets SIGKILL when the *thread* calling this ends (Linux): call it from a
    thread that lives as long as the trial may run. Raises ``OSError`` when it cannot start.
    """
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent_preexec(),
    )


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, resolved in the parent so the forked child only calls it."""
    global _prctl, _prctl_loaded
    if not _prctl_loaded:
        _prctl_loaded = True
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                prctl = ctypes.CDLL(None, use_errno=True).prctl
                prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
                prctl.restype = ctypes.c_int
                _prctl = prctl
            except (OSError, AttributeError):
                _prctl = None
    return _prctl


def die_with_parent_preexec() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive SIGKILL when its parent thread ends.

    The kernel ties the death signal to the *thread* that forked the child: trials must be
    started from a thread that lives as long as the tuning loop (the tuner's own thread, or the
    Ray task). Returns None where ``prctl`` is unavailable (not Linux).
    """
    prctl = _load_prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the death signal was armed
            os._exit(1)

    return preexec


# ----------------------------------------------------------------- stopping a script
def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the process group led by ``proc`` (no error if it is gone already)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, sig)
        elif sig == getattr(signal, "SIGKILL", None):
            proc.kill()
        else:
            proc.terminate()
    except (ProcessLookupError, PermissionError, OSError):
        pass


def wait_group_gone(
    proc: subprocess.Popen, timeout: float, exited: threading.Event | None = None
) -> bool:
    """Wait up to ``timeout`` s until the script was reaped and no process of its group runs.

    ``exited``: set by the thread that waits on ``proc`` where there is one (this function then
    leaves reaping to it); without it, this function reaps the script itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        if exited is None:
            reaped = proc.poll() is not None
        else:
            reaped = exited.is_set()
        if reaped and not group_alive(proc.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        if reaped or exited is None:
            time.sleep(0.02)
        else:
            exited.wait(0.02)


def kill_group_after_grace(
    proc: subprocess.Popen,
    grace_period: float,
    exited: threading.Event | None = None,
    before_kill: Callable[[], None] | None = None,
) -> bool:
    """Once SIGTERM was sent: SIGKILL the group if it still runs after ``grace_period`` s.

    Returns whether the group is gone (False: something survived SIGKILL for ``KILL_TIMEOUT``
    s). ``before_kill`` is called just before SIGKILL is sent; ``exited`` as for
    ``wait_group_gone``.
    """
    if wait_group_gone(proc, grace_period, exited):
        return True
    if before_kill is not None:
        before_kill()
    signal_group(proc, signal.SIGKILL)
    return wait_group_gone(proc, KILL_TIMEOUT, exited)


def terminate_group(
    proc: subprocess.Popen, grace_period: float, exited: threading.Event | None = None
) -> bool:
    """SIGTERM the script's process group, SIGKILL it after ``grace_period``; wait until gone."""
    signal_group(proc, signal.SIGTERM)
    return kill_group_after_grace(proc, grace_period, exited)


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies count as dead).

    ``killpg(pgid, 0)`` alone also sees zombies: a trial's grandchild whose parent died is
    re-parented to PID 1, which in a container may never reap it. On Linux ``/proc`` tells
    zombies apart.
    """
    if not hasattr(os, "killpg"):
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not os.path.isdir("/proc"):
        return True
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        state, pgrp = _state_and_group(int(entry.name))
        if pgrp == pgid and state not in ("Z", "X", None):
            return True
    return False


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if os.path.isdir("/proc"):
        state, _ = _state_and_group(pid)
        return state not in ("Z", "X", None)
    return True


def _state_and_group(pid: int) -> tuple[str | None, int | None]:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None, None
    # the command name in parentheses may contain spaces: split after its closing bracket
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[2])
    except (IndexError, ValueError):
        return None, None


# ----------------------------------------------------------------- when a script fails
def failure_message(
    trial_id: int, returncode: int | None, command: list[str], stderr_tail: str, where: str = ""
) -> str:
    """What ``backend.errors[trial_id]`` says about a failed script: how it ended (``where``,
    e.g. " on node x", follows), its command line and the last lines of its std.err."""
    if returncode is None:
        how = "ended without an exit code"
    elif returncode < 0:
        how = f"was killed by signal {signal.Signals(-returncode).name}"
    else:
        how = f"exited with code {returncode}"
    return (
        f"trial {trial_id} failed: the training script {how}{where}\n"
        f"command: {shlex.join(command)}\n"
        f"last lines of std.err:\n{stderr_tail}"
    )


def tail(path: str | Path, num_lines: int = STDERR_TAIL_LINES) -> str:
    """The last ``num_lines`` lines of a log file (of its last 64 KiB); "" if it is missing."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            data = f.read()
    except OSError:
        return ""
    return "\n".join(data.decode(errors="replace").splitlines()[-num_lines:])
