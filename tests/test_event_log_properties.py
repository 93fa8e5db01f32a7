"""Property-based tests of the durable event log and the results table derived from it.

``events.jsonl`` is read back after crashes: whatever damage a crash or a bad disk does to the
bytes, ``read_events`` must return only complete events that were written, keep every line the
damage did not touch, and a new ``EventLog`` must append after it cleanly.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from synetune.results import _REQUIRED, EventLog, ResultTable, read_events, write_results_csv

FAST = settings(max_examples=60, deadline=None)

names = st.text(alphabet="abcxyzé_0123456789", min_size=1, max_size=6)
# any characters: quotes, commas, newlines, NUL, and lone surrogates (JSON escapes can carry them)
texts = st.lists(
    st.characters(exclude_categories=())
    | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    max_size=12,
).map("".join)
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=True),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.booleans(),
    texts,
)


@st.composite
def event_sequences(draw, max_steps: int = 14) -> list[dict]:
    """A valid log: trials start before their results; decisions, extras and drops name the
    ``seq`` of a recorded result."""
    events: list[dict] = []
    trials: list[int] = []
    seqs: list[int] = []
    time = 0.0
    for _ in range(draw(st.integers(min_value=0, max_value=max_steps))):
        kinds = ["trial"] + (["result", "result", "status", "config"] if trials else [])
        kinds += ["decision", "extra", "drop"] if seqs else []
        kind = draw(st.sampled_from(kinds))
        time += draw(st.floats(min_value=0.0, max_value=10.0))
        if kind == "trial":
            trial_id = len(trials)
            trials.append(trial_id)
            config = draw(st.dictionaries(names, values, max_size=3))
            events.append({"event": "trial", "trial_id": trial_id, "config": config})
        elif kind == "config":
            config = draw(st.dictionaries(names, values, max_size=3))
            events.append(
                {"event": "config", "trial_id": draw(st.sampled_from(trials)), "config": config}
            )
        elif kind == "result":
            seq = len(seqs) + 1
            seqs.append(seq)
            result = draw(st.dictionaries(names.map("m_".__add__), values, min_size=1, max_size=3))
            event = {"event": "result", "seq": seq, "trial_id": draw(st.sampled_from(trials))}
            event.update(result=result, st_tuner_time=time)
            if draw(st.booleans()):
                event["run"] = draw(st.integers(min_value=1, max_value=3))
            events.append(event)
        elif kind == "status":
            status = draw(st.sampled_from(["InProgress", "Completed", "Stopped", "Failed"]))
            events.append(
                {
                    "event": "status",
                    "trial_id": draw(st.sampled_from(trials)),
                    "status": status,
                    "st_tuner_time": time,
                }
            )
        elif kind == "decision":
            decision = draw(st.sampled_from(["STOP", "PAUSE", "CONTINUE"]))
            events.append(
                {"event": "decision", "seq": draw(st.sampled_from(seqs)), "decision": decision}
            )
        elif kind == "extra":
            extra = draw(st.dictionaries(names.map("x_".__add__), values, min_size=1, max_size=2))
            events.append({"event": "extra", "seq": draw(st.sampled_from(seqs)), "values": extra})
        else:
            events.append({"event": "drop", "seq": draw(st.sampled_from(seqs))})
    return events


def roundtrip(event: dict) -> dict:
    """What reading gives back for a written event (JSON turns nothing else into anything)."""
    return json.loads(json.dumps(event))


def write_log(path: Path, events: list[dict]) -> None:
    log = EventLog(path)
    for event in events:
        assert log.append(event)
    log.close()


def line_spans(data: bytes) -> list[tuple[int, int]]:
    """``(start, position of the newline)`` of each line of a log that ends with a newline."""
    spans, start = [], 0
    while start < len(data):
        newline = data.index(b"\n", start)
        spans.append((start, newline))
        start = newline + 1
    return spans


def is_subsequence(part: list, whole: list) -> bool:
    iterator = iter(whole)
    return all(any(item == other for other in iterator) for item in part)


def expected_survivors(events: list[dict], intact: list[bool]) -> list[dict]:
    """The intact lines that reading must keep: all but results and configs of a trial whose
    start line was lost (the reader drops those on purpose)."""
    started, out = set(), []
    for event, ok in zip(events, intact, strict=True):
        if not ok:
            continue
        if event["event"] == "trial":
            started.add(event["trial_id"])
        elif event["event"] in ("result", "config") and event["trial_id"] not in started:
            continue
        out.append(event)
    return out


def assert_complete(events: list[dict]) -> None:
    for event in events:
        assert isinstance(event, dict) and "event" in event, event
        assert all(key in event for key in _REQUIRED[event["event"]]), event


@FAST
@given(events=event_sequences())
def test_appended_events_read_back_all_in_order(events):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        write_log(path, events)
        assert read_events(path, warn=False) == [roundtrip(e) for e in events]
        assert EventLog(path).count == len(events)


@st.composite
def damaged_logs(draw):
    """``(kind, events, damaged bytes, intact flag per line, inserted bytes)``."""
    events = [roundtrip(e) for e in draw(event_sequences())]
    data = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    spans = line_spans(data)
    kind = draw(st.sampled_from(["truncate", "zero", "insert", "duplicate"]))
    inserted = b""
    if kind == "truncate":
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        damaged = data[:cut]
        intact = [newline < cut for _, newline in spans]
    elif kind == "zero":
        a = draw(st.integers(min_value=0, max_value=len(data)))
        b = draw(st.integers(min_value=a, max_value=min(len(data), a + 200)))
        damaged = data[:a] + b"\0" * (b - a) + data[b:]
        intact = [newline < a or start >= b for start, newline in spans]
    elif kind == "insert":
        at = draw(st.integers(min_value=0, max_value=len(data)))
        inserted = draw(st.binary(min_size=1, max_size=40))
        damaged = data[:at] + inserted + data[at:]
        intact = [not (start <= at <= newline) for start, newline in spans]
    else:
        if not spans:
            return kind, events, data, [], inserted
        i = draw(st.integers(min_value=0, max_value=len(spans) - 1))
        start, newline = spans[i]
        damaged = data[: newline + 1] + data[start : newline + 1] + data[newline + 1 :]
        events = events[: i + 1] + events[i:]
        intact = [True] * len(events)
    return kind, events, damaged, intact, inserted


@settings(max_examples=200, deadline=None)
@given(case=damaged_logs())
def test_damaged_logs_read_what_survived_and_take_new_appends(case):
    kind, events, damaged, intact, inserted = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(damaged)
        read = read_events(path, warn=False)  # never raises
        assert_complete(read)
        table = ResultTable()  # what a resumed tuner does with them: never raises either
        for event in read:
            table.add(event)
        list(table.rows())
        survivors = expected_survivors(events, intact)
        assert is_subsequence(survivors, read), "an untouched line was lost"
        if kind == "truncate" or kind == "duplicate":
            assert read == survivors
        elif kind == "zero":
            assert is_subsequence(read, events), "an event that was not written was read"
        else:  # bytes inserted into one line can make another valid line (a digit in a number)
            assert len(read) <= sum(intact) + 1 + inserted.count(b"\n")

        # a new log on the damaged file cuts a torn tail off and appends cleanly after it
        log = EventLog(path)
        assert log.count == len(read)
        new = {"event": "status", "trial_id": 12345, "status": "Completed", "st_tuner_time": 1.5}
        assert log.append(new)
        log.close()
        assert read_events(path, warn=False) == [*read, new]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def odd_events(draw) -> dict:
    """An event with every field it needs, each holding any JSON value at all."""
    kind = draw(st.sampled_from(sorted(_REQUIRED)))
    return {"event": kind, **{key: draw(json_values) for key in _REQUIRED[kind]}}


@FAST
@given(
    events=event_sequences(),
    odd=st.lists(st.tuples(st.integers(min_value=0), odd_events()), max_size=4),
)
def test_events_with_fields_of_any_type_never_break_reading_or_the_table(events, odd):
    lines = [roundtrip(e) for e in events]
    for position, event in odd:
        lines.insert(position % (len(lines) + 1), event)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        write_log(path, lines)
        read = read_events(path, warn=False)
        assert_complete(read)
        assert is_subsequence([roundtrip(e) for e in events], read)
        table = ResultTable()
        for event in read:
            table.add(event)
        write_results_csv(Path(folder) / "results.csv.zip", table)
        assert len(pd.read_csv(Path(folder) / "results.csv.zip")) == len(table)


def expected_rows(events: list[dict]) -> list[dict]:
    """Non-dropped results in order, with their last decision and their trial's config."""
    dropped = {e["seq"] for e in events if e["event"] == "drop"}
    decisions = {e["seq"]: e["decision"] for e in events if e["event"] == "decision"}
    configs: dict = {}
    rows = []
    for e in events:
        if e["event"] in ("trial", "config"):
            configs[e["trial_id"]] = e["config"]
        elif e["event"] == "result" and e["seq"] not in dropped:
            rows.append((e, decisions.get(e["seq"], "CONTINUE")))
    return [
        {"event": e, "decision": decision, "config": configs[e["trial_id"]]} for e, decision in rows
    ]


def same_cell(read, written) -> bool:
    if written is None or written == "":
        return read is None or (isinstance(read, float) and math.isnan(read))
    if isinstance(written, bool):
        return str(read) == str(written)
    if isinstance(written, int | float):
        try:
            return math.isclose(float(read), float(written), rel_tol=1e-15)
        except (TypeError, ValueError):
            return False
    return True  # free text: pandas may read it as a number, NaN ("NA", "null") or a string


@settings(max_examples=60, deadline=None)
@given(events=event_sequences(max_steps=20))
def test_result_table_csv_reads_back_with_pandas(events):
    events = [roundtrip(e) for e in events]
    table = ResultTable()
    for event in events:
        table.add(event)
    expected = expected_rows(events)
    assert len(table) == len(expected)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.csv.zip"
        write_results_csv(path, table)
        df = pd.read_csv(path)
    if not expected:
        assert len(df) == 0 and list(df.columns) == table.column_names()
        return
    results = [row["event"] for row in expected]
    metric_names = {k for e in results for k in e["result"]}
    all_metric_names = {k for e in events if e["event"] == "result" for k in e["result"]}
    extra_names = {k for e in events if e["event"] == "extra" for k in e["values"]}
    config_names = {f"config_{k}" for row in expected for k in row["config"]}
    columns = set(df.columns)
    assert {"trial_id", "st_tuner_time", "st_status", "st_decision"} <= columns
    assert metric_names | config_names <= columns
    assert columns <= {"trial_id", "st_tuner_time", "st_run", "st_status", "st_decision"} | (
        all_metric_names
        | extra_names
        | {f"config_{k}" for e in events if "config" in e for k in e["config"]}
    )
    assert len(df) == len(expected)
    assert df["trial_id"].tolist() == [e["trial_id"] for e in results]
    assert df["st_decision"].tolist() == [row["decision"] for row in expected]
    for i, row in enumerate(expected):
        assert same_cell(df["st_tuner_time"].iloc[i], row["event"]["st_tuner_time"])
        for key, value in row["event"]["result"].items():
            assert same_cell(df[key].iloc[i], value), (key, df[key].iloc[i], value)
        for key, value in row["config"].items():
            cell = df[f"config_{key}"].iloc[i]
            assert same_cell(cell, value), (key, cell, value)


def test_a_buffered_log_reaches_the_file_at_least_every_fsync_interval(tmp_path):
    """Simulated runs write the log through a buffer; a live reader (the dashboard) still sees
    it at least once per ``fsync_interval``, not only at the tuner's saves."""
    event = {"event": "trial", "trial_id": 0, "config": {"x": 1}}
    slow = EventLog(tmp_path / "slow.jsonl", fsync_interval=3600.0)
    slow.buffered = True
    slow.sync()  # just synced: the next is due in an hour
    slow.append(event)
    assert read_events(tmp_path / "slow.jsonl") == []  # waits in the buffer
    slow.sync()
    assert read_events(tmp_path / "slow.jsonl") == [event]
    due = EventLog(tmp_path / "due.jsonl", fsync_interval=0.0)
    due.buffered = True
    due.append(event)
    assert read_events(tmp_path / "due.jsonl") == [event]
