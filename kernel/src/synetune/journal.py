"""The run's durable record: every event goes to ``events.jsonl`` and the result table here.

Backends hand each result to ``RunRecord.result`` the moment they read it (from their reader
threads), so a result is on disk before the tuning loop even sees it; the loop later picks up
the sequence number the record gave it with ``take``. A result that cannot be recorded safely
(a value too large to be a float, a line over the size limit) is counted and logged as
malformed instead of crashing the run; a metric named like a column the tuner writes is renamed
``reported_<name>`` with a warning.

Every printed result is recorded exactly once, with the trial's run number (``st_run``: 1 for
the first start, one more at each restart or resume), so analysis can keep the last report of a
resource level; ``RepeatFilter`` lets the scheduler see each resource level of a trial that was
restarted after a crash once.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from synetune.results import MAX_EVENT_BYTES, EventLog, ResultTable
from synetune_sdk.reporter import check_result_values

logger = logging.getLogger(__name__)

RESERVED_NAMES = frozenset({"trial_id", "st_tuner_time", "st_decision", "st_status", "st_run"})


class RunRecord:
    """Appends events to the log and the table under one lock; the journal backends call."""

    def __init__(self, path: Path, clock: Any, count: int | None = None):
        self.log = EventLog(path, count=count)
        self.table = ResultTable()
        self.clock = clock
        self.seq = 0
        self.runs: dict[int, int] = {}
        self.dirty = False
        self.num_malformed = 0
        self._taken: dict[int, tuple[int, float]] = {}  # id(result) -> (seq, tuner time)
        self._renamed: set[str] = set()
        self._clean_keys: set[tuple[str, ...]] = set()  # key sets known to need no renaming

    def record(self, event: dict[str, Any]) -> bool:
        with self.log.lock:
            return self._record(event)

    def _record(self, event: dict[str, Any]) -> bool:  # with the lock held
        if not self.log.append(event, limit=MAX_EVENT_BYTES):
            return False
        self.table.add(event)
        self.dirty = True
        return True

    # ------------------------------------------------------------ the journal backends call
    def result(self, trial_id: int, result: dict[str, Any]) -> bool:
        """Record a result as soon as it was read; False if it is malformed (then dropped)."""
        problem = self._sanitize(result)
        if problem is None:
            with self.log.lock:
                seq = self.seq + 1
                elapsed = self.clock()
                event = {
                    "event": "result",
                    "seq": seq,
                    "trial_id": trial_id,
                    "run": self.runs.get(trial_id, 1),
                    "result": result,
                    "st_tuner_time": elapsed,
                }
                if self.log.append(event, limit=MAX_EVENT_BYTES):
                    self.table._add_result(event)
                    self.dirty = True
                    self.seq = seq
                    self._taken[id(result)] = (seq, elapsed)
                    return True
            problem = f"the result takes more than {MAX_EVENT_BYTES} bytes once serialised"
        self.num_malformed += 1
        logger.warning("trial %d reported a malformed result, ignored: %s", trial_id, problem)
        return False

    def dropped(self, trial_id: int, result: dict[str, Any]) -> None:
        """A recorded result the loop will not get (its run ended first): mark it dropped."""
        taken = self._taken.pop(id(result), None)
        if taken is not None:
            self.record({"event": "drop", "seq": taken[0], "trial_id": trial_id})

    # ------------------------------------------------------------ what the loop calls
    def take(self, trial_id: int, result: dict[str, Any]) -> tuple[int, float] | None:
        """``(seq, tuner time)`` of a result handed to the loop, recording it now if the
        backend did not; None if it was malformed."""
        taken = self._taken.pop(id(result), None)
        if taken is None and self.result(trial_id, result):
            taken = self._taken.pop(id(result))
        return taken

    def _sanitize(self, result: dict[str, Any]) -> str | None:
        keys = tuple(result)
        if keys not in self._clean_keys:
            self._rename_reserved(result)
            if len(self._clean_keys) < 1024:  # results of a run use a handful of key sets
                self._clean_keys.add(tuple(result))
        try:
            check_result_values(result)
        except ValueError as err:
            return str(err)
        return None

    def _rename_reserved(self, result: dict[str, Any]) -> None:
        clash = [k for k in result if k in RESERVED_NAMES or k.startswith("config_")]
        for key in clash:
            new = f"reported_{key}"
            result[new] = result.pop(key)
            if key not in self._renamed:
                self._renamed.add(key)
                logger.warning(
                    "a trial reported a metric named %r, a column synetune writes itself: it is "
                    "recorded as %r; rename the metric in the training script",
                    key,
                    new,
                )

    def close(self) -> None:
        self.log.close()


class RepeatFilter:
    """After a crash, a trial restarted from its checkpoint may report again resource levels
    the scheduler already saw (a script that checkpoints before it reports); they are recorded
    but not shown to the scheduler again. The resource is the scheduler's ``resource_attr``;
    schedulers without one see every result."""

    def __init__(self, key: str | None):
        self.key = key
        self.seen: dict[int, float] = {}  # restarted trial -> highest level the scheduler saw

    def restart(self, trial_id: int, level: float) -> None:
        if self.key is not None:
            self.seen[trial_id] = level

    def is_repeat(self, trial_id: int, result: dict[str, Any]) -> bool:
        if trial_id not in self.seen:
            return False
        level = result.get(self.key)  # type: ignore[arg-type]
        if isinstance(level, int | float) and level <= self.seen[trial_id]:
            return True
        del self.seen[trial_id]
        return False


def level_of(result: dict[str, Any], key: str | None) -> float:
    value = result.get(key) if key else None
    return float(value) if isinstance(value, int | float) else -math.inf
