"""Several experiments grouped by method (and seed): the mean and spread of their best value so
far against time, as Syne Tune's ``ComparativeResults`` does; of runs with several metrics, of
their hypervolume so far (on one reference point for all runs).

``compare_experiments(names)`` loads the experiments (names, shell patterns, folders or loaded
``ExperimentResult``s) and gives an ``ExperimentComparison``: ``curves()`` (one ``MethodCurve``
per method), ``summary()`` and ``plot()``. numpy and pandas are imported when computing,
matplotlib only when plotting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synetune import ExperimentResult, list_experiments, load_experiment
from synetune.plugin_api import finish_figure, new_figure
from synetune_sdk.constants import ST_TUNER_TIME as TIME_COLUMN

AGGREGATES = ("mean_and_ci", "mean_and_std", "median_percentiles")
HYPERVOLUME = "hypervolume"


@dataclass
class MethodCurve:
    """Best value so far of the runs of one method on a shared time grid, and its aggregate."""

    method: str
    seeds: list[Any]
    times: Any  # shape (T,)
    values: Any  # shape (runs, T), NaN before a run's first result
    center: Any
    lower: Any
    upper: Any


@dataclass
class ExperimentComparison:
    """Several experiments grouped by method; each experiment is one run (one seed).

    ``curves()`` puts every run's best value so far on a shared time grid and aggregates per
    method; ``summary()`` tabulates the final values; ``plot()`` draws them.
    """

    experiments: list[ExperimentResult]
    metric: str
    mode: str
    method_of: Callable[[ExperimentResult], str]
    reference_point: list[float] | None = None  # set: compare by hypervolume (metric HYPERVOLUME)

    def groups(self) -> dict[str, list[ExperimentResult]]:
        out: dict[str, list[ExperimentResult]] = {}
        for exp in self.experiments:
            out.setdefault(self.method_of(exp), []).append(exp)
        return out

    def time_label(self) -> str:
        """The time axis: ``simulated time (s)`` when every run was on a simulator backend,
        ``wallclock time (s)`` when none was, else says it mixes both."""
        labels = {exp.time_label() for exp in self.experiments}
        return labels.pop() if len(labels) == 1 else "time (s), simulated and wallclock"

    def curves(self, num_points: int = 200, aggregate: str = "mean_and_ci") -> list[MethodCurve]:
        """Per method: every run's best value so far at ``num_points`` times from 0 to the
        longest run's end, aggregated with ``aggregate``: ``mean_and_ci`` (mean and 95%
        confidence interval of the mean), ``mean_and_std`` or ``median_percentiles`` (median,
        25th and 75th percentiles). The aggregate starts once every run of the method has
        reported (NaN before); a finished run keeps its final value."""
        import numpy as np

        if aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {list(AGGREGATES)}, got {aggregate!r}")
        steps = {exp.name: self.so_far(exp) for exp in self.experiments}
        end = max((float(s[TIME_COLUMN].max()) for s in steps.values() if len(s)), default=0.0)
        times = np.linspace(0.0, end, max(2, int(num_points)))
        out = []
        for method, runs in self.groups().items():
            values = np.full((len(runs), times.size), np.nan)
            for row, exp in enumerate(runs):
                step = steps[exp.name]
                if len(step) == 0:
                    continue
                position = np.searchsorted(step[TIME_COLUMN].to_numpy(), times, side="right") - 1
                known = position >= 0
                values[row, known] = step[self.metric].to_numpy()[position[known]]
            center, lower, upper = _aggregate(values, aggregate)
            out.append(
                MethodCurve(
                    method, [exp.seed() for exp in runs], times, values, center, lower, upper
                )
            )
        return out

    def so_far(self, exp: ExperimentResult) -> Any:
        """``(st_tuner_time, <metric>)`` of one run: its best value so far, or of a comparison
        by hypervolume its hypervolume so far up to the common ``reference_point``."""
        if self.reference_point is None:
            return exp.best_so_far(self.metric)
        curve = exp.hypervolume_over_time(self.reference_point)
        return curve.rename(columns={"hypervolume": self.metric})

    def summary(self) -> Any:
        """One row per method: runs, seeds, mean, std, best and worst of the final best value."""
        import numpy as np
        import pandas as pd

        rows = []
        for method, runs in self.groups().items():
            finals = np.array([_last(self.so_far(exp)[self.metric]) for exp in runs], dtype=float)
            rows.append(
                {
                    "method": method,
                    "runs": len(runs),
                    "seeds": [exp.seed() for exp in runs],
                    f"mean_{self.metric}": finals.mean(),
                    f"std_{self.metric}": finals.std(ddof=1) if len(finals) > 1 else 0.0,
                    f"best_{self.metric}": finals.min() if self.mode == "min" else finals.max(),
                    f"worst_{self.metric}": finals.max() if self.mode == "min" else finals.min(),
                }
            )
        table = pd.DataFrame(rows)
        return table.sort_values(f"mean_{self.metric}", ascending=self.mode == "min").reset_index(
            drop=True
        )

    def plot(
        self,
        figure_path: str | Path | None = None,
        aggregate: str = "mean_and_ci",
        num_points: int = 200,
        title: str | None = None,
        show: bool = False,
        **plt_kwargs: Any,
    ) -> Any:
        """Plot each method's aggregated best value so far against time, with its spread."""
        fig, ax = new_figure(show, plt_kwargs)
        for curve in self.curves(num_points=num_points, aggregate=aggregate):
            line = ax.plot(
                curve.times,
                curve.center,
                label=f"{curve.method} ({len(curve.seeds)} runs)",
                **plt_kwargs,
            )
            ax.fill_between(
                curve.times, curve.lower, curve.upper, alpha=0.2, color=line[0].get_color()
            )
        ax.set_xlabel(self.time_label())
        what = self.metric if self.reference_point is not None else f"best {self.metric}"
        ax.set_ylabel(what if self.reference_point is not None else f"{what} ({self.mode})")
        ax.set_title(title or f"{what} so far ({aggregate.replace('_', ' ')})")
        ax.grid(alpha=0.3)
        ax.legend()
        return finish_figure(fig, figure_path, show)


def compare_experiments(
    experiments: Iterable[str | Path | ExperimentResult],
    metric: str | int | None = None,
    method: str | Callable[[ExperimentResult], str] | None = None,
    root: str | Path | None = None,
    reference_point: Any = None,
) -> ExperimentComparison:
    """Group experiments (names, folders or loaded results) by method for comparison.

    ``metric`` is a metric name or index (by default the first metric), or ``"hypervolume"``:
    runs with several metrics are compared by hypervolume so far, and are by default. Its
    ``reference_point`` (in the metrics' units) defaults to ``common_reference_point`` of all
    runs. ``method`` says what a run's method is: a metadata key (``"scheduler_name"``), a
    function of the ``ExperimentResult``, or by default ``ExperimentResult.method()``
    (metadata ``method``, else the scheduler's name). Names may be shell patterns (``"asha-*"``).
    """
    loaded: list[ExperimentResult] = []
    for item in experiments:
        if isinstance(item, ExperimentResult):
            loaded.append(item)
        elif isinstance(item, str) and any(c in item for c in "*?["):
            matches = list_experiments(root, pattern=item)
            if not matches:
                raise FileNotFoundError(f"no experiment matches {item!r}")
            loaded.extend(load_experiment(name, root=root) for name in matches)
        else:
            loaded.append(load_experiment(item, root=root))
    if not loaded:
        raise ValueError("compare_experiments needs at least one experiment")
    names = loaded[0].metric_names()
    if metric is None:
        metric = HYPERVOLUME if len(names) > 1 else 0
    if metric == HYPERVOLUME and HYPERVOLUME not in names:
        from synetune_plugin_compare.multiobjective import common_reference_point

        point = common_reference_point(loaded, reference_point)
        return ExperimentComparison(loaded, HYPERVOLUME, "max", _method_of(method), point)
    metric_name, mode = loaded[0].metric_and_mode(metric)
    for exp in loaded:
        if len(exp.results) == 0 or metric_name not in exp.results.columns:
            raise ValueError(f"experiment {exp.name!r} has no result for metric {metric_name!r}")
    return ExperimentComparison(loaded, metric_name, mode, _method_of(method))


def _method_of(method: Any) -> Callable[[ExperimentResult], str]:
    if method is None:
        return ExperimentResult.method
    if isinstance(method, str):
        return lambda exp: str(exp.metadata.get(method, exp.method()))
    return method


def _last(values: Any) -> float:
    return float(values.iloc[-1]) if len(values) else float("nan")


def _aggregate(values: Any, aggregate: str) -> tuple[Any, Any, Any]:
    """Center and band over runs (rows) per time (column). A time before some run's first
    result gets NaN: averaging only the runs that already reported would make the curve jump
    up whenever a late run arrives with its first, poor value."""
    import numpy as np

    if aggregate == "median_percentiles":
        center, lower, upper = np.percentile(values, [50, 25, 75], axis=0)
    else:
        runs = values.shape[0]
        center = values.mean(axis=0)
        std = values.std(axis=0, ddof=1) if runs > 1 else np.zeros(values.shape[1])
        half = std if aggregate == "mean_and_std" else 1.96 * std / np.sqrt(runs)
        lower, upper = center - half, center + half
    return center, lower, upper
