"""What the tuner prints, and the best result so far that its lines and ``best_config`` show."""

# Kept apart from the loop so that the loop reads as decisions only. ``verbose`` is "quiet"
# (errors only), "normal" (start, trial ends, a status line every ``print_update_interval``) or
# "debug" (every trial start and result).

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


def failed_line(trial_id: int, failures: int, max_failures: int) -> str:
    """The start of the line about a failed trial: failures so far, and when the run stops."""
    return (
        f"synetune: trial {trial_id} failed ({failures} failure{'' if failures == 1 else 's'} "
        f"so far; the run stops after more than max_failures={max_failures})"
    )


def trial_counts(trial_status: dict[int, str]) -> str:
    """``"5 trials (3 completed, 1 failed, 1 in progress)"``: every trial started, by current
    status (as ``synetune experiments show`` counts them, from the same statuses)."""
    counts: dict[str, int] = {}
    for status in trial_status.values():
        counts[status] = counts.get(status, 0) + 1
    label = {"InProgress": "in progress"}
    by_status = ", ".join(f"{n} {label.get(s, s.lower())}" for s, n in sorted(counts.items()))
    return f"{len(trial_status)} trials" + (f" ({by_status})" if by_status else "")


def status_line(status: Any, simulated: bool) -> str:
    """The periodic line: time on the backend's clock, trials by status, results."""
    clock = "simulated time" if simulated else "elapsed"
    return (
        f"synetune: {status.wallclock_time:.1f}s {clock}, {trial_counts(status.trial_status)}, "
        f"{status.num_results} results"
    )


def ending(tuner: Any, interrupted: bool) -> tuple[int, str]:
    """``(level, text)`` of the tuner's last line: where the results are; after Ctrl-C (to
    stderr, even when quiet) that the run was interrupted and how to continue it."""
    from synetune import results as store

    if interrupted:
        here = tuner.tuner_path == store.experiment_path(tuner.name)
        return 0, (
            f"synetune: {tuner.name!r} was interrupted; its trials were stopped and the results "
            f"so far are saved in {tuner.tuner_path}\nsynetune: continue it with: synetune "
            f"resume {tuner.name if here else tuner.tuner_path}"
        )
    clock = " simulated time" if tuner._simulated else ""
    return 1, (
        f"synetune: finished {tuner.name!r} after {tuner.tuning_status.wallclock_time:.1f}s"
        f"{clock}{tuner._best_text()}; results in {tuner.tuner_path}"
    )


class BestTracker:
    """The best value per metric as results arrive (no scan over past results); with a
    ``constraint_attr``, of the feasible results only (that value <= 0)."""

    def __init__(self, modes: dict[str, str], constraint_attr: str | None = None):
        self.modes = modes
        self.constraint_attr = constraint_attr
        self.best: dict[str, tuple[int, float]] = {}

    def update(self, trial_id: int, result: dict[str, Any]) -> None:
        attr = getattr(self, "constraint_attr", None)  # None in trackers pickled before
        constraint = result.get(attr, math.nan) if attr is not None else 0.0
        if not isinstance(constraint, int | float) or isinstance(constraint, bool):
            return  # no (numeric) constraint value: not feasible
        if not constraint <= 0:  # infeasible (NaN included): never the best
            return
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
