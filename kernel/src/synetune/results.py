"""The on-disk record of a run: a durable event log, ``results.csv.zip`` and ``metadata.json``.

Every event of the run (trial started, result reported, decision, status change) is appended
to ``events.jsonl`` and flushed before the scheduler acts on it, so a tuner killed at any
moment loses no reported result. A torn last line (the process died mid-write) is skipped on
read. ``results.csv.zip`` (one row per result, Syne Tune's layout) is derived from the log and
rewritten atomically; it is written with the standard library so that the tuning loop never
pays for pandas.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

from synetune_sdk.constants import DEFAULT_FOLDER, ENV_FOLDER
from synetune_sdk.jsonutil import json_default_or_str

EVENTS_FILENAME = "events.jsonl"
RESULTS_FILENAME = "results.csv.zip"
METADATA_FILENAME = "metadata.json"
TUNER_FILENAME = "tuner.dill"


def experiment_root() -> Path:
    """``$SYNETUNE_FOLDER`` or ``~/syne-tune``: where experiments are stored."""
    return Path(os.environ.get(ENV_FOLDER) or Path.home() / DEFAULT_FOLDER)


def experiment_path(tuner_name: str, root: str | Path | None = None) -> Path:
    return Path(root if root is not None else experiment_root()) / tuner_name


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class EventLog:
    """Append-only JSON-lines log; ``append`` returns once the line reached the OS.

    ``fsync_interval`` bounds how often the file is also forced to disk (power-loss safety
    costs milliseconds per call; a killed process only needs the flush).
    """

    def __init__(self, path: Path, fsync_interval: float = 1.0):
        self.path = Path(path)
        self.fsync_interval = fsync_interval
        self._file: io.TextIOWrapper | None = None
        self._last_fsync = 0.0
        self.count = len(read_events(self.path)) if self.path.exists() else 0

    def append(self, event: dict[str, Any]) -> None:
        if self._file is None:
            self._repair_torn_tail()
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        try:
            line = json.dumps(event)  # the shared default encoder: the fast path
        except (TypeError, ValueError):
            line = json.dumps(event, default=json_default_or_str)
        self._file.write(line + "\n")
        self._file.flush()
        self.count += 1
        now = time.monotonic()
        if now - self._last_fsync > self.fsync_interval:
            os.fsync(self._file.fileno())
            self._last_fsync = now

    def _repair_torn_tail(self) -> None:
        # a line cut short by a crash would glue onto the next append: cut it off first
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            data = f.read()
            if data.endswith(b"\n"):
                return
            keep = data.rfind(b"\n") + 1
            f.truncate(keep)

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_file"] = None
        return state


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """All complete events of a log; a torn or corrupt line is skipped."""
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # torn last line
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return events


class ResultTable:
    """One row per reported result, with its decision, status and ``config_<hp>`` columns.

    Built incrementally from events (by the tuner while it runs, or from a log on load).
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._configs: dict[int, dict[str, Any]] = {}
        self._by_seq: dict[int, dict[str, Any]] = {}

    def add(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind in ("trial", "config"):
            self._configs[event["trial_id"]] = {
                f"config_{k}": v for k, v in event["config"].items()
            }
        elif kind == "result":
            trial_id = event["trial_id"]
            row = {"trial_id": trial_id, **event["result"]}
            row["st_tuner_time"] = event["st_tuner_time"]
            row["st_status"] = "InProgress"
            row["st_decision"] = "CONTINUE"
            row.update(self._configs.get(trial_id, ()))
            self.rows.append(row)
            self._by_seq[event["seq"]] = row
        elif kind == "decision" and event.get("seq") in self._by_seq:
            self._by_seq[event["seq"]]["st_decision"] = event["decision"]
        elif kind == "extra" and event.get("seq") in self._by_seq:
            self._by_seq[event["seq"]].update(event["values"])


def result_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = ResultTable()
    for event in events:
        table.add(event)
    return table.rows


def write_results_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write ``results.csv.zip`` atomically (a zip holding ``results.csv``, as pandas reads it).

    Lists and dicts (rare) are written as JSON; everything else as the csv module writes it.
    """
    columns: dict[str, None] = {}
    nested: set[str] = set()
    for row in rows:
        for key, value in row.items():
            if key not in columns:
                columns[key] = None
            if type(value) is list or type(value) is dict:
                nested.add(key)
    names = list(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    if nested:
        for row in rows:
            writer.writerow(
                [json.dumps(row[k]) if k in nested and k in row else row.get(k, "") for k in names]
            )
    else:
        writer.writerows([row.get(k, "") for k in names] for row in rows)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("results.csv", buffer.getvalue())
    atomic_write_bytes(path, data.getvalue())


def write_metadata(path: Path, metadata: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(metadata, indent=2, default=json_default_or_str))


def read_metadata(path: Path) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)
