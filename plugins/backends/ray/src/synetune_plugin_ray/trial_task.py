"""What runs on a Ray worker for one run of a trial: the training script as a subprocess.

``run_trial`` is the body of a Ray *streaming generator task*. It starts the training script (or
the function runner) in its own session and process group, copies its stdout to ``std.out``,
yields every chunk of ``[tune-metric]:`` lines the moment the script prints them, and ends with
the exit code and the tail of ``std.err``. ``ray.cancel`` raises ``KeyboardInterrupt`` in it
(Ray trips Python's SIGINT flag; a wakeup fd makes the blocked ``select`` return at once); it
then SIGTERMs the script's process group, SIGKILLs it after the grace period and returns only
once the group is gone, so the driver knows the processes died when the task ends.

This module uses the standard library only and is shipped to the cluster by value, so worker
nodes need Ray (and whatever the training script imports), not synetune-plugin-ray.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

METRIC_TAG = b"[tune-metric]:"
STDERR_TAIL_LINES = 20
# how often a blocked read returns to Python to check on the script (and, where no wakeup fd
# could be set, to let ray.cancel's KeyboardInterrupt land)
POLL_INTERVAL = 0.1
# after the script exits, how long its leftover children may keep its stdout open
LEFTOVER_GRACE = 1.0
# how long to wait, beyond the grace period, for a killed process group to disappear
KILL_TIMEOUT = 10.0

# Run with ``python -c`` in function mode: argv[1] holds two pickles, the function (by value,
# written with Ray's cloudpickle) and (config, checkpoint_dir).
FUNCTION_RUNNER = """
import inspect, pickle, sys
with open(sys.argv[1], "rb") as f:
    function = pickle.load(f)
    config, checkpoint_dir = pickle.load(f)
try:
    from synetune_sdk import Reporter
except ImportError:
    sys.exit("synetune-plugin-ray function mode: install synetune-sdk on every Ray node")
parameters = inspect.signature(function).parameters
kwargs = {}
if "checkpoint_dir" in parameters or any(
    p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
):
    kwargs["checkpoint_dir"] = checkpoint_dir
function(config, Reporter(), **kwargs)
"""


def run_trial(spec: dict[str, Any], function_blob: bytes | None = None) -> Iterator[dict[str, Any]]:
    """Run one trial; yields ``started``, then ``metrics`` items, then ``exit``.

    ``spec``: ``command`` (the script's command line; ``None`` as first entry means this node's
    Python), ``env`` (extra variables), ``stdout_path``, ``stderr_path``,
    ``kill_grace_period`` and, in function mode, ``function_args`` (the pickled
    config and checkpoint folder) next to ``function_blob``.
    """
    command = list(spec["command"])
    if command[0] is None:
        command[0] = sys.executable
    env = dict(os.environ)
    env.update(spec.get("env") or {})
    # scripts that print() metric lines without flushing must still be heard at once
    env.setdefault("PYTHONUNBUFFERED", "1")
    function_file = None
    if function_blob is not None:
        fd, function_file = tempfile.mkstemp(prefix="synetune-trial-", suffix=".pkl")
        with os.fdopen(fd, "wb") as f:
            f.write(function_blob)
            f.write(spec["function_args"])
        command = [command[0], "-c", FUNCTION_RUNNER, function_file]
    for key in ("stdout_path", "stderr_path"):
        os.makedirs(os.path.dirname(spec[key]), exist_ok=True)
    std_out = open(spec["stdout_path"], "ab")  # noqa: SIM115 - closed in finally
    proc = None
    try:
        with open(spec["stderr_path"], "ab") as std_err:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=std_err,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent_preexec(),
            )
        yield {"kind": "started", "pid": proc.pid, "node": socket.gethostname()}
        yield from _follow_output(proc, std_out)
        returncode = proc.wait()
        yield {
            "kind": "exit",
            "returncode": returncode,
            "stderr_tail": _tail(spec["stderr_path"], STDERR_TAIL_LINES),
        }
    except BaseException:  # KeyboardInterrupt from ray.cancel, or an error of ours
        if proc is not None:
            _terminate_group(proc, float(spec.get("kill_grace_period", 5.0)))
        raise
    finally:
        std_out.close()
        if function_file is not None:
            try:
                os.unlink(function_file)
            except OSError:
                pass


def _follow_output(proc: subprocess.Popen, std_out: Any) -> Iterator[dict[str, Any]]:
    """Copy stdout to ``std_out``; yield metric lines as they come, until stdout closes."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    wakeup = _CancelWakeup()
    if wakeup.read_fd is not None:
        selector.register(wakeup.read_fd, selectors.EVENT_READ)
    pending = b""
    exited_at: float | None = None
    killed_at: float | None = None
    try:
        while True:
            ready = {key.fd for key, _ in selector.select(POLL_INTERVAL)}
            if wakeup.read_fd in ready:
                wakeup.drain()  # the pending KeyboardInterrupt is raised by the next bytecode
            if fd in ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                std_out.write(data)
                std_out.flush()
                *lines, pending = (pending + data).split(b"\n")
                metric_lines = [ln.decode(errors="replace") for ln in lines if METRIC_TAG in ln]
                if metric_lines:
                    yield {"kind": "metrics", "lines": metric_lines}
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and killed_at is None and now - exited_at > LEFTOVER_GRACE:
                # processes the script left behind keep its stdout open: end them
                _signal_group(proc.pid, signal.SIGKILL)
                killed_at = now
            if killed_at is not None and now - killed_at > KILL_TIMEOUT:
                break
    finally:
        selector.close()
        wakeup.close()
        proc.stdout.close()
    if METRIC_TAG in pending:
        yield {"kind": "metrics", "lines": [pending.decode(errors="replace")]}


class _CancelWakeup:
    """A pipe Python writes to when a signal is tripped (``signal.set_wakeup_fd``).

    Ray cancels a task with ``_thread.interrupt_main()``, which only sets Python's SIGINT flag:
    a thread blocked in ``select`` would notice it at the next timeout. With the wakeup fd in the
    same ``select``, the cancel lands within milliseconds (a scheduler's pause must reach the
    script before it trains on). Only possible in the main thread and when no other wakeup fd
    is set; otherwise the poll interval bounds the delay.
    """

    def __init__(self) -> None:
        self.read_fd: int | None = None
        self._write_fd: int | None = None
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        try:
            previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        except ValueError:  # not the main thread
            previous = None
        if previous != -1:
            if previous is not None:
                signal.set_wakeup_fd(previous)
            os.close(read_fd)
            os.close(write_fd)
            return
        self.read_fd, self._write_fd = read_fd, write_fd

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 512):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        if self.read_fd is None:
            return
        try:
            signal.set_wakeup_fd(-1)
        finally:
            os.close(self.read_fd)
            os.close(self._write_fd)
            self.read_fd = self._write_fd = None


def _terminate_group(proc: subprocess.Popen, grace_period: float) -> None:
    """SIGTERM the script's process group, SIGKILL it after ``grace_period``; wait until gone."""
    _signal_group(proc.pid, signal.SIGTERM)
    if not _wait_gone(proc, grace_period):
        _signal_group(proc.pid, signal.SIGKILL)
        _wait_gone(proc, KILL_TIMEOUT)


def _wait_gone(proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        proc.poll()  # reaps the script itself
        if proc.returncode is not None and not group_alive(proc.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies count as dead, via /proc)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not os.path.isdir("/proc"):
        return True
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            state, group = _state_and_group(int(entry.name))
            if group == pgid and state not in ("Z", "X", None):
                return True
    return False


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


def _die_with_parent_preexec() -> Callable[[], None] | None:
    """SIGKILL the script when the Ray worker that started it dies (Linux ``PR_SET_PDEATHSIG``).

    Covers a worker killed by ``ray.cancel(force=True)`` or a node failure; children the script
    started are not covered (the graceful path kills the whole group).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        prctl.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the worker died before the death signal was armed
            os._exit(1)

    return preexec


def _tail(path: str, num_lines: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            data = f.read()
    except OSError:
        return ""
    return "\n".join(data.decode(errors="replace").splitlines()[-num_lines:])
