"""Process-group helpers: start a trial in its own group, signal the group, tell when it is gone.

A training script may start children of its own (data loader workers, ``torchrun``, a shell
``sleep``). Each trial therefore runs in its own session and process group, and stopping a
trial signals the whole group, so nothing the trial started outlives it. On Linux each trial
also asks the kernel to SIGKILL it when the tuner dies (``PR_SET_PDEATHSIG``), so a tuner
killed with SIGKILL leaves no orphaned training runs behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
_prctl: Callable[..., int] | None = None
_prctl_loaded = False


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
    started from a thread that lives as long as the tuning loop (the tuner's own thread).
    Returns None where ``prctl`` is unavailable (not Linux).
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
