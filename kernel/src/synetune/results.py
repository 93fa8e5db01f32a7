"""The on-disk record of a run: a durable event log, ``results.csv.zip`` and ``metadata.json``."""

# Every event of the run (trial started, result reported, decision, status change) is appended
# to ``events.jsonl`` and flushed before anyone acts on it; results are appended by the backend's
# reader the moment they are read, so a tuner killed at any moment loses no reported result.
# Reading the log never aborts on damage: a torn last line, NUL bytes, a line that is not a JSON
# object or an event without the fields it needs is skipped with a warning that names the file
# and the line. ``results.csv.zip`` (one row per result, Syne Tune's layout) is derived from the
# log, rewritten atomically and written with the standard library so that the loop never pays for
# pandas. ``FolderLock`` keeps two tuners out of one experiment folder.

from __future__ import annotations

import array
import bisect
import csv
import io
import json
import logging
import os
import re
import shutil
import sys
import threading
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from synetune_sdk.constants import DEFAULT_FOLDER, ENV_FOLDER, MAX_METRIC_LINE_BYTES
from synetune_sdk.jsonutil import json_default_or_str

logger = logging.getLogger(__name__)

NAN = float("nan")

EVENTS_FILENAME = "events.jsonl"
RESULTS_FILENAME = "results.csv.zip"
METADATA_FILENAME = "metadata.json"
TUNER_FILENAME = "tuner.dill"
LOCK_FILENAME = ".synetune.lock"

# a result event holds the reported line plus a few fields; anything far above is not a result
MAX_EVENT_BYTES = 2 * MAX_METRIC_LINE_BYTES + 4096
# what each kind of event must carry to be usable
_REQUIRED = {
    "trial": ("trial_id", "config"),
    "config": ("trial_id", "config"),
    "result": ("trial_id", "seq", "result", "st_tuner_time"),
    "status": ("trial_id", "status"),
    "decision": ("seq", "decision"),
    "extra": ("seq", "values"),
    "drop": ("seq",),
}
# the type of each field where present: a line damaged into another type (a digit inserted into
# "seq": 1 makes 1.5) would crash whoever uses the event, so it is skipped like any damage
_TYPES: dict[str, Any] = dict(trial_id=int, seq=int, config=dict, result=dict, values=dict)
_TYPES.update(status=str, decision=str, st_tuner_time=(int, float))


def experiment_root() -> Path:
    """``$SYNETUNE_FOLDER`` (``~`` expanded) or ``~/syne-tune``: where experiments are stored."""
    return Path(os.environ.get(ENV_FOLDER) or Path.home() / DEFAULT_FOLDER).expanduser()


def experiment_path(tuner_name: str, root: str | Path | None = None) -> Path:
    return Path(root if root is not None else experiment_root()) / tuner_name


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class EventLog:
    """Append-only JSON-lines log; writers in several threads hold ``lock`` around ``append``."""

    # (the tuner's ``RunRecord`` does). ``append`` returns once the line reached the OS (a killed
    # process loses nothing); ``fsync_interval`` bounds how often the file is also forced to disk
    # (power-loss safety costs milliseconds per call).

    #: write lines through Python's buffer, flushed by ``sync`` (the tuner sets it for simulated
    #: backends: their results are recomputed, so a log cut short is a run killed earlier) and
    #: at least every ``fsync_interval`` seconds
    buffered = False

    def __init__(self, path: Path, fsync_interval: float = 1.0, count: int | None = None):
        self.path = Path(path)
        self.fsync_interval = fsync_interval
        self.lock = threading.Lock()
        self._file: io.TextIOWrapper | None = None
        self._last_fsync = 0.0
        if count is None:
            count = len(read_events(self.path)) if self.path.exists() else 0
        self.count = count

    def append(self, event: dict[str, Any], limit: int | None = None) -> bool:
        """Append ``event``; False (nothing written) if its line would exceed ``limit`` bytes."""
        try:
            line = "".join(_encode(event, 0))  # json.dumps without its per-call set-up
        except (TypeError, ValueError):
            line = json.dumps(event, default=json_default_or_str)
        if limit is not None and len(line) > limit:
            return False
        if self._file is None:
            self._repair_torn_tail()
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._file.write(line + "\n")
        self.count += 1
        if not self.buffered:  # (a buffered log is handed to the OS by ``sync``)
            self._file.flush()
        now = time.monotonic()  # a buffered log too, so live readers (the dashboard) keep up
        if now - self._last_fsync > self.fsync_interval:
            self.sync(now)
        return True

    def sync(self, now: float | None = None) -> None:
        """Hand every appended line to the OS and force it to disk (with the lock held)."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
        self._last_fsync = time.monotonic() if now is None else now

    def _repair_torn_tail(self) -> None:
        # a line cut short by a crash would glue onto the next append: cut it off first
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            end = f.seek(0, os.SEEK_END)
            position = end
            while position > 0:
                step = min(65536, position)
                f.seek(position - step)
                chunk = f.read(step)
                if position == end and chunk.endswith(b"\n"):
                    return
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    f.truncate(position - step + newline + 1)
                    return
                position -= step
            f.truncate(0)

    def close(self) -> None:
        with self.lock:
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                self._file = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_file"] = None
        state.pop("lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.Lock()


def read_events(path: str | Path, warn: bool = True) -> list[dict[str, Any]]:
    """Every usable event of a log, in order. Damaged lines are skipped; with ``warn``, each
    is logged with the file and line number and what to do about it."""
    events: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        f = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return events
    with f:
        data = f.read()
    lines = data.split(b"\n")
    last = len(lines) - 1  # after the final newline: empty, or a line torn by a crash
    seen_trials: set[Any] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip(b"\0 \t\r"):
            continue
        if number - 1 == last:
            problems.append(f"line {number}: cut short by a crash (ignored)")
            break
        pieces = [raw]
        if b"\0" in raw:
            # NULs never occur in JSON text: the bytes around them are not one line. Only the
            # text before the first NUL (a whole line if it parses) and after the last (a line
            # whose start survived a zeroed block) can be events; joining them could forge one.
            problems.append(f"line {number}: NUL bytes skipped (a crash left a damaged block)")
            pieces = [p for p in (raw.split(b"\0", 1)[0], raw.rsplit(b"\0", 1)[1]) if p.strip()]
        for piece in pieces:
            event = _parse_event(piece, number, problems)
            if event is None:
                continue
            kind = event.get("event")
            if kind in ("trial",):
                seen_trials.add(event["trial_id"])
            elif kind in ("result", "config") and event["trial_id"] not in seen_trials:
                problems.append(
                    f"line {number}: {kind} of trial {event['trial_id']} before the trial's "
                    "start event (ignored)"
                )
                continue
            events.append(event)
    if warn and problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        logger.warning(
            "%s: skipped damaged lines (%s). The rest of the log was read; if results are "
            "missing, the trials' std.out files still hold what they printed.",
            path,
            shown,
        )
    return events


def _parse_event(raw: bytes, number: int, problems: list[str]) -> dict[str, Any] | None:
    if len(raw) > MAX_EVENT_BYTES:
        problems.append(f"line {number}: {len(raw)} bytes, too long for an event (ignored)")
        return None
    try:
        event = json.loads(raw)
    except ValueError as err:
        problems.append(f"line {number}: not JSON ({err}) (ignored)")
        return None
    if not isinstance(event, dict):
        problems.append(f"line {number}: not a JSON object (ignored)")
        return None
    required = _REQUIRED.get(event.get("event"))  # type: ignore[arg-type]
    if required is None or any(key not in event for key in required):
        problems.append(f"line {number}: not a complete synetune event (ignored)")
        return None
    wrong = [k for k, t in _TYPES.items() if k in event and not isinstance(event[k], t)]
    if wrong or not -(2**63) <= event.get("seq", 0) < 2**63:  # seqs are kept in an int64 array
        problems.append(f"line {number}: {wrong or 'seq'} of the wrong type or range (ignored)")
        return None
    return event


class ResultTable:
    """One row per reported result, with its decision, status and ``config_<hp>`` columns."""

    # Stored by column (floats in arrays of 8 bytes a value) with configurations kept once per
    # trial, so that memory per result stays at a couple of hundred bytes however long the run. A
    # result is appended through a plan made once per set of keys (the bound ``append`` of each
    # column), which keeps the per-result cost close to copying a dict.

    def __init__(self) -> None:
        self.columns: dict[str, Any] = {}  # metric columns, in the order they first appeared
        self._trial_ids = array.array("q")
        self._tuner_times = array.array("d")
        self._runs: list[int | None] = []
        self._plans: dict[tuple[str, ...], tuple[list[Any], list[Any]]] = {}
        self._configs: dict[int, dict[str, Any]] = {}
        self._config_order: dict[str, None] = {}
        self._seqs = array.array("q")
        self._decisions: dict[int, str] = {}  # row -> decision other than CONTINUE
        self._dropped: set[int] = set()
        self._size = 0

    def __len__(self) -> int:
        return self._size - len(self._dropped)

    def add(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "result":
            self._add_result(event)
        elif kind in ("trial", "config"):
            config = event["config"]  # kept as it is (shared with the trial), prefixed on output
            self._configs[event["trial_id"]] = config
            for key in config:
                self._config_order.setdefault(key)
        elif kind == "decision":
            row = self._row_of(event["seq"])
            if row is not None:
                self._decisions[row] = event["decision"]
        elif kind == "extra":
            row = self._row_of(event["seq"])
            if row is not None:
                for key, value in event["values"].items():
                    column = self._column(key, value)
                    if type(column) is not list and type(value) is not float:
                        column = self._as_list(key)
                    column[row] = value
        elif kind == "drop":
            row = self._row_of(event["seq"])
            if row is not None:
                self._dropped.add(row)

    def _add_result(self, event: dict[str, Any]) -> None:  # the journal's hot path calls it
        values = event["result"]
        keys = tuple(values)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plan(keys, values)
        appends, pads = plan
        try:
            for append, value in zip(appends, values.values()):
                append(value)
        except TypeError:  # a float column got something else (None, a string): widen it
            self._undo_partial_row()
            for key, value in values.items():
                if type(self.columns[key]) is not list and not isinstance(value, int | float):
                    self._as_list(key)
            self._add_result(event)
            return
        for append, missing in pads:
            append(missing)
        self._trial_ids.append(event["trial_id"])
        self._tuner_times.append(event["st_tuner_time"])
        self._runs.append(event.get("run"))
        self._seqs.append(event["seq"])
        self._size += 1

    def _plan(self, keys: tuple[str, ...], values: dict[str, Any]) -> Any:
        for key in keys:
            self._column(key, values[key])
        appends = [self.columns[key].append for key in keys]
        present = set(keys)
        pads = [
            (column.append, None if type(column) is list else NAN)
            for key, column in self.columns.items()
            if key not in present
        ]
        self._plans[keys] = (appends, pads)
        return appends, pads

    def _undo_partial_row(self) -> None:
        for column in self.columns.values():
            if len(column) > self._size:
                del column[self._size :]

    def _as_list(self, key: str) -> list[Any]:
        """Turn a float column into a list of objects (NaN stands for a missing value)."""
        column = self.columns[key] = [None if v != v else v for v in self.columns[key]]
        self._plans.clear()
        return column

    def _column(self, key: str, value: Any = None) -> Any:
        """The column ``key``, created (padded for the rows so far) if new: floats are stored
        in an array, so that a long run's table stays small."""
        column = self.columns.get(key)
        if column is None:
            if type(value) is float:
                column = array.array("d", [NAN]) * self._size
            else:
                column = [None] * self._size
            self.columns[key] = column
            self._plans.clear()
        return column

    def _row_of(self, seq: int) -> int | None:
        seqs = self._seqs
        if seqs and seqs[-1] == seq:
            return len(seqs) - 1
        i = bisect.bisect_left(seqs, seq)
        return i if i < len(seqs) and seqs[i] == seq else None

    def view(self) -> ResultTable:
        """A copy that later appends do not change (columns are shared: they only grow), for
        writing the table while backends' readers keep adding results."""
        view = ResultTable.__new__(ResultTable)
        view.__dict__.update(self.__dict__)
        view.columns = dict(self.columns)
        view._configs = dict(self._configs)
        view._config_order = dict(self._config_order)
        view._decisions = dict(self._decisions)
        view._dropped = set(self._dropped)
        return view

    def column_names(self) -> list[str]:
        return [
            "trial_id",
            *self.columns,
            "st_tuner_time",
            "st_run",
            "st_status",
            "st_decision",
            *(f"config_{name}" for name in self._config_order),
        ]

    def column_chunks(self, size: int = 65536) -> Any:
        """The rows, ``size`` at a time, as columns in ``column_names()`` order (None or NaN
        where a value is missing): column by column, most of the work stays in C."""
        names, dropped = list(self._config_order), self._dropped
        for start in range(0, self._size, size):
            stop = min(start + size, self._size)
            rows = [i for i in range(start, stop) if i not in dropped] if dropped else None

            def take(column: Any, rows: Any = rows, start: int = start, stop: int = stop) -> Any:
                return column[start:stop] if rows is None else [column[i] for i in rows]

            trial_ids = take(self._trial_ids)
            configs = [self._configs.get(t, {}) for t in trial_ids]
            decisions = self._decisions
            yield [
                trial_ids,
                *(take(c) for c in self.columns.values()),
                take(self._tuner_times),
                take(self._runs),
                ["InProgress"] * len(trial_ids),
                [
                    decisions.get(i, "CONTINUE")
                    for i in (range(start, stop) if rows is None else rows)
                ],
                *([c.get(n) for c in configs] for n in names),
            ]

    def rows(self) -> Any:
        """Each row as a list in ``column_names()`` order."""
        for columns in self.column_chunks():
            yield from map(list, zip(*columns))

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts (missing values left out), for building a DataFrame."""
        names = self.column_names()
        return [
            {k: v for k, v in zip(names, row) if v is not None and v == v} for row in self.rows()
        ]


def result_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = ResultTable()
    for event in events:
        table.add(event)
    return table.records()


def write_results_csv(path: Path, table: ResultTable) -> None:
    """Write ``results.csv.zip`` atomically (a zip holding ``results.csv``, as pandas reads it)."""
    # Rows are streamed into the compressor so that memory stays flat however long the table.
    # Lists and dicts (rare) are written as JSON; everything else as the csv module writes it.
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("results.csv", "w") as member:
            # a lone surrogate (a metric string sent as "\ud800") cannot be UTF-8: escape it
            text = io.TextIOWrapper(member, encoding="utf-8", errors="backslashreplace", newline="")
            writer = csv.writer(text)
            writer.writerow(table.column_names())
            for columns in table.column_chunks():
                writer.writerows(zip(*map(_csv_cells, columns)))
            text.flush()
            text.detach()
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# json.dumps(event) as one C call: no circular check (events are trees), NaN written as NaN
_encode = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, _refuse, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
)


def _csv_cells(column: Any) -> Any:
    """A column as the csv module should write it: NaN and None empty, lists and dicts JSON."""
    if type(column) is array.array:
        total = sum(column)  # NaN if any value is: a column without one is written as it is
        return column if total == total else [None if v != v else v for v in column]
    kinds = set(map(type, column))
    if kinds <= _PLAIN_CELLS and (float not in kinds or all(v == v for v in column)):
        return column
    return [
        "" if v is None or v != v else json.dumps(v) if type(v) in (list, dict) else v
        for v in column
    ]


_PLAIN_CELLS = {int, str, bool, float, type(None)}


def write_metadata(path: Path, metadata: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(metadata, indent=2, default=json_default_or_str))


def read_metadata(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


class FolderInUseError(RuntimeError):
    """Another live process is running a tuner in this experiment folder."""


class FolderLock:
    """An exclusive lock on an experiment folder for as long as a tuner runs in it."""

    # The operating system releases it when the process dies, even by SIGKILL, so a stale lock
    # never blocks; the holder's pid and command line are written into the lock file so that the
    # error can name the process.

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_FILENAME
        self._handle: Any = None

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            handle.close()
            raise FolderInUseError(
                f"experiment folder {self.path.parent} is in use by {holder}: another tuner is "
                "running in it. Wait for it to finish or stop it, then run again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} ({' '.join([sys.executable, *sys.argv])})\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing releases the lock
            self._handle = None


TUNER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def _never_started(folder: Path, existing: list[str]) -> bool:
    """A run killed during its start (before its first save and trial) left nothing to keep."""
    if {TUNER_FILENAME, TUNER_FILENAME + ".bak", RESULTS_FILENAME} & set(existing):
        return False
    events = folder / EVENTS_FILENAME
    return not events.exists() or b'"event": "trial"' not in events.read_bytes()


def tuner_name_for(tuner_name: str | None, suffix: bool, backend: Any) -> str:
    """The run's name: given, or the entry point's; with ``suffix`` a time stamp appended."""
    if tuner_name is None:
        entry = backend.entrypoint_path()
        tuner_name = Path(entry).stem.replace("_", "-") if entry else "synetune"
        tuner_name = re.sub(r"[^a-zA-Z0-9-]", "-", tuner_name).strip("-") or "synetune"
    if suffix:
        stamp = datetime.now().strftime("%Y-%m-%d-%H-%M-%S-%f")[:-3]
        tuner_name = f"{tuner_name[: 62 - len(stamp)]}-{stamp}"
    if not TUNER_NAME_PATTERN.match(tuner_name):
        raise ValueError(
            f"tuner_name {tuner_name!r} is invalid: use 1 to 63 letters, digits and single "
            "or repeated dashes, starting and ending with a letter or digit (no '_' or '.')"
        )
    return tuner_name


def claim_folder(folder: Path, name: str, resumed: bool, overwrite: bool) -> FolderLock:
    """Lock the experiment folder for a run; a new run never reuses a folder that holds one
    (unless ``overwrite``: then its contents are deleted first)."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder)
    lock.acquire()
    existing = sorted(p.name for p in folder.iterdir() if p.name != LOCK_FILENAME)
    if resumed or not existing:
        return lock
    if not overwrite and not _never_started(folder, existing):
        lock.release()
        shown = ", ".join(existing[:5]) + (", ..." if len(existing) > 5 else "")
        raise FileExistsError(
            f"{folder} already holds a run ({shown}). Resume it with `synetune resume {name}` "
            "or Tuner.load(...).run(), choose another tuner_name (suffix_tuner_name=True makes "
            "names unique), or pass overwrite=True to delete it and start over."
        )
    for entry in existing:  # overwrite, or what a run killed during its start left
        target = folder / entry
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    return lock
