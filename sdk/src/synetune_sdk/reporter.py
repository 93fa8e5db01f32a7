"""Reporting metrics from a training script: Syne Tune's ``[tune-metric]: {json}`` lines."""

from __future__ import annotations

import json
import sys
import time

from synetune_sdk.constants import (
    MAX_METRIC_LINE_BYTES,
    METRIC_LINE_PREFIX,
    ST_WORKER_ITER,
    ST_WORKER_TIME,
    ST_WORKER_TIMESTAMP,
)
from synetune_sdk.jsonutil import json_default

TYPE_CHECKING = False  # typing costs ~10 ms to import: training scripts should not pay it
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any


class Reporter:
    """Call it once per epoch (or any resource step) with the metrics to report.

    Each call prints one line to stdout and flushes it, so the backend sees it at once::

        report = Reporter()
        report(epoch=3, val_loss=0.25)
        # [tune-metric]: {"epoch": 3, "val_loss": 0.25, "st_worker_timestamp": ..., ...}
    """

    def __init__(self, add_time: bool = True, add_cost: bool = True):
        self.add_time = add_time
        self.add_cost = add_cost
        self.start = time.time()
        self.iter = 0

    def __call__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            if key.startswith("st_"):
                raise ValueError(
                    f"metric name {key!r} is reserved: names starting with 'st_' are added by "
                    "synetune; rename the metric"
                )
            if value is None:
                raise ValueError(f"metric {key!r} is None: report a number or leave it out")
        check_result_values(kwargs)  # the backend would reject the line: say so here
        now = time.time()
        line = dict(kwargs)
        line[ST_WORKER_TIMESTAMP] = now
        if self.add_time:
            line[ST_WORKER_TIME] = now - self.start
        line[ST_WORKER_ITER] = self.iter
        text = json.dumps(line, default=json_default)
        if len(text) >= MAX_METRIC_LINE_BYTES:
            raise ValueError(
                f"reported metrics take {len(text)} bytes once serialised, the limit is "
                f"{MAX_METRIC_LINE_BYTES}: report fewer or smaller values"
            )
        self.iter += 1
        sys.stdout.write(METRIC_LINE_PREFIX + text + "\n")
        sys.stdout.flush()

    report = __call__


def parse_metric_line(line: str) -> dict[str, Any] | None:
    """The metrics of a ``[tune-metric]:`` line; None if the line carries none.

    Raises ``ValueError`` for a line that carries the tag but no valid JSON object, is longer
    than the limit the Reporter enforces, or holds a value that cannot be a float, so a backend
    can count and log it with its trial id instead of crashing or silently ignoring it.
    """
    start = line.find(METRIC_LINE_PREFIX)
    if start < 0:
        return None
    payload = line[start + len(METRIC_LINE_PREFIX) :].strip()
    size = len(payload)
    if size < MAX_METRIC_LINE_BYTES <= 4 * size:  # a character takes up to 4 bytes in UTF-8
        size = len(payload.encode("utf-8", "surrogatepass"))
    if size >= MAX_METRIC_LINE_BYTES:
        raise ValueError(
            f"metric line of {size} bytes is longer than the limit of "
            f"{MAX_METRIC_LINE_BYTES} bytes: {payload[:80]!r}..."
        )
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, too many digits, too deep
        message = getattr(err, "msg", None) or str(err)
        raise ValueError(f"malformed metric line ({message}): {line.strip()[:200]!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"metric line does not carry a JSON object: {line.strip()[:200]!r}")
    check_result_values(value)
    return value


def check_result_values(result: dict[str, Any]) -> None:
    """Raise ``ValueError`` if a reported value is an integer too large to be a float (such a
    value would break every statistic, plot and comparison taken on it)."""
    for value in result.values():
        if type(value) is int and value.bit_length() > 1000:
            for key, value in result.items():
                if type(value) is int and value.bit_length() > 1000:
                    try:
                        float(value)
                    except OverflowError:
                        raise ValueError(
                            f"metric {key!r} is an integer of {value.bit_length()} bits, too "
                            "large to be a float: report a float or a smaller number"
                        ) from None
            return
