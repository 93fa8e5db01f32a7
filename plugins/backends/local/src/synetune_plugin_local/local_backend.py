"""LocalBackend: runs each trial of a training script as a subprocess on this machine.

Syne Tune's ``LocalBackend`` with its command line, folders and semantics, but event driven:
the script writes straight into ``std.out``, and a reader thread per trial follows the file and
forwards each ``[tune-metric]:`` line to the tuner within milliseconds of the print (Syne Tune
re-reads ``std.out`` on every poll). Because nothing sits in a pipe, a result the script printed
is on disk even if the tuner is killed before reading it: ``recover_results`` reads it back
after a crash (``std.out.runs`` holds where each run of the trial starts in ``std.out``). Trials run in their own
process group, so stopping or pausing a trial (SIGTERM, then SIGKILL after
``kill_grace_period``) also ends the processes the script started.

Per trial, under ``<path>/<trial_id>/``: ``config.json``, ``std.out`` and ``std.err`` (appended
across resumes) and ``checkpoints/`` (passed as ``--st_checkpoint_dir``).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synetune_plugin_local.file_watch import FileWatch
from synetune_sdk.backend import TrialBackend, note_run_start, printed_results
from synetune_sdk.constants import METRIC_LINE_PREFIX
from synetune_sdk.jsonutil import json_default_or_str
from synetune_sdk.processes import (
    KILL_TIMEOUT,
    failure_message,
    kill_group_after_grace,
    kill_leftovers,
    script_arguments,
    script_environment,
    signal_group,
    start_in_group,
    tail,
    wait_exited,
)
from synetune_sdk.reporter import parse_metric_line
from synetune_sdk.trial import TrialStatus

logger = logging.getLogger(__name__)

_METRIC_TAG = METRIC_LINE_PREFIX.strip().encode()


@dataclass(eq=False)
class TrialProcess:
    """One run of a trial: its subprocess and the threads that follow it."""

    trial_id: int
    run: int
    command: list[str]
    proc: subprocess.Popen
    start: int  # offset in std.out where this run's output begins
    gpus: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None
    waiter: threading.Thread | None = None
    killer: threading.Thread | None = None
    done: threading.Event = field(default_factory=threading.Event)
    exited: threading.Event = field(default_factory=threading.Event)  # nothing more to read
    watch: FileWatch | None = None

    def wait_until_gone(self, timeout: float) -> None:
        """Block until the process group was killed (if it is being killed) and reaped."""
        deadline = time.monotonic() + timeout
        if self.killer is not None:
            self.killer.join(max(0.0, deadline - time.monotonic()))
        self.done.wait(max(0.0, deadline - time.monotonic()))


class LocalBackend(TrialBackend):
    """Run ``python <entry_point> --<name> <value> ... --st_checkpoint_dir <folder>`` per trial.

    Args:
        entry_point: the training script.
        rotate_gpus: give each trial its own GPU(s) through ``CUDA_VISIBLE_DEVICES`` (least
            busy first); False leaves every GPU visible to every trial.
        num_gpus_per_trial: GPUs per trial when rotating.
        delete_checkpoints: remove a trial's checkpoint folder once it completed, failed or was
            stopped (never when paused: it is resumed from there).
        pass_args_as_json: pass the config as one JSON file (``--st_config_json_filename``)
            instead of ``--<name> <value>`` arguments.
        python: the interpreter that runs the script.
        env: extra environment variables for the trials (on top of this process's).
        kill_grace_period: seconds between SIGTERM and SIGKILL when stopping or pausing.
        gpus: the devices to rotate over (ids as ``CUDA_VISIBLE_DEVICES`` takes them). Default:
            the ``CUDA_VISIBLE_DEVICES`` already set in the environment if any, else the GPUs
            ``nvidia-smi`` lists, else none.
    """

    def __init__(
        self,
        entry_point: str,
        rotate_gpus: bool = True,
        num_gpus_per_trial: int = 1,
        delete_checkpoints: bool = False,
        pass_args_as_json: bool = False,
        python: str = sys.executable,
        env: dict[str, str] | None = None,
        kill_grace_period: float = 5.0,
        gpus: list[str] | None = None,
    ):
        super().__init__(delete_checkpoints=delete_checkpoints)
        path = Path(entry_point)
        if not path.is_file():
            raise FileNotFoundError(
                f"entry_point {str(entry_point)!r} is not a file (looked in {path.resolve()}): "
                "pass the path of the training script, absolute or relative to the current folder"
            )
        if int(num_gpus_per_trial) < 1:
            raise ValueError(f"num_gpus_per_trial must be at least 1, got {num_gpus_per_trial}")
        if kill_grace_period < 0:
            raise ValueError(f"kill_grace_period must be >= 0 seconds, got {kill_grace_period}")
        self.entry_point = str(path.resolve())
        self.rotate_gpus = rotate_gpus
        self.num_gpus_per_trial = int(num_gpus_per_trial)
        self.pass_args_as_json = pass_args_as_json
        self.python = python
        self.env = dict(env or {})
        self.kill_grace_period = float(kill_grace_period)
        self.gpus = None if gpus is None else [str(g) for g in gpus]
        self.num_malformed_lines = 0
        self._init_processes()

    def _init_processes(self) -> None:
        self._processes: dict[int, TrialProcess] = {}
        self._proc_lock = threading.Lock()
        self._devices: list[str] | None = None
        self._device_uses: dict[str, int] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for key in ("_processes", "_proc_lock", "_devices", "_device_uses"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._init_processes()

    def entrypoint_path(self) -> Path:
        return Path(self.entry_point)

    # ----------------------------------------------------------------- starting a run
    def command(self, trial_id: int, config: dict[str, Any]) -> list[str]:
        """The command line of a trial (without the interpreter's environment)."""
        config_json = self.trial_path(trial_id) / "config.json" if self.pass_args_as_json else None
        return [
            *self._program(),
            *script_arguments(config, self.checkpoint_path(trial_id), config_json),
        ]

    def _program(self) -> list[str]:
        return [self.python, self.entry_point]

    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        run = self.current_run(trial_id)
        previous = self._processes.get(trial_id)
        if previous is not None:
            # a resumed trial must not run next to its own previous run (same checkpoints)
            previous.wait_until_gone(self.kill_grace_period + KILL_TIMEOUT)
        trial_path = self.trial_path(trial_id)
        self.checkpoint_path(trial_id).mkdir(parents=True, exist_ok=True)
        (trial_path / "config.json").write_text(
            json.dumps(config, default=json_default_or_str, indent=2)
        )
        command = self.command(trial_id, config)
        env = script_environment(self.env)
        gpus = self._assign_gpus()
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
        out_path = trial_path / "std.out"
        try:
            with open(out_path, "ab") as std_out, open(trial_path / "std.err", "ab") as std_err:
                start = std_out.seek(0, os.SEEK_END)
                note_run_start(trial_path, start)
                proc = start_in_group(command, env, std_err, stdout=std_out)
        except OSError as err:
            error = (
                f"trial {trial_id} could not be started: {type(err).__name__}: {err}\n"
                f"command: {shlex.join(command)}\n(check the python={self.python!r} argument)"
            )
            logger.error(error)
            self._finish(trial_id, run, TrialStatus.FAILED, error)
            return
        process = TrialProcess(trial_id, run, command, proc, start, gpus)
        process.watch = FileWatch(out_path)
        process.reader = threading.Thread(
            target=self._read_output, args=(process,), name=f"trial-{trial_id}-stdout", daemon=True
        )
        process.waiter = threading.Thread(
            target=self._wait_for_exit,
            args=(process,),
            name=f"trial-{trial_id}-waiter",
            daemon=True,
        )
        with self._proc_lock:
            self._processes[trial_id] = process
        process.reader.start()
        process.waiter.start()

    # ----------------------------------------------------------------- following a run
    def _read_output(self, process: TrialProcess) -> None:
        """Follow std.out from where this run started and report metric lines as they are
        printed (woken by the file growing, see ``FileWatch``), then read to the end once the
        script exited."""
        pending = b""
        watch = process.watch
        try:
            with open(self.trial_path(process.trial_id) / "std.out", "rb") as f:
                f.seek(process.start)
                while True:
                    last = process.exited.is_set()
                    chunk = f.read(1 << 16)
                    if chunk:
                        *lines, pending = (pending + chunk).split(b"\n")
                        for raw in lines:
                            if _METRIC_TAG in raw:
                                self._handle_metric_line(process, raw.decode(errors="replace"))
                        watch.active()
                        continue
                    if last:
                        break
                    watch.wait(1.0)
        except OSError as err:
            logger.warning("trial %d: stopped reading its output: %s", process.trial_id, err)
        finally:
            watch.close()
        if _METRIC_TAG in pending:  # a last line printed without a newline
            self._handle_metric_line(process, pending.decode(errors="replace"))

    def recover_results(self, trial_id: int) -> tuple[int, list[dict[str, Any]]] | None:
        return printed_results(self.trial_path(trial_id))

    def _handle_metric_line(self, process: TrialProcess, line: str) -> None:
        try:
            result = parse_metric_line(line)
        except ValueError as err:
            with self._proc_lock:
                self.num_malformed_lines += 1
            logger.warning("trial %d printed a malformed metric line: %s", process.trial_id, err)
            return
        if result is not None:
            self._report(process.trial_id, process.run, result)

    def _wait_for_exit(self, process: TrialProcess) -> None:
        """Once the script exited: end what it left behind, finish reading its output, then
        report how it ended."""
        wait_exited(process.proc)
        # while a stop is under way the killer owns the trial's processes (they get the grace
        # period); otherwise whatever the script left behind is killed now, while its unreaped
        # pid still reserves the group's id, and is gone before the trial counts as ended
        stopping = process.killer is not None
        if not stopping and not kill_leftovers(process.proc):
            logger.warning("trial %d: processes it left behind survived SIGKILL", process.trial_id)
        returncode = process.proc.wait()
        process.exited.set()
        process.watch.wake()
        assert process.reader is not None
        process.reader.join(KILL_TIMEOUT)
        process.done.set()  # frees its GPUs for the next trial
        if returncode == 0:
            self._finish(process.trial_id, process.run, TrialStatus.COMPLETED)
        else:
            self._finish(process.trial_id, process.run, TrialStatus.FAILED, self._failure(process))
        ended = self.status.get(process.trial_id) in (TrialStatus.COMPLETED, TrialStatus.FAILED)
        if self.delete_checkpoints and ended and self.current_run(process.trial_id) == process.run:
            self.delete_checkpoint(process.trial_id)

    def _failure(self, process: TrialProcess) -> str:
        stderr_tail = tail(self.trial_path(process.trial_id) / "std.err")
        return failure_message(
            process.trial_id, process.proc.returncode, process.command, stderr_tail
        )

    # ----------------------------------------------------------------- stopping a run
    def _stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._terminate(trial_id, delete_checkpoint=self.delete_checkpoints)

    def _pause_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._terminate(trial_id, delete_checkpoint=False)

    def _terminate(self, trial_id: int, delete_checkpoint: bool) -> None:
        """SIGTERM the trial's process group now; SIGKILL it later in the background."""
        process = self._processes.get(trial_id)
        if process is not None and process.killer is None and not process.done.is_set():
            signal_group(process.proc, signal.SIGTERM)
            process.killer = threading.Thread(
                target=self._kill_after_grace,
                args=(process,),
                name=f"trial-{trial_id}-killer",
                daemon=True,
            )
            process.killer.start()
        if not delete_checkpoint:
            return
        if process is None or (process.killer is None and process.done.is_set()):
            self.delete_checkpoint(trial_id)
        else:
            threading.Thread(
                target=self._delete_checkpoint_when_gone,
                args=(process,),
                name=f"trial-{trial_id}-cleanup",
                daemon=True,
            ).start()

    def _kill_after_grace(self, process: TrialProcess) -> None:
        def before_kill() -> None:
            logger.info(
                "trial %d still runs %.1f s after SIGTERM: sending SIGKILL",
                process.trial_id,
                self.kill_grace_period,
            )

        gone = kill_group_after_grace(
            process.proc, self.kill_grace_period, exited=process.done, before_kill=before_kill
        )
        if not gone:
            logger.warning("trial %d: processes of its group survived SIGKILL", process.trial_id)

    def _delete_checkpoint_when_gone(self, process: TrialProcess) -> None:
        process.wait_until_gone(self.kill_grace_period + 2 * KILL_TIMEOUT)
        self.delete_checkpoint(process.trial_id)

    def copy_checkpoint(self, src_trial_id: int, tgt_trial_id: int) -> None:
        """Copy once the source trial's processes are gone, so its checkpoint is complete."""
        source = self._processes.get(src_trial_id)
        if source is not None and source.killer is not None:
            source.wait_until_gone(self.kill_grace_period + KILL_TIMEOUT)
        super().copy_checkpoint(src_trial_id, tgt_trial_id)

    def close(self) -> None:
        """Stop every trial still running and wait until their processes are gone."""
        self.stop_all()
        for trial_id, process in list(self._processes.items()):
            if not process.done.is_set() and process.killer is None:
                self._terminate(trial_id, delete_checkpoint=False)
        for process in list(self._processes.values()):
            process.wait_until_gone(self.kill_grace_period + KILL_TIMEOUT)

    # ----------------------------------------------------------------- GPUs
    def devices(self) -> list[str]:
        """The GPUs trials are rotated over (see the ``gpus`` argument)."""
        if self._devices is None:
            visible = self.env.get("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES"))
            if self.gpus is not None:
                self._devices = list(self.gpus)
            elif visible is not None:
                self._devices = [
                    d.strip() for d in visible.split(",") if d.strip() not in ("", "-1")
                ]
            else:
                self._devices = _detect_gpus()
            self._device_uses = {d: 0 for d in self._devices}
        return self._devices

    def _assign_gpus(self) -> list[str]:
        if not self.rotate_gpus:
            return []
        devices = self.devices()
        if not devices:
            return []
        with self._proc_lock:
            busy = {d: 0 for d in devices}
            for process in self._processes.values():
                if not process.done.is_set():
                    for d in process.gpus:
                        if d in busy:
                            busy[d] += 1
            # least busy now, then least used so far (rotates over idle GPUs), then in order
            order = sorted(
                range(len(devices)),
                key=lambda i: (busy[devices[i]], self._device_uses[devices[i]], i),
            )
            chosen = sorted(order[: self.num_gpus_per_trial])
            gpus = [devices[i] for i in chosen]
            for d in gpus:
                self._device_uses[d] += 1
        if self.num_gpus_per_trial > len(devices):
            logger.warning(
                "num_gpus_per_trial=%d but only %d GPUs are available: the trial gets all of them",
                self.num_gpus_per_trial,
                len(devices),
            )
        return gpus


def _detect_gpus() -> list[str]:
    """GPU indices listed by ``nvidia-smi``; none when it is missing or fails."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--list-gpus"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as err:
        logger.warning("nvidia-smi failed (%s): trials run without GPU rotation", err)
        return []
    return [str(i) for i, line in enumerate(ln for ln in out.splitlines() if ln.startswith("GPU "))]
