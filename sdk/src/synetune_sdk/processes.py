"""Running a training script as a trial: its command line, its process group, its failure message.

Backends that run scripts as subprocesses (``local``, and ``ray`` on its worker nodes) share
this code so that a trial starts, stops and fails the same way everywhere. A training script
may start children of its own (data loader workers, ``torchrun``, a shell ``sleep &``). Each
trial therefore runs in its own session (and process group) whose id is the script's pid, and
"the trial's processes" are every process of that group or session:

* stopping a trial signals all of them (SIGTERM, then SIGKILL after a grace period);
* once the script exited, ``wait_exited`` + ``kill_leftovers`` SIGKILL whatever it left behind
  while its unreaped pid still reserves the group's id;
* a process that started trials may die without cleaning up (even by SIGKILL): on Linux the
  script gets SIGKILL from the kernel when the thread that started it dies
  (``PR_SET_PDEATHSIG``), and one small *guard* process per starting process (started with the
  first trial, in a session of its own, no extra interpreter per trial) holds the read end of a
  pipe only the starter writes to. When the pipe closes, i.e. the starter died, the guard
  SIGKILLs every group and session it was told about, so no grandchild outlives the tuner.

Not covered: a process that leaves the trial's session (``setsid``, e.g. a daemon that double
forks) before the trial ends is no longer the trial's.

Standard library only (Ray worker nodes import it); not imported by ``import synetune_sdk``.
"""

from __future__ import annotations

import atexit
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

from synetune_sdk.constants import ST_CHECKPOINT_DIR, ST_CONFIG_JSON_FNAME_ARG

TYPE_CHECKING = False  # typing costs ~10 ms to import: keep it off a Ray worker's import path
if TYPE_CHECKING:  # pragma: no cover
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


# ----------------------------------------------------------------- starting a script
def start_in_group(
    command: list[str], env: dict[str, str], stderr: IO[bytes], stdout: IO[bytes] | None = None
) -> subprocess.Popen:
    """Start ``command`` in a new session and process group, stdin closed, stdout into
    ``stdout`` (a file the caller follows) or else a pipe.

    The process gets SIGKILL when the *thread* calling this ends (Linux): call it from a
    thread that lives as long as the trial may run. Every process of its group and session is
    SIGKILLed by this process's guard when this process dies. Raises ``OSError`` when it cannot
    start.
    """
    _ensure_guard()
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=stderr,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent_preexec(),
    )
    _tell_guard(f"+{proc.pid}")
    return proc


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


# ----------------------------------------------------------------- the guard
# Runs as ``python -I -S -c _GUARD_PROGRAM <starter pid>`` (standard library only, no site: it
# starts in a few ms) with the read end of a pipe as stdin. The starter writes "+<id>" when it
# started a trial whose group and session have that id and "-<id>" once they are gone. When the
# pipe closes (the starter died, however) or the starter's pid is no longer its parent, the
# guard SIGKILLs every group and session it still knows, until none of their processes runs.
_GUARD_PROGRAM = r"""# synetune trial guard: SIGKILLs the trials of process argv[1] once it died
import os, select, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
starter = int(sys.argv[1])
ids = set()

def members(wanted):
    # (pid, group, session) of the live processes whose group or session is in wanted
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/" + name + "/stat", "rb") as f:
                stat = f.read()
            fields = stat[stat.rfind(b")") + 2 :].split()
            state, group, session = fields[0], int(fields[2]), int(fields[3])
        except (OSError, IndexError, ValueError):
            continue
        if state not in (b"Z", b"X") and (group in wanted or session in wanted):
            found.append((int(name), group, session))
    return found

def prune():
    # forget ids whose group and session are empty (their trial ended without telling us)
    empty = set()
    for i in ids:
        try:
            os.killpg(i, 0)
        except ProcessLookupError:
            empty.add(i)
        except OSError:
            pass
    if empty:
        ids.difference_update(empty - {s for _, _, s in members(empty)})

pending = b""
while True:
    ready, _, _ = select.select([0], [], [], 1.0)
    if ready:
        data = os.read(0, 65536)
        if not data:
            break
        *lines, pending = (pending + data).split(b"\n")
        for line in lines:
            if line[:1] == b"+":
                ids.add(int(line[1:]))
            elif line[:1] == b"-":
                ids.discard(int(line[1:]))
    elif os.getppid() != starter:
        break
    else:
        prune()

deadline = time.monotonic() + 10.0
while ids:
    for i in ids:
        try:
            os.killpg(i, signal.SIGKILL)
        except OSError:
            pass
    alive = members(ids)
    for pid, _, _ in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if not alive or time.monotonic() > deadline:
        break
    time.sleep(0.02)
"""

_guard_lock = threading.Lock()
_guard: subprocess.Popen | None = None
_guard_fd: int | None = None  # write end of the pipe the guard reads
_guarded: set[int] = set()  # ids the guard was told about and not yet told to forget


def _ensure_guard() -> None:
    """Start this process's guard unless it runs (it is started once, with the first trial)."""
    global _guard, _guard_fd
    if not hasattr(os, "killpg") or not sys.executable:
        return
    with _guard_lock:
        if _guard is not None and _guard.poll() is None and _guard_fd is not None:
            return
        _close_guard_fd()
        read_fd, write_fd = os.pipe()  # not inherited by trials (close-on-exec)
        try:
            _guard = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _GUARD_PROGRAM, str(os.getpid())],
                stdin=read_fd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # out of reach of signals sent to the starter's group
            )
        except OSError:
            os.close(write_fd)
            _guard = None
            return
        finally:
            os.close(read_fd)
        _guard_fd = write_fd
        # a new guard (the previous one was killed) must know the trials that still run
        _guarded.intersection_update({i for i in _guarded if group_alive(i)})
        if _guarded:
            _write_guard("".join(f"+{i}\n" for i in sorted(_guarded)))


def _tell_guard(message: str) -> None:
    """Send "+<id>" (guard it) or "-<id>" (forget it) to the guard, if there is one."""
    with _guard_lock:
        if message.startswith("+"):
            _guarded.add(int(message[1:]))
        else:
            if int(message[1:]) not in _guarded:
                return
            _guarded.discard(int(message[1:]))
        _write_guard(message + "\n")


def _write_guard(data: str) -> None:
    global _guard_fd
    if _guard_fd is None:
        return
    try:
        os.write(_guard_fd, data.encode())
    except OSError:  # the guard died: the next trial starts a new one
        _close_guard_fd()


def _close_guard_fd() -> None:
    global _guard_fd
    if _guard_fd is not None:
        try:
            os.close(_guard_fd)
        except OSError:
            pass
        _guard_fd = None


def _release(proc: subprocess.Popen) -> None:
    """The trial's processes are gone: the guard must not kill their (reusable) ids later."""
    _tell_guard(f"-{proc.pid}")


def _forget_guard_after_fork() -> None:
    """In a forked child: the guard belongs to the parent (its pipe must close when the parent
    dies), so the child drops the write end and starts a guard of its own if it starts trials."""
    global _guard, _guard_lock, _guarded
    _guard_lock = threading.Lock()  # another thread may have held it at fork time
    _guard = None
    _guarded = set()
    _close_guard_fd()


def _stop_guard_at_exit() -> None:
    """At interpreter exit the guard ends whatever trial still runs; reap it."""
    global _guard
    with _guard_lock:
        _close_guard_fd()
        guard, _guard = _guard, None
    if guard is not None:
        try:
            guard.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_guard_after_fork)
atexit.register(_stop_guard_at_exit)


# ----------------------------------------------------------------- stopping a script
def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the trial's processes: the process group led by ``proc`` and, where
    ``/proc`` tells, the processes of its session that moved to groups of their own (no error
    if they are gone already)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, sig)
        elif sig == getattr(signal, "SIGKILL", None):
            proc.kill()
        else:
            proc.terminate()
    except (ProcessLookupError, PermissionError, OSError):
        pass
    if hasattr(os, "killpg"):
        for pid, group in _members(proc.pid) or ():
            if group != proc.pid:
                try:
                    os.kill(pid, sig)
                except OSError:
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
            _release(proc)
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


def wait_exited(proc: subprocess.Popen) -> None:
    """Block until the script exited, without reaping it (where ``os.waitid`` exists).

    While it is unreaped its pid cannot be reused, so its group's id still names only the
    trial's processes: call ``kill_leftovers`` now, then ``proc.wait()``.
    """
    if proc.returncode is not None or not hasattr(os, "waitid"):
        proc.wait()
        return
    try:
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:  # reaped elsewhere already
        pass


def kill_leftovers(proc: subprocess.Popen, timeout: float = KILL_TIMEOUT) -> bool:
    """SIGKILL every process the script left behind (its group and session) once it exited.

    Waits until none runs; returns whether they are gone (False: something survived SIGKILL for
    ``timeout`` s). Nothing is signalled where ``proc`` was reaped and its group is gone.
    """
    deadline = time.monotonic() + timeout
    while True:
        if not group_alive(proc.pid):
            _release(proc)
            return True
        if time.monotonic() >= deadline:
            return False
        signal_group(proc, signal.SIGKILL)
        time.sleep(0.005)


def group_alive(pgid: int) -> bool:
    """Whether a process of group or session ``pgid`` still runs (zombies count as dead).

    ``killpg(pgid, 0)`` alone also sees zombies: a trial's grandchild whose parent died is
    re-parented to PID 1, which in a container may never reap it. On Linux ``/proc`` tells
    zombies apart, and shows the session's processes that left the group.
    """
    if not hasattr(os, "killpg"):
        return False
    members = _members(pgid)
    if members is not None:
        return bool(members)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _members(pgid: int) -> list[tuple[int, int]] | None:
    """``(pid, group)`` of the live processes of group or session ``pgid``; None without
    ``/proc``."""
    try:
        entries = os.scandir("/proc")
    except OSError:
        return None
    found = []
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            state, pgrp, session = _stat(pid)
            if state not in ("Z", "X", None) and pgid in (pgrp, session):
                found.append((pid, pgrp))
    return found


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if os.path.isdir("/proc"):
        state, _, _ = _stat(pid)
        return state not in ("Z", "X", None)
    return True


def _stat(pid: int) -> tuple[str | None, int | None, int | None]:
    """State, process group and session of ``pid`` from ``/proc`` (Nones if unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None, None, None
    # the command name in parentheses may contain spaces: split after its closing bracket
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[2]), int(fields[3])
    except (IndexError, ValueError):
        return None, None, None


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
