"""What the dashboard knows of each experiment folder, kept up to date by reading only the bytes
appended to ``events.jsonl`` since the last look (never the whole file again).

``parse_events(data, ...)`` turns complete lines of the log into a ``Delta``: the columns the
pages draw (trial, time, resource, metrics, worker time and cost), trial starts, status changes
and decisions. The same function answers a browser's ``?since=offset`` poll and feeds the
server's own ``ExperimentState`` (the experiments list, snapshots, the analyses).
"""

from __future__ import annotations

import array
import json
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVENTS = "events.jsonl"
METADATA = "metadata.json"
LOCK = ".synetune.lock"
# an experiment or trial name taken from a URL: one path component, no dots in front (no "..")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.=+,@-]{0,254}$")
RESERVED_KEYS = ("st_worker_timestamp", "st_worker_iter", "st_worker_time", "st_worker_cost")


def valid_name(name: str) -> bool:
    """One path component made of safe characters, never ``.``/``..`` or a hidden file."""
    return bool(NAME_RE.match(name)) and ".." not in name


def experiment_folder(root: Path, name: str) -> Path | None:
    """The folder of experiment ``name`` directly under ``root``, or None when the name is not a
    safe single component or the folder holds no experiment (the caller answers 404)."""
    if not valid_name(name):
        return None
    folder = root / name
    try:
        if folder.resolve().parent != root.resolve() or not folder.is_dir():
            return None
    except OSError:
        return None
    if not ((folder / METADATA).is_file() or (folder / EVENTS).is_file()):
        return None
    return folder


def list_folders(root: Path) -> list[Path]:
    """Experiment folders directly under ``root`` (a ``metadata.json`` or ``events.jsonl``)."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.is_dir() or not valid_name(entry.name):
            continue
        path = Path(entry.path)
        if (path / METADATA).is_file() or (path / EVENTS).is_file():
            found.append(path)
    return found


def is_running(folder: Path) -> bool:
    """Whether a tuner holds the folder's lock. The kernel's ``FolderLock`` is an ``flock`` the
    OS drops when the process dies; ``/proc/locks`` shows it without taking the lock ourselves
    (taking it, even shared and for a moment, could make a starting tuner fail). Elsewhere the
    pid written in the lock file is checked."""
    lock = folder / LOCK
    try:
        inode = lock.stat().st_ino
    except OSError:
        return False
    try:
        with open("/proc/locks") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 5 and parts[1].startswith("FLOCK"):
                    if parts[5].rsplit(":", 1)[-1] == str(inode):
                        return True
        return False
    except OSError:
        pass
    try:
        holder = lock.read_text().split()
        pid = int(holder[1]) if len(holder) > 1 and holder[0] == "pid" else 0
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _number(value: Any) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


@dataclass
class Delta:
    """Events parsed from a stretch of the log, by column. ``metrics`` maps each metric name to
    its values (NaN where a result did not report it)."""

    metric_names: list[str]
    resource_attr: str | None
    trial: array.array = field(default_factory=lambda: array.array("q"))
    seq: array.array = field(default_factory=lambda: array.array("q"))
    time: array.array = field(default_factory=lambda: array.array("d"))
    resource: array.array = field(default_factory=lambda: array.array("d"))
    wtime: array.array = field(default_factory=lambda: array.array("d"))
    cost: array.array = field(default_factory=lambda: array.array("d"))
    metrics: dict[str, array.array] = field(default_factory=dict)
    trials: list[list[Any]] = field(default_factory=list)  # [trial_id, config, created]
    status: list[list[Any]] = field(default_factory=list)  # [trial_id, status, time, seen]
    decisions: list[list[Any]] = field(default_factory=list)  # [seq, trial_id, decision]
    drops: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in self.metric_names:
            self.metrics.setdefault(name, array.array("d"))

    def __len__(self) -> int:
        return len(self.trial)

    def extend(self, other: Delta) -> None:
        for name in ("trial", "seq", "time", "resource", "wtime", "cost"):
            getattr(self, name).extend(getattr(other, name))
        for name, column in self.metrics.items():
            column.extend(other.metrics[name])
        self.trials.extend(other.trials)
        self.status.extend(other.status)
        self.decisions.extend(other.decisions)
        self.drops.extend(other.drops)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready columns (NaN and infinities as null, which JSON has)."""

        def floats(column: array.array) -> list[Any]:
            return [v if v - v == 0 else None for v in column]

        return {
            "results": {
                "trial": self.trial.tolist(),
                "seq": self.seq.tolist(),
                "time": floats(self.time),
                "resource": floats(self.resource),
                "wtime": floats(self.wtime),
                "cost": floats(self.cost),
                "metrics": {name: floats(col) for name, col in self.metrics.items()},
            },
            "trials": self.trials,
            "status": self.status,
            "decisions": self.decisions,
            "drops": self.drops,
        }


def parse_events(data: bytes, metric_names: list[str], resource_attr: str | None) -> Delta:
    """Parse complete log lines (a damaged line is skipped, as the kernel's reader does)."""
    delta = Delta(list(metric_names), resource_attr)
    metric_columns = [(name, delta.metrics[name].append) for name in metric_names]
    add_trial, add_seq, add_time = delta.trial.append, delta.seq.append, delta.time.append
    add_resource, add_wtime, add_cost = (
        delta.resource.append,
        delta.wtime.append,
        delta.cost.append,
    )
    loads = json.loads
    for line in data.split(b"\n"):
        if not line or b"\0" in line:
            continue
        try:
            event = loads(line)
            kind = event["event"]
            if kind == "result":
                result = event["result"]
                row = (int(event["trial_id"]), int(event["seq"]), _number(event["st_tuner_time"]))
                if resource_attr is not None and resource_attr in result:
                    resource = _number(result[resource_attr])
                else:
                    resource = _number(result.get("st_worker_iter", math.nan)) + 1.0
                values = [_number(result.get(name, math.nan)) for name, _ in metric_columns]
                wtime = _number(result.get("st_worker_time", math.nan))
                cost = _number(result.get("st_worker_cost", math.nan))
                add_trial(row[0])
                add_seq(row[1])
                add_time(row[2])
                add_resource(resource)
                add_wtime(wtime)
                add_cost(cost)
                for (_, append), value in zip(metric_columns, values):
                    append(value)
            elif kind == "trial" or kind == "config":
                delta.trials.append(
                    [int(event["trial_id"]), event["config"], event.get("creation_time")]
                )
            elif kind == "status":
                delta.status.append(
                    [
                        int(event["trial_id"]),
                        str(event["status"]),
                        event.get("st_tuner_time"),
                        event.get("seen"),
                    ]
                )
            elif kind == "decision":
                delta.decisions.append(
                    [int(event["seq"]), event.get("trial_id"), str(event["decision"])]
                )
            elif kind == "drop":
                delta.drops.append(int(event["seq"]))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            continue  # a torn or damaged line: the kernel's reader skips it too
    return delta


def read_complete(path: Path, start: int, limit: int) -> tuple[bytes, int]:
    """The whole lines of ``path`` from byte ``start`` (at most about ``limit`` bytes) and the
    offset after them. A line still being written (no newline yet) is left for the next look."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(limit)
    except FileNotFoundError:
        return b"", start
    end = data.rfind(b"\n")
    if end < 0:
        return b"", start
    return data[: end + 1], start + end + 1


def metric_setup(metadata: dict[str, Any]) -> tuple[list[str], list[str], str | None]:
    """Metric names, their modes and the resource attribute named by ``metadata.json``."""
    names = [str(n) for n in metadata.get("metric_names") or []]
    modes = metadata.get("metric_mode", "min")
    mode_list = [modes] * len(names) if isinstance(modes, str) else [str(m) for m in modes]
    mode_list = (mode_list + ["min"] * len(names))[: len(names)]
    resource = metadata.get("resource_attr")
    return names, mode_list, str(resource) if resource else None


class ExperimentState:
    """One experiment as the server tracks it: metadata, every result so far (by column), and a
    summary per trial. ``refresh()`` reads only what was appended since the last call."""

    CHUNK = 64 * 1024 * 1024

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = folder.name
        self.lock = threading.RLock()
        self.metadata: dict[str, Any] = {}
        self._metadata_mtime = -1.0
        self.offset = 0
        self.data: Delta | None = None
        self.trials: dict[int, dict[str, Any]] = {}
        self.best: float | None = None
        self.last_time = 0.0
        self._snapshot: tuple[int, bytes] | None = None
        self._checked = 0.0

    # ------------------------------------------------------------------ reading
    def _load_metadata(self) -> None:
        path = self.folder / METADATA
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return
        if mtime == self._metadata_mtime:
            return
        try:
            metadata = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        if isinstance(metadata, dict):
            self._metadata_mtime = mtime
            if self.data is not None and metric_setup(metadata) != metric_setup(self.metadata):
                self._reset()  # metrics named differently now: start the columns again
            self.metadata = metadata

    def _reset(self) -> None:
        self.offset, self.data, self.trials, self.best = 0, None, {}, None
        self.last_time, self._snapshot = 0.0, None

    def refresh(self, min_interval: float = 0.0) -> ExperimentState:
        """Read what was appended to the log since the last call (stat first: no change, no
        read). A log that shrank (the experiment was overwritten) is read again from the start."""
        with self.lock:
            now = time.monotonic()
            if min_interval and now - self._checked < min_interval:
                return self
            self._checked = now
            self._load_metadata()
            names, modes, resource = metric_setup(self.metadata)
            if self.data is None:
                self.data = Delta(names, resource)
            path = self.folder / EVENTS
            try:
                size = path.stat().st_size
            except OSError:
                return self
            if size < self.offset:
                self._reset()
                self.data = Delta(names, resource)
            while size > self.offset:
                chunk, end = read_complete(path, self.offset, self.CHUNK)
                if end == self.offset:
                    break
                delta = parse_events(chunk, names, resource)
                self._summarise(delta, modes)
                self.data.extend(delta)
                self.offset = end
            return self

    def _summarise(self, delta: Delta, modes: list[str]) -> None:
        trials = self.trials
        for trial_id, config, created in delta.trials:
            entry = trials.setdefault(trial_id, {"status": "InProgress", "results": 0})
            entry["config"] = config
            entry.setdefault("created", created)
        first = delta.metrics[delta.metric_names[0]] if delta.metric_names else None
        sign = -1.0 if modes and modes[0] == "max" else 1.0
        best = self.best
        for i, trial_id in enumerate(delta.trial):
            entry = trials.setdefault(trial_id, {"status": "InProgress", "results": 0})
            entry["results"] += 1
            if first is not None:
                value = first[i]
                if value == value and (best is None or sign * value < sign * best):
                    best = value
        self.best = best
        for trial_id, status, _, _ in delta.status:
            trials.setdefault(trial_id, {"results": 0})["status"] = status
        if len(delta.time):
            self.last_time = max(self.last_time, max(delta.time))

    # ------------------------------------------------------------------ answers
    def status(self) -> str:
        """``running`` while a tuner holds the folder, ``interrupted`` when it ended with trials
        still in progress (killed) or never logged an event, else ``finished``. (A run stopped
        with Ctrl-C stops its trials first, so it reads as finished: the log does not say.)"""
        if is_running(self.folder):
            return "running"
        if not self.trials or any(t.get("status") == "InProgress" for t in self.trials.values()):
            return "interrupted"
        return "finished"

    def summary(self) -> dict[str, Any]:
        with self.lock:
            meta = self.metadata
            names, modes, _ = metric_setup(meta)
            counts: dict[str, int] = {}
            for entry in self.trials.values():
                counts[entry.get("status", "?")] = counts.get(entry.get("status", "?"), 0) + 1
            return {
                "name": self.name,
                "status": self.status(),
                "method": str(meta.get("method") or meta.get("scheduler_name") or "-"),
                "scheduler": meta.get("scheduler_name"),
                "metrics": names,
                "modes": modes,
                "best": self.best,
                "trials": len(self.trials),
                "trial_counts": counts,
                "results": len(self.data) if self.data is not None else 0,
                "start": meta.get("st_tuner_creation_timestamp"),
                "last_time": self.last_time,
                "simulated": "Simulator" in str(meta.get("backend") or ""),
                "offset": self.offset,
            }

    def snapshot(self) -> bytes:
        """Everything read so far as one JSON document (cached until the log grows), with the
        offset a browser polls from next."""
        with self.lock:
            if self._snapshot is not None and self._snapshot[0] == self.offset:
                return self._snapshot[1]
            assert self.data is not None
            payload = self.data.to_json()
            payload.update(offset=self.offset, experiment=self.summary(), metadata=self.metadata)
            body = json.dumps(payload, allow_nan=False, default=str).encode()
            self._snapshot = (self.offset, body)
            return body

    def since(self, offset: int, limit: int = 16 * 1024 * 1024) -> dict[str, Any] | None:
        """What was appended after ``offset`` (read from the file, from that offset on): None if
        ``offset`` is not the start of a line of this log."""
        path = self.folder / EVENTS
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        if offset < 0 or offset > size:  # beyond the end: the log was replaced by a new run
            return None
        if offset > 0:
            try:
                with open(path, "rb") as f:
                    f.seek(offset - 1)
                    if f.read(1) != b"\n":
                        return None
            except OSError:
                return None
        names, _, resource = metric_setup(self.metadata)
        chunk, end = read_complete(path, offset, limit)
        payload = parse_events(chunk, names, resource).to_json()
        try:
            size = path.stat().st_size
        except OSError:
            size = end
        payload.update(offset=end, more=size - end > limit // 2)
        return payload


class Catalog:
    """Every experiment under ``root``, each tracked by its own ``ExperimentState``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._states: dict[str, ExperimentState] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> ExperimentState | None:
        folder = experiment_folder(self.root, name)
        if folder is None:
            return None
        with self._lock:
            state = self._states.get(name)
            if state is None:
                state = self._states[name] = ExperimentState(folder)
        return state

    def all(self, min_interval: float = 0.0) -> list[ExperimentState]:
        folders = list_folders(self.root)
        with self._lock:  # forget experiments whose folder went away
            present = {folder.name for folder in folders}
            self._states = {k: v for k, v in self._states.items() if k in present}
        states = []
        for folder in folders:
            state = self.get(folder.name)
            if state is not None:
                states.append(state.refresh(min_interval))
        return states
