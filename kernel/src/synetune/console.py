"""What the tuner prints, and the best result so far that its lines and ``best_config`` show.

Kept apart from the loop so that the loop reads as decisions only. ``verbose`` is "quiet"
(errors only), "normal" (start, trial ends, a status line every ``print_update_interval``) or
"debug" (every trial start and result).
"""

from __future__ import annotations

import math
import sys
from typing import Any

VERBOSITY = {"quiet": 0, "normal": 1, "debug": 2}


def say(verbose: str, level: int, message: Any) -> None:
    """Print ``message`` (a string, or a callable building it only when it is shown); level 0
    goes to stderr and is shown even when quiet."""
    if VERBOSITY[verbose] >= level:
        text = message() if callable(message) else message
        print(text, file=sys.stdout if level else sys.stderr, flush=True)


def summary(result: dict[str, Any], metric_names: list[str]) -> str:
    """``name=value`` of the metrics of ``result`` (every non-``st_`` key if none is named)."""
    names = metric_names or [k for k in result if not k.startswith("st_")]
    return ", ".join(
        f"{k}={result[k]:.6g}" if isinstance(result.get(k), float) else f"{k}={result.get(k)}"
        for k in names
        if k in result
    )


class BestTracker:
    """The best value per metric as results arrive (no scan over past results)."""

    def __init__(self, modes: dict[str, str]):
        self.modes = modes
        self.best: dict[str, tuple[int, float]] = {}

    def update(self, trial_id: int, result: dict[str, Any]) -> None:
        for name, mode in self.modes.items():
            value = result.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
                continue
            best = self.best.get(name)
            if best is None or (value < best[1] if mode == "min" else value > best[1]):
                self.best[name] = (trial_id, float(value))

    def get(self, name: str) -> tuple[int, float] | None:
        return self.best.get(name)

    def text(self, name: str | None) -> str:
        best = self.best.get(name) if name else None
        if best is None:
            return ""
        return f" | best {name}={best[1]:.6g} (trial {best[0]})"
