"""The trial-backend contract: runs trials somewhere and reports their results and status.

``TrialBackend`` keeps the bookkeeping every backend needs (trial table, statuses, which run of
a trial a result belongs to, dropping late results, waking the tuner) so that a concrete
backend only implements how to start, stop and pause a trial's work:

* ``_schedule(trial_id, config)``: start the work of the trial (also used to resume it, unless
  ``_resume_trial`` is overridden);
* ``_stop_trial(trial_id)``: terminate it (``_pause_trial`` defaults to the same);
* report back from any thread with ``_report(trial_id, run, result)`` and
  ``_finish(trial_id, run, status, error)``, where ``run = self.current_run(trial_id)`` was read
  when the work was started. A result or end of an outdated run (the trial was stopped, paused
  or restarted since) is dropped and counted in ``num_dropped_results``.

A result is handed to the tuner's journal (``set_journal``) the moment the backend reads it,
from whatever thread reads it, so a result survives a crash of the tuner even if the tuning
loop had not got to it yet.

``wait(timeout)`` returns as soon as something was reported, so the tuner reacts to a result in
milliseconds instead of sleeping a fixed interval. ``time()`` is the clock the tuner runs on.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from synetune_sdk.trial import Trial, TrialStatus

#: in a trial's folder, where each run of the trial begins in ``std.out`` (a byte offset a line)
RUNS_FILENAME = "std.out.runs"


def note_run_start(trial_path: Path, start: int) -> None:
    """For a backend whose trials print into ``<trial_path>/std.out`` (appended across runs):
    note that a run's output begins at byte ``start``, so that ``printed_results`` can tell
    the last run's output from the earlier ones'."""
    with open(Path(trial_path) / RUNS_FILENAME, "a") as runs:
        runs.write(f"{start}\n")


def printed_results(trial_path: Path) -> tuple[int, list[dict[str, Any]]] | None:
    """``recover_results`` of such a backend: the number of runs noted and every result the
    last one printed, read back from ``std.out`` (lines that do not parse are left out, as when
    reading live); None without a note or an output."""
    from synetune_sdk.constants import METRIC_LINE_PREFIX
    from synetune_sdk.reporter import parse_metric_line

    tag = METRIC_LINE_PREFIX.strip().encode()
    try:
        starts = (Path(trial_path) / RUNS_FILENAME).read_text().split()
        with open(Path(trial_path) / "std.out", "rb") as f:
            f.seek(int(starts[-1]))
            data = f.read()
    except (OSError, ValueError, IndexError):
        return None
    results = []
    for raw in data.split(b"\n"):
        if tag in raw:
            try:
                result = parse_metric_line(raw.decode(errors="replace"))
            except ValueError:
                continue
            if result is not None:
                results.append(result)
    return len(starts), results


class TrialBackend:
    #: True when ``time()`` is a simulated clock (the simulator) rather than wall time: the
    #: tuner then prints no line per finished trial (in "normal" verbosity) and says
    #: "simulated time" in its status lines.
    simulated: bool = False

    def __init__(self, delete_checkpoints: bool = False):
        self.delete_checkpoints = delete_checkpoints
        self.path: Path | None = None
        self.trials: dict[int, Trial] = {}
        self.status: dict[int, str] = {}
        self.errors: dict[int, str] = {}
        self.num_results: dict[int, int] = {}
        self.num_dropped_results = 0
        self._runs: dict[int, int] = {}
        self._next_trial_id = 0
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._journal: Any = None
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._events: deque[tuple[int, int, str, Any]] = deque()  # trial, run, kind, payload

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in ("_lock", "_wakeup", "_events", "_journal"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    # ----------------------------------------------------------------- what the tuner calls
    def set_path(self, path: str | Path) -> None:
        """Folder under which each trial gets ``<trial_id>/`` (logs, config, checkpoints)."""
        self.path = Path(path)

    def set_journal(self, journal: Any) -> None:
        """The tuner's durable record: ``journal.result(trial_id, result) -> bool`` is called
        for every accepted result as soon as it is read (False: the result is malformed and
        dropped), ``journal.dropped(trial_id, result)`` for a recorded result that the tuner
        will not get because its run ended first."""
        self._journal = journal

    def batch_results(
        self, may_decide: Callable[[int, dict[str, Any]], bool] | None, horizon: float
    ) -> None:
        """Let one fetch hand over results up to the next one for which ``may_decide`` is true,
        a trial's end, or the first at or past ``horizon`` on ``time()``'s clock (the stop
        criterion's time limit); None: one moment's results per fetch. Only a simulated
        backend, whose results wait for no one, can batch; others ignore this."""

    def recover_results(self, trial_id: int) -> tuple[int, list[dict[str, Any]]] | None:
        """``(runs, results)``: how many runs of ``trial_id`` the backend started and every
        result its last run printed, in order, read back from where the backend keeps the
        trial's output (None: this backend cannot tell). The tuner calls it after a crash, to
        record results that were printed but never reached it."""
        return None

    def trial_path(self, trial_id: int) -> Path:
        if self.path is None:
            raise RuntimeError("set_path() must be called before trials run")
        return self.path / str(trial_id)

    def checkpoint_path(self, trial_id: int) -> Path:
        return self.trial_path(trial_id) / "checkpoints"

    def entrypoint_path(self) -> Path | None:
        """The training script, if any (the tuner names experiments after it)."""
        return None

    def time(self) -> float:
        """Seconds on the clock the tuner runs on (wall clock; simulated time for simulators)."""
        return time.time()

    def new_trial_id(self) -> int:
        return self._next_trial_id

    def start_trial(self, config: dict[str, Any], checkpoint_trial_id: int | None = None) -> Trial:
        trial_id = self._next_trial_id
        self._next_trial_id += 1
        trial = Trial(trial_id=trial_id, config=dict(config), creation_time=datetime.now())
        self.trials[trial_id] = trial
        self.num_results[trial_id] = 0
        if checkpoint_trial_id is not None:
            self.copy_checkpoint(checkpoint_trial_id, trial_id)
        self._begin_run(trial_id)
        self._schedule(trial_id, trial.config)
        return trial

    def pause_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._end_run(trial_id, TrialStatus.PAUSED)
        self._pause_trial(trial_id, result)

    def stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._end_run(trial_id, TrialStatus.STOPPED)
        self._stop_trial(trial_id, result)

    def resume_trial(self, trial_id: int, new_config: dict[str, Any] | None = None) -> Trial:
        trial = self.trials[trial_id]
        if self.status.get(trial_id) != TrialStatus.PAUSED:
            raise ValueError(
                f"trial {trial_id} cannot be resumed: its status is {self.status.get(trial_id)}, "
                "only paused trials can be resumed"
            )
        if new_config is not None:
            trial.config = dict(new_config)
        self._begin_run(trial_id)
        self._resume_trial(trial_id)
        return trial

    def stop_all(self) -> None:
        for trial_id, status in list(self.status.items()):
            if status == TrialStatus.IN_PROGRESS:
                self.stop_trial(trial_id)

    def busy_trial_ids(self) -> list[tuple[int, str]]:
        return [
            (t, s)
            for t, s in self.status.items()
            if s in (TrialStatus.IN_PROGRESS, TrialStatus.STOPPING)
        ]

    def fetch_status_results(
        self, trial_ids: list[int]
    ) -> tuple[dict[int, tuple[Trial, str]], list[tuple[int, dict[str, Any]]]]:
        """Statuses of ``trial_ids`` and every result reported since the last call, in order."""
        wanted = set(trial_ids)
        results: list[tuple[int, dict[str, Any]]] = []
        with self._lock:
            events = list(self._events)
            self._events.clear()
            for trial_id, run, kind, payload in events:
                if kind != "result" or trial_id not in wanted:
                    continue
                if run != self._runs.get(trial_id):
                    # reported by a run that was paused or stopped before this fetch
                    self.num_dropped_results += 1
                    if self._journal is not None:
                        self._journal.dropped(trial_id, payload)
                    continue
                results.append((trial_id, payload))
            statuses = {t: (self.trials[t], self.status[t]) for t in trial_ids if t in self.trials}
        return statuses, results

    def wait(self, timeout: float) -> bool:
        """Block until a result or status change arrives, at most ``timeout`` seconds."""
        if self._events:
            return True
        fired = self._wakeup.wait(timeout)
        self._wakeup.clear()
        return fired

    def copy_checkpoint(self, src_trial_id: int, tgt_trial_id: int) -> None:
        src, tgt = self.checkpoint_path(src_trial_id), self.checkpoint_path(tgt_trial_id)
        if tgt.exists():
            shutil.rmtree(tgt)
        if src.exists():
            shutil.copytree(src, tgt)

    def delete_checkpoint(self, trial_id: int) -> None:
        shutil.rmtree(self.checkpoint_path(trial_id), ignore_errors=True)

    def stdout(self, trial_id: int) -> list[str]:
        return self._read_lines(self.trial_path(trial_id) / "std.out")

    def stderr(self, trial_id: int) -> list[str]:
        return self._read_lines(self.trial_path(trial_id) / "std.err")

    def restore(self, trials: dict[int, Trial], status: dict[int, str]) -> None:
        """Reset the trial table (the tuner calls this when resuming an interrupted run)."""
        self.trials = dict(trials)
        self.status = dict(status)
        self.num_results = {t: self.num_results.get(t, 0) for t in trials}
        self._next_trial_id = max(trials, default=-1) + 1

    def close(self) -> None:
        """Release resources held by the backend (threads, connections)."""

    # ----------------------------------------------------------------- what backends implement
    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        raise NotImplementedError

    def _stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        raise NotImplementedError

    def _pause_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._stop_trial(trial_id, result)

    def _resume_trial(self, trial_id: int) -> None:
        self._schedule(trial_id, self.trials[trial_id].config)

    # ----------------------------------------------------------------- reporting (thread safe)
    def current_run(self, trial_id: int) -> int:
        return self._runs.get(trial_id, 0)

    def _report(self, trial_id: int, run: int, result: dict[str, Any]) -> bool:
        """Hand over a result of ``run`` of the trial; False if it was dropped as outdated."""
        with self._lock:
            if (
                run != self._runs.get(trial_id)
                or self.status.get(trial_id) != TrialStatus.IN_PROGRESS
            ):
                self.num_dropped_results += 1
                return False
            if self._journal is not None and not self._journal.result(trial_id, result):
                return False
            self.num_results[trial_id] = self.num_results.get(trial_id, 0) + 1
            self._events.append((trial_id, run, "result", result))
        if not self._wakeup.is_set():
            self._wakeup.set()
        return True

    def _finish(self, trial_id: int, run: int, status: str, error: str | None = None) -> None:
        """The work of ``run`` ended by itself with ``status`` (COMPLETED or FAILED)."""
        with self._lock:
            if (
                run != self._runs.get(trial_id)
                or self.status.get(trial_id) != TrialStatus.IN_PROGRESS
            ):
                return
            if status == TrialStatus.COMPLETED and self.num_results.get(trial_id, 0) == 0:
                status = TrialStatus.FAILED
                error = (error or "") + f"trial {trial_id} completed and no metrics got observed"
            self.status[trial_id] = status
            if error:
                self.errors[trial_id] = error
            self._events.append((trial_id, run, "status", status))
        self._wakeup.set()

    def _begin_run(self, trial_id: int) -> None:
        with self._lock:
            self._runs[trial_id] = self._runs.get(trial_id, 0) + 1
            self.status[trial_id] = TrialStatus.IN_PROGRESS
            self.errors.pop(trial_id, None)

    def _end_run(self, trial_id: int, status: str) -> None:
        with self._lock:
            self._runs[trial_id] = self._runs.get(trial_id, 0) + 1
            self.status[trial_id] = status

    @staticmethod
    def _read_lines(path: Path) -> list[str]:
        try:
            return path.read_text(errors="replace").splitlines(keepends=True)
        except FileNotFoundError:
            return []
