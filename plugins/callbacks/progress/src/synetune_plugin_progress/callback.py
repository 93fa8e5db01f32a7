"""Live progress of a tuning run: a rich table on a terminal, plain periodic lines elsewhere.

On a terminal (or in Jupyter) a ``rich.live.Live`` table of the running and recently finished
trials (id, status, resource, metrics, configuration) with a header line (time, counters, best
so far - of several metrics the Pareto front's size and hypervolume -, progress towards the stop
criterion) is redrawn in place at most every
``refresh_interval`` seconds; the tuner's own messages scroll above it. When the output is not
a terminal (CI logs, files, pipes) the same information is written as plain lines every
``print_interval`` seconds and once at the end, without escape codes.

The plugin registers it as a default callback: the tuner creates it (with no arguments) in every
run unless a ``ProgressCallback`` was passed, hands it the run's ``TuningContext`` at the start,
and leaves out its own periodic lines because the class declares ``prints_progress = True``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

from synetune_sdk.callback import Callback
from synetune_sdk.context import TuningContext
from synetune_sdk.trial import SchedulerDecision, Trial

VERBOSE = ("quiet", "normal", "debug")
_FINISHED_SHOWN = 50


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _config_text(config: dict[str, Any], width: int = 60) -> str:
    text = ", ".join(f"{k}={_format(v)}" for k, v in config.items())
    return text if len(text) <= width else text[: width - 3] + "..."


class ProgressCallback(Callback):
    """Show how the run goes while it runs.

    The tuner reads ``prints_progress``: while it is true, the tuner prints no periodic status
    lines of its own. A callback that shows nothing (``verbose="quiet"``) sets it to False on
    itself at the start of the run.

    Args:
        verbose: ``"quiet"`` shows nothing, ``"normal"`` up to ``max_rows`` trials, ``"debug"``
            every running trial; default: the run's ``verbose`` (from the tuning context).
        refresh_interval: seconds between redraws of the live table.
        print_interval: seconds between plain blocks when not on a terminal.
        max_rows: trials shown (running first, then the most recently finished); default 10
            (``"debug"``: all running trials and 10 finished).
        console: a ``rich.console.Console`` to draw on (default: standard output).
        reference_point: of a run with several metrics, the hypervolume's reference point in
            the metrics' units (one value per metric); default: ``nadir + 10% of the range`` of
            the results so far (``synetune_sdk.multiobjective.FrontTracker``).
    """

    prints_progress = True

    def __init__(
        self,
        verbose: str | None = None,
        refresh_interval: float = 1.0,
        print_interval: float = 30.0,
        max_rows: int | None = None,
        console: Any = None,
        reference_point: list[float] | None = None,
    ):
        if verbose is not None and verbose not in VERBOSE:
            raise ValueError(f"verbose must be one of {list(VERBOSE)}, got {verbose!r}")
        if refresh_interval < 0 or print_interval < 0:
            raise ValueError("refresh_interval and print_interval must be >= 0 seconds")
        if max_rows is not None and max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        self.verbose = verbose
        self.level = verbose or "normal"  # the verbosity in effect (set at the start of a run)
        self.refresh_interval = float(refresh_interval)
        self.print_interval = float(print_interval)
        self.max_rows = max_rows
        self.console = console
        self.best: tuple[float, int] | None = None  # (value, trial_id) of the primary metric
        self.reference_point = reference_point
        self.front: Any = None  # of several metrics: a FrontTracker instead of the best
        self.metric_names: list[str] = []
        self.mode = "min"
        self.resource_attr: str | None = None
        self._finished: deque[int] = deque(maxlen=_FINISHED_SHOWN)
        self._context: TuningContext | None = None
        self._live: Any = None
        self._use_live = False
        self._last_draw = 0.0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_context=None, _live=None, console=None)  # terminals do not pickle
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("front", None)  # pickled before fronts were shown
        state.setdefault("reference_point", None)
        self.__dict__.update(state)

    @property
    def active(self) -> bool:
        return self._context is not None

    # ------------------------------------------------------------------------------ hooks
    def on_tuning_start(self, context: TuningContext) -> None:
        level = self.verbose or context.verbose
        self.level = level if level in VERBOSE else "normal"
        # showing nothing, it leaves the tuner its own periodic lines
        self.prints_progress = self.level != "quiet"
        if self.level == "quiet":
            return
        from rich.console import Console

        self._context = context
        scheduler = context.scheduler
        try:
            self.metric_names = list(scheduler.metric_names())
            modes = scheduler.metric_mode()
            self.mode = modes if isinstance(modes, str) else modes[0]
        except NotImplementedError:
            self.metric_names = []
        if len(self.metric_names) > 1 and self.front is None:  # a resumed run keeps its front
            from synetune_sdk.multiobjective import FrontTracker

            self.front = FrontTracker(self.metric_names, modes, self.reference_point)
        self.resource_attr = getattr(scheduler, "resource_attr", None)
        if self.console is None:
            self.console = Console(highlight=False)
        self._last_draw = time.monotonic()
        # the live table starts with the loop, so a failure while setting up leaves the
        # terminal as it was
        self._use_live = bool(self.console.is_terminal or self.console.is_jupyter)

    def _start_live(self) -> None:
        from rich.live import Live

        self._live = Live(
            self._table(),
            console=self.console,
            auto_refresh=False,  # redrawn from the tuning loop: no thread
            redirect_stdout=True,
            redirect_stderr=True,
        )
        self._live.start(refresh=True)

    def on_trial_result(
        self, trial: Trial, status: str, result: dict[str, Any], decision: str
    ) -> None:
        if self.front is not None:
            self.front.add(result, key=trial.trial_id)
        elif self.metric_names:
            value = result.get(self.metric_names[0])
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and not math.isnan(value)
            ):
                if self.best is None or (
                    value < self.best[0] if self.mode == "min" else value > self.best[0]
                ):
                    self.best = (float(value), trial.trial_id)
        if decision in (SchedulerDecision.STOP, SchedulerDecision.PAUSE):
            self._finished.append(trial.trial_id)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self._finished.append(trial.trial_id)

    def on_trial_error(self, trial: Trial) -> None:
        self._finished.append(trial.trial_id)

    def on_loop_end(self) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if self._use_live:
            if self._live is None:
                self._start_live()
            elif now - self._last_draw >= self.refresh_interval:
                self._last_draw = now
                self._live.update(self._table(), refresh=True)
        elif now - self._last_draw >= self.print_interval:
            self._last_draw = now
            self._print_block()

    def on_tuning_end(self) -> None:
        if not self.active:
            return
        try:
            if self._use_live:
                if self._live is None:
                    self._start_live()
                self._live.update(self._table(), refresh=True)
                self._live.stop()
            else:
                self._print_block()
        finally:
            self._live = None
            self._context = None

    # ------------------------------------------------------------------------------ content
    def header(self) -> str:
        """One line: time, trial counters, results, best so far and the stop criterion."""
        context = self._context
        assert context is not None, "on_tuning_start was not called"
        status = context.tuning_status
        parts = [
            f"{status.wallclock_time:.1f}s",
            f"{status.num_trials_running} running, {status.num_trials_completed} completed, "
            f"{status.num_trials_stopped} stopped, {status.num_trials_failed} failed",
            f"{status.num_results} results",
        ]
        limits = []
        criterion = context.stop_criterion
        for attr, value, unit in (
            ("max_wallclock_time", status.wallclock_time, "s"),
            ("max_num_trials_started", status.num_trials_started, " trials started"),
            ("max_num_trials_completed", status.num_trials_completed, " trials completed"),
            ("max_num_evaluations", status.num_results, " results"),
        ):
            limit = getattr(criterion, attr, None)
            if limit is not None:
                limits.append(f"{_format(value)}/{_format(limit)}{unit}")
        if limits:
            parts.append("stop at " + ", ".join(limits))
        if self.front is not None and self.front.size:
            hypervolume = self.front.hypervolume()
            parts.append(f"front {self.front.size} results, hypervolume {hypervolume:.6g}")
        elif self.best is not None:
            parts.append(f"best {self.metric_names[0]}={self.best[0]:.6g} (trial {self.best[1]})")
        return f"synetune {context.name}: " + " | ".join(parts)

    def rows(self) -> list[dict[str, Any]]:
        """The trials shown: running ones first (by id), then the most recently finished."""
        context = self._context
        assert context is not None, "on_tuning_start was not called"
        status = context.tuning_status
        running = sorted(t for t, s in status.trial_status.items() if s == "InProgress")
        if self.level == "debug" and self.max_rows is None:
            room = 10  # every running trial, and 10 finished ones
        else:
            running = running[: self.max_rows or 10]
            room = (self.max_rows or 10) - len(running)
        finished: list[int] = []
        for trial_id in reversed(self._finished):
            if len(finished) >= room:
                break
            if trial_id not in finished and status.trial_status.get(trial_id) != "InProgress":
                finished.append(trial_id)
        out = []
        for trial_id in running + finished:
            result = status.last_results.get(trial_id, {})
            trial = context.trials.get(trial_id)
            resource = self._resource_of(result)
            out.append(
                {
                    "trial_id": trial_id,
                    "status": status.trial_status.get(trial_id, "?"),
                    "resource": None if resource is None else result.get(resource),
                    "metrics": {m: result[m] for m in self.metric_names if m in result},
                    "config": dict(trial.config) if trial is not None else {},
                }
            )
        return out

    def _resource_of(self, result: dict[str, Any]) -> str | None:
        for name in (self.resource_attr, "epoch", "st_worker_iter"):
            if name and name in result:
                return name
        return None

    def _resource_label(self) -> str:
        return self.resource_attr or "epoch"

    def _table(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(expand=False)
        table.add_column("trial", justify="right")
        table.add_column("status")
        table.add_column(self._resource_label(), justify="right")
        for name in self.metric_names:
            table.add_column(name, justify="right")
        table.add_column("config", overflow="ellipsis", no_wrap=True)
        on_front = {key for key, _ in self.front.front} if self.front is not None else set()
        for row in self.rows():
            best = row["trial_id"] in on_front or (
                self.best is not None and row["trial_id"] == self.best[1]
            )
            table.add_row(
                str(row["trial_id"]),
                row["status"],
                "" if row["resource"] is None else _format(row["resource"]),
                *(_format(row["metrics"].get(m, "")) for m in self.metric_names),
                _config_text(row["config"]),
                style="bold green" if best else None,
            )
        return Group(Text(self.header(), style="bold"), table)

    def _print_block(self) -> None:
        lines = [self.header()]
        resource = self._resource_label()
        for row in self.rows():
            values = (
                [f"{resource}={_format(row['resource'])}"] if row["resource"] is not None else []
            )
            values += [f"{k}={_format(v)}" for k, v in row["metrics"].items()]
            head = " ".join([f"  trial {row['trial_id']} [{row['status']}]", *values])
            lines.append(f"{head} | {_config_text(row['config'], 100)}")
        for line in lines:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
