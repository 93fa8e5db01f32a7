"""A study's report: per benchmark the best value so far (hypervolume for several objectives)
over time per method, normalized regret and average rank over time across benchmarks, and a
table of final value, time to reach a target and rank, as PNG plots, markdown and CSV.

Per benchmark the curves come from ``synetune_plugin_compare.compare_experiments`` (one time
grid from 0 to the longest run's end). Across benchmarks the time axis is the fraction of each
benchmark's horizon, since benchmarks run on different clocks. Normalized regret maps the best
value of the benchmark (its known ``optimum`` if defined, else the best any run found) to 0 and
the worst value any run reported to 1. Ranks are taken per seed (1 = best; methods that have not
reported yet rank last) and averaged over seeds, then over benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synetune_plugin_study.study import Study, load_study


@dataclass
class BenchmarkCurves:
    """One benchmark's runs on one time grid: per method ``values`` (seeds x times)."""

    name: str
    label: str  # what the values are: "best y (min)", "hypervolume (max)"
    mode: str
    times: Any
    time_label: str
    seeds: dict[str, list[int]]
    values: dict[str, Any]
    regret: dict[str, Any] = field(default_factory=dict)
    rank: dict[str, Any] = field(default_factory=dict)


@dataclass
class StudyReport:
    table: Any  # pandas DataFrame: one row per benchmark and method, plus "(all)" rows
    markdown: str
    files: list[Path]
    curves: list[BenchmarkCurves]


def finished_runs(study: Study, benchmark: str) -> list[Any]:
    """The benchmark's finished runs; one not in ``$SYNETUNE_FOLDER`` (run elsewhere, e.g. on
    SageMaker) is asked for from the experiment stores (``load_experiment`` by name)."""
    from synetune import load_experiment

    out = []
    for combo in study.combinations(benchmarks=[benchmark]):
        try:
            if combo.state() == "missing":
                with _store_settings(study):
                    load_experiment(combo.tuner_name)  # fetched into $SYNETUNE_FOLDER
            if combo.state() == "finished":
                out.append(load_experiment(combo.folder()))
        except Exception:  # noqa: S112 - not found anywhere, or a run with other settings
            continue
    return out


@contextmanager
def _store_settings(study: Study) -> Iterator[None]:
    """The S3 store reads ``$SYNETUNE_S3_PATH`` (and boto3 ``$AWS_ENDPOINT_URL``): the study
    file's ``[sagemaker]`` ``s3_path``/``endpoint_url`` stand in for them when they are unset."""
    import os

    given = {"SYNETUNE_S3_PATH": "s3_path", "AWS_ENDPOINT_URL": "endpoint_url"}
    added = [
        env for env, key in given.items() if study.sagemaker.get(key) and env not in os.environ
    ]
    for env in added:
        os.environ[env] = str(study.sagemaker[given[env]])
    try:
        yield
    finally:
        for env in added:
            os.environ.pop(env, None)


def benchmark_curves(study: Study, benchmark: str, num_points: int) -> BenchmarkCurves | None:
    """The benchmark's finished runs as curves per method, or None without finished runs.

    Several metrics are compared by hypervolume so far, up to one reference point for all runs
    of the benchmark (``compare_experiments`` picks it)."""
    from synetune_plugin_compare import compare_experiments

    runs = finished_runs(study, benchmark)
    if not runs:
        return None
    bench = study.benchmarks[benchmark]
    comparison = compare_experiments(
        runs, metric="hypervolume" if bench.multi_objective else bench.metric, method="method"
    )
    curves = comparison.curves(num_points=num_points)
    label = comparison.metric if bench.multi_objective else f"best {comparison.metric}"
    return BenchmarkCurves(
        benchmark,
        f"{label} ({comparison.mode})",
        comparison.mode,
        curves[0].times,
        comparison.time_label(),
        {c.method: list(c.seeds) for c in curves},
        {c.method: c.values for c in curves},
    )


def add_regret_and_rank(curves: BenchmarkCurves, optimum: float | None) -> None:
    import numpy as np
    import pandas as pd

    every = np.concatenate([v.ravel() for v in curves.values.values()])
    every = every[np.isfinite(every)]
    sign = 1.0 if curves.mode == "min" else -1.0  # regret is computed as if minimising
    best = sign * optimum if optimum is not None else float((sign * every).min())
    worst = float((sign * every).max())
    span = worst - best if worst > best else 1.0
    for method, values in curves.values.items():
        curves.regret[method] = np.clip((sign * values - best) / span, 0.0, 1.0)
    methods = list(curves.values)
    common = sorted(set.intersection(*(set(s) for s in curves.seeds.values())))
    ranks = {m: [] for m in methods}
    for seed in common:
        table = pd.DataFrame(
            {m: curves.regret[m][curves.seeds[m].index(seed)] for m in methods}
        ).rank(axis=1, na_option="bottom")
        for m in methods:
            ranks[m].append(table[m].to_numpy())
    for m in methods:
        curves.rank[m] = (
            np.mean(ranks[m], axis=0) if ranks[m] else np.full(len(curves.times), np.nan)
        )


def _band(ax: Any, x: Any, runs: Any, label: str) -> None:
    import numpy as np

    mean = np.nanmean(runs, axis=0)
    n = np.maximum(np.sum(np.isfinite(runs), axis=0), 1)
    half = 1.96 * np.nanstd(runs, axis=0, ddof=1) / np.sqrt(n) if runs.shape[0] > 1 else 0
    line = ax.plot(x, mean, label=f"{label} ({runs.shape[0]} runs)")
    ax.fill_between(x, mean - half, mean + half, alpha=0.2, color=line[0].get_color())


def _plot(path: Path, title: str, xlabel: str, ylabel: str, lines: dict[str, tuple]) -> Path:
    from synetune.plugin_api import finish_figure, new_figure

    fig, ax = new_figure()
    for label, (x, runs) in lines.items():
        _band(ax, x, runs, label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    finish_figure(fig, path)
    return path


def study_report(
    study_file: str | Path, output: str | Path, num_points: int = 100, image_format: str = "png"
) -> StudyReport:
    """Write the study's plots (``image_format``: png, svg or pdf) and tables into ``output``
    and return them."""
    import warnings

    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"image_format={image_format!r}: use one of {', '.join(IMAGE_FORMATS)}")
    with warnings.catch_warnings():  # NaN means before a method's first result are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        return _report(study_file, output, num_points, image_format)


IMAGE_FORMATS = ("png", "svg", "pdf")


def _report(
    study_file: str | Path, output: str | Path, num_points: int, image_format: str
) -> StudyReport:
    import numpy as np
    import pandas as pd

    study = load_study(study_file)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    target = float(study.report.get("target_regret", 0.1))
    files: list[Path] = []
    rows: list[dict[str, Any]] = []
    all_curves: list[BenchmarkCurves] = []
    for name, bench in study.benchmarks.items():
        curves = benchmark_curves(study, name, num_points)
        if curves is None:
            continue
        optimum = None if bench.multi_objective else bench.optimum
        add_regret_and_rank(curves, optimum)
        all_curves.append(curves)
        lines = {m: (curves.times, v) for m, v in curves.values.items()}
        files.append(
            _plot(output / f"{name}.{image_format}", name, curves.time_label, curves.label, lines)
        )
        for method, values in curves.values.items():
            mean_regret = np.nanmean(curves.regret[method], axis=0)
            reached = np.nonzero(mean_regret <= target)[0]
            finals = values[:, -1]
            rows.append(
                {
                    "benchmark": name,
                    "method": method,
                    "runs": values.shape[0],
                    "final_mean": float(np.nanmean(finals)),
                    "final_std": float(np.nanstd(finals, ddof=1)) if len(finals) > 1 else 0.0,
                    "final_regret": float(mean_regret[-1]),
                    "time_to_target": float(curves.times[reached[0]]) if len(reached) else None,
                    "final_rank": float(curves.rank[method][-1]),
                }
            )
    if not all_curves:
        from synetune_plugin_study.study import StudyError

        raise StudyError(f"study {study.name!r} has no finished run yet: synetune study run it")
    fraction = np.linspace(0.0, 1.0, num_points)
    methods = list(dict.fromkeys(m for c in all_curves for m in c.values))
    regret_lines, rank_lines = {}, {}
    for m in methods:
        with_m = [c for c in all_curves if m in c.values]
        regret_lines[m] = (fraction, np.vstack([np.nanmean(c.regret[m], axis=0) for c in with_m]))
        rank_lines[m] = (fraction, np.vstack([c.rank[m] for c in with_m]))
        rows.append(
            {
                "benchmark": "(all)",
                "method": m,
                "runs": int(sum(c.values[m].shape[0] for c in with_m)),
                "final_regret": float(np.nanmean(regret_lines[m][1][:, -1])),
                "final_rank": float(np.nanmean(rank_lines[m][1][:, -1])),
            }
        )
    axis = "fraction of each benchmark's time budget"
    across = f"over {len(all_curves)} benchmark(s)"
    files.append(
        _plot(
            output / f"regret.{image_format}",
            f"normalized regret {across}",
            axis,
            "regret",
            regret_lines,
        )
    )
    files.append(
        _plot(output / f"rank.{image_format}", f"average rank {across}", axis, "rank", rank_lines)
    )
    table = pd.DataFrame(rows)
    table.to_csv(output / "summary.csv", index=False)
    markdown = (
        f"# Study {study.name}\n\n"
        f"time_to_target: first time the mean normalized regret is <= {target}; final_rank: "
        "average rank at the end (1 = best).\n\n" + _markdown_table(table) + "\n"
    )
    (output / "summary.md").write_text(markdown)
    files += [output / "summary.csv", output / "summary.md"]
    return StudyReport(table, markdown, files, all_curves)


def _markdown_table(table: Any) -> str:
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "-"
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body])
