"""Plots of runs with several metrics: the Pareto front of two objectives, the hypervolume over
time, and the reference point that makes several runs comparable.

The maths is ``synetune_sdk.multiobjective`` through ``ExperimentResult.objectives()``,
``pareto_front()`` and ``hypervolume_over_time()``; matplotlib is imported only when drawing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synetune import ExperimentResult
from synetune.plugin_api import finish_figure, new_figure
from synetune_sdk.constants import ST_TUNER_TIME as TIME_COLUMN


def common_reference_point(
    experiments: list[ExperimentResult], reference_point: Any = None
) -> list[float]:
    """One reference point for several runs of the same metrics, in the metrics' units:
    ``reference_point`` checked, else the rule of
    ``synetune_sdk.multiobjective.default_reference_point`` applied to the results of all runs
    together, so that their hypervolumes are on one scale."""
    import numpy as np

    from synetune_sdk.multiobjective import default_reference_point, to_minimization

    first = experiments[0]
    for exp in experiments[1:]:
        if exp.metric_names() != first.metric_names() or exp.metric_mode() != first.metric_mode():
            raise ValueError(
                f"experiments {first.name!r} and {exp.name!r} tune different metrics "
                f"({first.metric_names()} {first.metric_mode()} vs. {exp.metric_names()} "
                f"{exp.metric_mode()}): hypervolumes of different objectives do not compare"
            )
    if reference_point is not None:
        return first.reference_point(reference_point)
    Y = np.vstack([exp.objectives()[1] for exp in experiments])
    # negating the "max" metrics again undoes to_minimization
    return to_minimization(default_reference_point(Y), first.metric_mode())[0].tolist()


def plot_pareto_front(
    exp: ExperimentResult,
    figure_path: str | Path | None = None,
    ax: Any = None,
    show: bool = False,
    **plt_kwargs: Any,
) -> Any:
    """Every usable result of a two-metric run as a dot, its Pareto front as a staircase of
    highlighted points; returns the ``Figure``."""
    names, modes = exp.metric_names(), exp.metric_mode()
    if len(names) != 2:
        raise ValueError(
            f"a Pareto front is drawn for two metrics; {exp.name!r} has {len(names)} "
            f"({names}): plot its hypervolume over time instead"
        )
    rows, _ = exp.objectives()
    if not len(rows):
        raise ValueError(f"experiment {exp.name!r} has no result that reports both {names}")
    fig, ax = new_figure(show, plt_kwargs) if ax is None else (ax.figure, ax)
    x, y = names
    ax.scatter(rows[x], rows[y], s=10, alpha=0.35, color="grey", label="results")
    front = exp.pareto_front().sort_values(x, ascending=modes[0] == "min")
    plt_kwargs.setdefault("color", "C3")
    ax.step(front[x], front[y], where="post", linewidth=1.5, **plt_kwargs)
    ax.scatter(
        front[x], front[y], s=30, zorder=3, label=f"Pareto front ({len(front)})", **plt_kwargs
    )
    ax.set_xlabel(f"{x} ({modes[0]})")
    ax.set_ylabel(f"{y} ({modes[1]})")
    ax.set_title(f"{exp.name}: Pareto front")
    ax.grid(alpha=0.3)
    ax.legend()
    return finish_figure(fig, figure_path, show)


def plot_hypervolume(
    exp: ExperimentResult,
    reference_point: Any = None,
    figure_path: str | Path | None = None,
    ax: Any = None,
    show: bool = False,
    **plt_kwargs: Any,
) -> Any:
    """The hypervolume of the results so far against the tuner's time (reference point: the
    given one, in the metrics' units, else ``exp.reference_point()``); returns the ``Figure``."""
    curve = exp.hypervolume_over_time(reference_point)
    if not len(curve):
        raise ValueError(f"experiment {exp.name!r} has no result reporting {exp.metric_names()}")
    point = exp.reference_point(reference_point)
    fig, ax = new_figure(show, plt_kwargs) if ax is None else (ax.figure, ax)
    end = max(float(exp.results[TIME_COLUMN].max()), float(curve[TIME_COLUMN].iloc[-1]))
    times = [*curve[TIME_COLUMN].tolist(), end]
    values = [*curve["hypervolume"].tolist(), curve["hypervolume"].iloc[-1]]
    plt_kwargs.setdefault("linewidth", 2)
    ax.step(times, values, where="post", **plt_kwargs)
    ax.set_xlabel(exp.time_label())
    ax.set_ylabel("hypervolume")
    ref = ", ".join(f"{v:.4g}" for v in point)
    ax.set_title(f"{exp.name}: hypervolume so far (reference point {ref})", fontsize="medium")
    ax.grid(alpha=0.3)
    return finish_figure(fig, figure_path, show)


def plot_multiobjective(
    exp: ExperimentResult,
    figure_path: str | Path | None = None,
    reference_point: Any = None,
    show: bool = False,
) -> Any:
    """What ``synetune experiments plot`` draws of a run with several metrics: its Pareto front
    (two metrics) beside its hypervolume over time (any number)."""
    from matplotlib.figure import Figure

    two = len(exp.metric_names()) == 2
    if show:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(14 if two else 8, 5), dpi=100)
    else:
        fig = Figure(figsize=(14 if two else 8, 5), dpi=100)
    axes = fig.subplots(1, 2 if two else 1, squeeze=False)[0]
    if two:
        plot_pareto_front(exp, ax=axes[0])
    plot_hypervolume(exp, reference_point, ax=axes[-1])
    return finish_figure(fig, figure_path, show)
