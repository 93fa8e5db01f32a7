"""What runs on a Ray worker for one run of a trial: the training script as a subprocess.

``run_trial`` is the body of a Ray *streaming generator task*. It starts the training script (or
the function runner) in its own session and process group, copies its stdout to ``std.out``,
yields every chunk of ``[tune-metric]:`` lines the moment the script prints them, and ends with
the exit code and the tail of ``std.err``. ``ray.cancel`` raises ``KeyboardInterrupt`` in it
(Ray trips Python's SIGINT flag; a wakeup fd makes the blocked ``select`` return at once); it
then SIGTERMs the script's process group, SIGKILLs it after the grace period and returns only
once the group is gone, so the driver knows the processes died when the task ends.

This module is shipped to the cluster by value, so worker nodes need no synetune-plugin-ray. It
uses the standard library and ``synetune_sdk.processes`` (the process-group code it shares with
the local backend, standard library only), imported on the node: nodes need synetune-sdk.
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
from collections.abc import Iterator
from typing import Any

from synetune_sdk.constants import METRIC_LINE_PREFIX
from synetune_sdk.processes import (
    KILL_TIMEOUT,
    LEFTOVER_GRACE,
    script_environment,
    signal_group,
    start_in_group,
    tail,
    terminate_group,
)

METRIC_TAG = METRIC_LINE_PREFIX.strip().encode()
# how often a blocked read returns to Python to check on the script (and, where no wakeup fd
# could be set, to let ray.cancel's KeyboardInterrupt land)
POLL_INTERVAL = 0.1

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
    env = script_environment(spec.get("env"))
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
            # PR_SET_PDEATHSIG: the script dies with this worker (ray.cancel(force=True) or a
            # lost node); children the script started are not covered by that last resort
            proc = start_in_group(command, env, std_err)
        yield {"kind": "started", "pid": proc.pid, "node": socket.gethostname()}
        yield from _follow_output(proc, std_out)
        returncode = proc.wait()
        yield {
            "kind": "exit",
            "returncode": returncode,
            "stderr_tail": tail(spec["stderr_path"]),
        }
    except BaseException:  # KeyboardInterrupt from ray.cancel, or an error of ours
        if proc is not None:
            terminate_group(proc, float(spec.get("kill_grace_period", 5.0)))
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
                signal_group(proc, signal.SIGKILL)
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
