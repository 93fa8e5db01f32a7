"""Property-based tests of the metric-line protocol: ``Reporter`` output and ``parse_metric_line``.

A training script's stdout is attacker-controlled input for the backend that reads it: whatever
it prints, parsing either returns a dict, returns None (no tag) or raises ``ValueError``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from synetune_sdk.constants import (
    MAX_METRIC_LINE_BYTES,
    METRIC_LINE_PREFIX,
    ST_WORKER_ITER,
    ST_WORKER_TIME,
    ST_WORKER_TIMESTAMP,
)
from synetune_sdk.reporter import Reporter, parse_metric_line

FAST = settings(max_examples=150, deadline=None)

scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**1023), max_value=2**1023),
    st.booleans(),
    st.text(max_size=30),
)
metric_names = st.text(min_size=1, max_size=12).filter(lambda k: not k.startswith("st_"))
metrics = st.dictionaries(metric_names, scalars, max_size=8)


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN, floats compared exactly (sign of zero included)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return type(a) is type(b) and a == b


def printed(reporter: Reporter, values: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        reporter(**values)
    return out.getvalue()


@FAST
@given(reports=st.lists(metrics, min_size=1, max_size=3), add_time=st.booleans())
def test_reported_metrics_parse_back_equal(reports, add_time):
    reporter = Reporter(add_time=add_time)
    for iteration, values in enumerate(reports):
        text = printed(reporter, values)
        assert text.startswith(METRIC_LINE_PREFIX) and text.endswith("\n")
        assert text.count("\n") == 1  # one line, whatever the values hold
        parsed = parse_metric_line(text)
        assert parsed is not None
        worker_keys = [ST_WORKER_TIMESTAMP, *([ST_WORKER_TIME] if add_time else []), ST_WORKER_ITER]
        assert list(parsed) == [*values, *worker_keys]  # keys kept, in order
        for key, value in values.items():
            assert same(parsed[key], value), (key, parsed[key], value)
        assert parsed[ST_WORKER_ITER] == iteration
        assert isinstance(parsed[ST_WORKER_TIMESTAMP], float)


@FAST
@given(
    value=st.builds(
        lambda sign, exponent, offset: sign * (2**exponent + offset),
        st.sampled_from([1, -1]),
        st.integers(min_value=1024, max_value=12_000),
        st.integers(min_value=-(2**900), max_value=2**900),
    )
)
def test_integers_too_large_for_a_float_are_rejected(value):
    line = METRIC_LINE_PREFIX + json.dumps({"loss": 1.0, "big": value})
    with pytest.raises(ValueError, match="big"):
        parse_metric_line(line)
    with pytest.raises(ValueError, match="big"):  # and the script hears of it at once
        printed(Reporter(), {"big": value})


@FAST
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="replace")),
    )
)
def test_arbitrary_text_returns_none_without_the_tag(text):
    assume(METRIC_LINE_PREFIX not in text)
    assert parse_metric_line(text) is None


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


@FAST
@given(
    before=st.text(max_size=20),
    garbage=st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="replace")),
        st.builds(json.dumps, st.one_of(st.lists(st.integers()), st.text(), st.floats())),
    ),
)
def test_tag_followed_by_garbage_raises_value_error(before, garbage):
    assume(not _is_json_object(garbage.strip()))
    with pytest.raises(ValueError):
        parse_metric_line(before + METRIC_LINE_PREFIX + garbage)


@FAST
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda b: b.decode("utf-8", errors="replace")),
    ),
    cut=st.integers(min_value=0, max_value=300),
)
def test_anything_after_the_tag_parses_or_raises_value_error(text, cut):
    line = text[:cut] + METRIC_LINE_PREFIX + text[cut:]
    try:
        parsed = parse_metric_line(line)
    except ValueError:
        return
    assert isinstance(parsed, dict)


@settings(max_examples=25, deadline=None)
@given(
    extra=st.integers(min_value=0, max_value=200),
    char=st.sampled_from(["a", "é", "€", "𝄞", "\\u00e9"]),
)
def test_payloads_at_or_above_the_limit_raise(extra, char):
    # the limit is in bytes of the payload as read: multi-byte characters count for each byte
    head, tail = '{"v": "', '"}'
    body_bytes = MAX_METRIC_LINE_BYTES + extra - len(head) - len(tail)
    count = -(-body_bytes // len(char.encode()))
    payload = head + char * count + tail
    assert len(payload.encode()) >= MAX_METRIC_LINE_BYTES
    with pytest.raises(ValueError):
        parse_metric_line(METRIC_LINE_PREFIX + payload)


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(min_value=1000, max_value=MAX_METRIC_LINE_BYTES // 2 - 10))
def test_deeply_nested_payloads_raise_value_error(depth):
    payload = '{"v": ' + "[" * depth + "]" * depth + "}"
    try:
        parsed = parse_metric_line(METRIC_LINE_PREFIX + payload)
    except ValueError:
        return
    assert isinstance(parsed, dict)


def test_a_payload_just_below_the_limit_parses():
    head, tail = '{"v": "', '"}'
    payload = head + "é" * ((MAX_METRIC_LINE_BYTES - 1 - len(head) - len(tail)) // 2) + tail
    assert len(payload.encode()) < MAX_METRIC_LINE_BYTES
    assert parse_metric_line(METRIC_LINE_PREFIX + payload) == json.loads(payload)
