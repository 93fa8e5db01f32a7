"""Reading finished (or interrupted) experiments back, summarising and plotting them."""

# ``load_experiment(name)`` gives an ``ExperimentResult``: the results table, metadata, trial
# statuses, the best trial, configuration and checkpoint, and plots (best value so far against
# time, learning curves per trial). Comparing several experiments is the plugin
# ``synetune-plugin-compare`` (``compare_experiments``). matplotlib is imported only when
# plotting.

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from synetune import results as store

logger = logging.getLogger(__name__)

TIME_COLUMN = "st_tuner_time"


@dataclass
class ExperimentResult:
    """One experiment folder: ``results`` (a pandas DataFrame, one row per reported result),
    ``metadata`` (``metadata.json``), ``trial_status`` (last status of each trial, from the
    event log) and, if asked for, the saved ``tuner``."""

    name: str
    path: Path
    results: Any
    metadata: dict[str, Any]
    tuner: Any = None
    trial_status: dict[int, str] = field(default_factory=dict)

    # ------------------------------------------------------------------------------ metadata
    def metric_names(self) -> list[str]:
        return list(self.metadata.get("metric_names", []))

    def metric_mode(self) -> str | list[str]:
        """``min`` or ``max``; a list with one mode per metric when there are several."""
        mode, n = self.metadata.get("metric_mode", "min"), len(self.metric_names())
        return [mode] * n if isinstance(mode, str) and n > 1 else mode

    def creation_date(self) -> datetime | None:
        stamp = self.metadata.get("st_tuner_creation_timestamp")
        return datetime.fromtimestamp(stamp) if isinstance(stamp, int | float) else None

    def entrypoint_name(self) -> str | None:
        # the training script's name, or the tuned function's (the python backend's entry point)
        entry = self.metadata.get("entrypoint")
        if not entry:
            return None
        return Path(entry).stem if entry.endswith(".py") or os.sep in entry else entry

    def time_label(self) -> str:
        """Of the time axis: ``simulated time (s)`` if the backend (metadata ``backend``, its
        class name) is a simulator (``*Simulator*``), else ``wallclock time (s)``."""
        simulated = "Simulator" in str(self.metadata.get("backend") or "")
        return f"{'simulated' if simulated else 'wallclock'} time (s)"

    def method(self) -> str:
        """How comparisons label this run: metadata ``method`` (pass it with
        ``Tuner(metadata={"method": ...})``), else the scheduler's class name."""
        return str(self.metadata.get("method") or self.metadata.get("scheduler_name") or self.name)

    def seed(self) -> Any:
        """Metadata ``seed`` if the user stored one, else the scheduler's ``random_seed``."""
        return self.metadata.get("seed", self.metadata.get("random_seed"))

    def metric_and_mode(self, metric: str | int) -> tuple[str, str]:
        """The metric's name (``metric`` itself, or the name at that index of ``metric_names()``)
        and its mode (``min`` or ``max``)."""
        names = self.metric_names()
        if isinstance(metric, int):
            if not names:
                raise ValueError("metadata.json names no metric: pass the metric name")
            metric = names[metric]
        modes = self.metric_mode()
        return metric, modes if isinstance(modes, str) else dict(zip(names, modes)).get(
            metric, "min"
        )

    # ------------------------------------------------------------------------------ answers
    def best_trial(self, metric: str | int = 0) -> dict[str, Any]:
        """The row (a dict) holding the best reported value of ``metric``; of a run under a
        constraint (metadata ``constraint_attr``), the best of the feasible rows
        (constraint <= 0)."""
        metric, mode = self.metric_and_mode(metric)
        df = self.results
        if df is None or len(df) == 0 or metric not in df.columns:
            raise ValueError(f"experiment {self.name!r} has no result for metric {metric!r}")
        values = df[metric].astype(float).where(self._feasible(df))
        if values.isna().all():
            feasible = " feasible" if self.metadata.get("constraint_attr") else ""
            raise ValueError(f"experiment {self.name!r} has no{feasible} value for {metric!r}")
        return df.loc[values.idxmin() if mode == "min" else values.idxmax()].to_dict()

    def _feasible(self, df: Any) -> Any:
        # per row: whether it meets the run's constraint (metadata constraint_attr <= 0)
        attr = self.metadata.get("constraint_attr")
        if not attr:
            return df.index == df.index
        return df[attr].astype(float).le(0).to_numpy() if attr in df else df.index != df.index

    def best_config(self, metric: str | int = 0) -> dict[str, Any]:
        """The best trial's configuration (``config_`` prefixes removed), with its trial id and
        metric value under ``trial_id`` and the metric's name. Of several metrics, it ranks by
        ``metric`` alone (the first by default), as Syne Tune does: see ``pareto_front()``."""
        row = self.best_trial(metric)
        metric_name, _ = self.metric_and_mode(metric)
        config = {k[len("config_") :]: v for k, v in row.items() if k.startswith("config_")}
        return {"trial_id": int(row["trial_id"]), metric_name: row[metric_name], **config}

    def best_checkpoint(self, metric: str | int = 0) -> Path:
        """Folder of the best trial's checkpoint (what its training script saved last), or
        ``FileNotFoundError`` when it was not kept (see the message for how to keep it)."""
        trial_id = int(self.best_trial(metric)["trial_id"])
        folder = self._checkpoint_folder(trial_id)
        if not folder.is_dir() or not any(folder.iterdir()):
            raise FileNotFoundError(
                f"the best trial {trial_id} of {self.name!r} left no checkpoint in {folder}: its "
                "training script saves none, or it was removed (to keep it, add the callback "
                "synetune.callbacks.create('checkpoint_removal', keep_best=True) instead of "
                "delete_checkpoints=True)"
            )
        return folder

    def _checkpoint_folder(self, trial_id: int) -> Path:
        backend = getattr(self.tuner, "trial_backend", None)
        if backend is not None and getattr(backend, "path", None) is not None:
            return Path(backend.checkpoint_path(trial_id))
        root = self.metadata.get("trial_backend_path") or self.path
        return Path(root) / str(trial_id) / "checkpoints"

    def trials(self, metric: str | int = 0) -> Any:
        """One row per trial: ``trial_id``, ``status``, ``num_results``, its best and last value
        of ``metric``, the last resource level reached and its ``config_`` columns; best first."""
        import pandas as pd

        df = self.results
        if df is None or len(df) == 0:
            return pd.DataFrame(columns=["trial_id", "status", "num_results"])
        names = self.metric_names()
        metric_name, mode = (
            self.metric_and_mode(metric) if names or isinstance(metric, str) else (None, "min")
        )
        resource = self.resource_attr()
        rows = []
        for trial_id, group in df.groupby("trial_id", sort=True):
            row: dict[str, Any] = {
                "trial_id": int(trial_id),
                "status": self.trial_status.get(int(trial_id), "?"),
                "num_results": len(group),
            }
            if metric_name is not None and metric_name in group.columns:
                values = group[metric_name].astype(float)
                row[f"best_{metric_name}"] = values.min() if mode == "min" else values.max()
                row[f"last_{metric_name}"] = values.iloc[-1]
            if resource is not None and resource in group.columns:
                row[resource] = group[resource].max()
            last = group.iloc[-1]
            row.update({k: last[k] for k in group.columns if k.startswith("config_")})
            rows.append(row)
        table = pd.DataFrame(rows)
        key = f"best_{metric_name}"
        if metric_name is not None and key in table.columns:
            table = table.sort_values(key, ascending=mode == "min", na_position="last")
        return table.reset_index(drop=True)

    def resource_attr(self) -> str | None:
        """The resource column of learning curves (metadata ``resource_attr``, else ``epoch``)."""
        df = self.results
        columns = set(df.columns) if df is not None else set()
        for name in (self.metadata.get("resource_attr"), "epoch", "st_worker_iter"):
            if name and name in columns:
                return name
        return None

    def best_so_far(self, metric: str | int = 0) -> Any:
        """``(st_tuner_time, best value so far, trial_id)`` after every result, in time order."""
        import pandas as pd

        metric_name, mode = self.metric_and_mode(metric)
        df = self.results
        if df is None or len(df) == 0 or metric_name not in df.columns:
            raise ValueError(f"experiment {self.name!r} has no result for metric {metric_name!r}")
        ordered = df.sort_values(TIME_COLUMN, kind="stable") if TIME_COLUMN in df else df
        values = ordered[metric_name].astype(float).where(self._feasible(ordered))
        running = values.cummin() if mode == "min" else values.cummax()
        improved = values.eq(running)
        best_trial = ordered["trial_id"].where(improved).ffill()
        times = ordered[TIME_COLUMN] if TIME_COLUMN in ordered else pd.Series(range(len(ordered)))
        return pd.DataFrame(
            {
                TIME_COLUMN: times.to_numpy(dtype=float),
                metric_name: running.to_numpy(),
                "trial_id": best_trial.to_numpy(),
            }
        ).dropna(subset=[metric_name])

    # ------------------------------------------------------------------------------ objectives
    def objectives(self) -> tuple[Any, Any]:
        """The rows with every metric a number and feasible, in time order, and their metrics as
        a minimisation matrix (``synetune_sdk.multiobjective.to_minimization``)."""
        import pandas as pd

        from synetune_sdk.multiobjective import to_minimization

        names, df = self.metric_names(), self.results
        if not names:
            raise ValueError(f"metadata.json of {self.name!r} names no metric")
        df = pd.DataFrame() if df is None else df
        ordered = df.sort_values(TIME_COLUMN, kind="stable") if TIME_COLUMN in df else df
        values = ordered.reindex(columns=names).apply(pd.to_numeric, errors="coerce")
        keep = values.notna().all(axis=1).to_numpy() & self._feasible(ordered)
        Y = values[keep].to_numpy(dtype=float).reshape(-1, len(names))
        return ordered[keep], to_minimization(Y, self.metric_mode())

    def reference_point(self, reference_point: Any = None) -> list[float]:
        """The hypervolume's reference point in the metrics' units: ``reference_point`` checked,
        else ``synetune_sdk.multiobjective.default_reference_point`` (nadir + 10% of the range)."""
        # pass one explicitly to compare runs on one scale: the default depends on the results
        import numpy as np

        from synetune_sdk.multiobjective import default_reference_point, to_minimization

        names, modes = self.metric_names(), self.metric_mode()
        if reference_point is None:  # negating the max metrics again undoes to_minimization
            reference_point = to_minimization(default_reference_point(self.objectives()[1]), modes)
        point = np.ravel(np.asarray(reference_point, dtype=float)).tolist()
        if len(point) != len(names):
            raise ValueError(f"reference_point has {len(point)} values, expected one per {names}")
        return point

    def pareto_front(self) -> Any:
        """The non-dominated results, in time order (every reported row is a candidate)."""
        # as in Syne Tune's analysis, so a trial can appear at several resource levels; rows
        # lacking a metric, with a NaN or infeasible under the run's constraint are skipped
        from synetune_sdk.multiobjective import pareto_mask

        rows, Y = self.objectives()
        return rows[pareto_mask(Y)].reset_index(drop=True)

    def hypervolume(self, reference_point: Any = None) -> float:
        """Exact hypervolume of the results up to ``reference_point()``; 0 without results."""
        from synetune_sdk.multiobjective import hypervolume

        Y = self.objectives()[1]
        return hypervolume(Y, self._min_reference(reference_point)) if len(Y) else 0.0

    def hypervolume_over_time(self, reference_point: Any = None) -> Any:
        """``(st_tuner_time, hypervolume, trial_id)`` after every usable result, in time order."""
        import pandas as pd

        from synetune_sdk.multiobjective import hypervolume_over_time

        rows, Y = self.objectives()
        hv = hypervolume_over_time(Y, self._min_reference(reference_point)) if len(Y) else []
        times = rows[TIME_COLUMN] if TIME_COLUMN in rows else pd.Series(range(len(rows)))
        trial_ids = rows["trial_id"].to_numpy() if len(rows) else []
        return pd.DataFrame(
            {TIME_COLUMN: times.to_numpy(float), "hypervolume": hv, "trial_id": trial_ids}
        )

    def _min_reference(self, reference_point: Any) -> Any:
        from synetune_sdk.multiobjective import to_minimization

        return to_minimization(self.reference_point(reference_point), self.metric_mode())[0]

    # ------------------------------------------------------------------------------ plots
    def plot(
        self,
        metric_to_plot: str | int = 0,
        figure_path: str | Path | None = None,
        show: bool = False,
        **plt_kwargs: Any,
    ) -> Any:
        """Plot the best value so far against the tuner's time (every result as a dot); returns
        the matplotlib ``Figure``."""
        # figure_path saves it (PNG, or any format matplotlib knows from the suffix); show opens
        # a window. plt_kwargs go to the line (color, linewidth, ...), except figsize and dpi.
        metric, mode = self.metric_and_mode(metric_to_plot)
        best = self.best_so_far(metric)
        if not len(best):
            self.best_trial(metric)  # raises, saying why there is no best value
        df = self.results
        fig, ax = _figure(show, plt_kwargs)
        dots = dict(s=8, alpha=0.35, color="grey", label="results")
        ax.scatter(df[TIME_COLUMN], df[metric].astype(float), **dots)
        end = max(float(df[TIME_COLUMN].max()), float(best[TIME_COLUMN].max()))
        times = [*best[TIME_COLUMN].tolist(), end]
        values = [*best[metric].tolist(), best[metric].iloc[-1]]
        plt_kwargs.setdefault("linewidth", 2)
        ax.step(times, values, where="post", label=f"best {metric} ({mode})", **plt_kwargs)
        ax.set_xlabel(self.time_label())
        ax.set_ylabel(metric)
        ax.set_title(f"{self.name}: best {metric} so far")
        ax.grid(alpha=0.3)
        ax.legend()
        return _finish(fig, figure_path, show)

    def plot_trials(
        self,
        metric_to_plot: str | int = 0,
        figure_path: str | Path | None = None,
        x: str | None = None,
        show: bool = False,
        **plt_kwargs: Any,
    ) -> Any:
        """Plot the learning curve of every trial: ``metric`` against ``x``, the resource level
        (default; see ``resource_attr()``) or ``"st_tuner_time"``. The best trial is drawn thick."""
        metric, _ = self.metric_and_mode(metric_to_plot)
        df = self.results
        if df is None or len(df) == 0 or metric not in df.columns:
            raise ValueError(f"experiment {self.name!r} has no result for metric {metric!r}")
        x = x or self.resource_attr() or TIME_COLUMN
        if x not in df.columns:
            raise ValueError(
                f"x={x!r} is not a column of the results; use one of {sorted(df.columns)}"
            )
        best_id = int(self.best_trial(metric)["trial_id"])
        fig, ax = _figure(show, plt_kwargs)
        groups = list(df.groupby("trial_id", sort=True))
        for trial_id, group in groups:
            group = group.drop_duplicates(subset=[x], keep="last")  # retrained levels once
            is_best = int(trial_id) == best_id
            ax.plot(
                group[x],
                group[metric].astype(float),
                marker="." if len(group) < 30 else None,
                linewidth=2.5 if is_best else 1.0,
                alpha=1.0 if is_best else 0.6,
                label=f"trial {int(trial_id)}" + (" (best)" if is_best else ""),
                **plt_kwargs,
            )
        ax.set_xlabel(self.time_label() if x == TIME_COLUMN else x)
        ax.set_ylabel(metric)
        ax.set_title(f"{self.name}: {metric} per trial")
        ax.grid(alpha=0.3)
        if len(groups) <= 12:
            ax.legend(fontsize="small")
        return _finish(fig, figure_path, show)

    def plot_trials_over_time(
        self, metric_to_plot: str | int = 0, figure_path: str | Path | None = None, **kwargs: Any
    ) -> Any:
        """Syne Tune's name: learning curves against the tuner's time."""
        return self.plot_trials(metric_to_plot, figure_path, x=TIME_COLUMN, **kwargs)

    def __str__(self) -> str:
        df = self.results
        return f"experiment {self.name} ({self.method()}): {df['trial_id'].nunique() if len(df) else 0} trials, {len(df)} results"


def _fetch_from_stores(name: str, root: str | Path | None) -> Path | None:
    """Ask each registered experiment store (e.g. S3) for an experiment that is not local."""
    from synetune.registry import REGISTRIES

    stores = REGISTRIES["experiment_stores"]
    for store_name in stores.names():
        try:
            found = stores.get(store_name)(name, root)
        except Exception as err:  # a broken store must not hide the "not found" error
            logger.warning("experiment store %r failed for %r: %s", store_name, name, err)
            continue
        if found is not None and Path(found).exists():
            return Path(found)
    return None


class ExperimentPathError(ValueError):
    """An experiment name or path that cannot name an experiment (see
    ``resolve_experiment_path``)."""


def is_experiment_name(name_or_path: str | Path) -> bool:
    """Whether ``name_or_path`` is a bare NAME (a ``str`` without a path separator, and not
    ``.`` or ``..``), as opposed to an explicit path (a ``Path``, or a string with a separator,
    ``.`` or ``..``)."""
    if not isinstance(name_or_path, str) or name_or_path in (".", ".."):
        return False
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return not any(sep in name_or_path for sep in separators)


def holds_experiment(path: Path) -> bool:
    """Whether folder ``path`` holds an experiment (``metadata.json`` or ``events.jsonl``)."""
    return (path / store.METADATA_FILENAME).is_file() or (path / store.EVENTS_FILENAME).is_file()


def resolve_experiment_path(name_or_path: str | Path, root: str | Path | None = None) -> Path:
    """The folder of an experiment given by name or path, checked: a bare NAME is
    ``<root>/<NAME>`` (``root``: ``$SYNETUNE_FOLDER``), anything else a path to a folder that
    holds an experiment. Raises ``FileNotFoundError`` or ``ExperimentPathError``."""
    # The one place that turns what a user typed into a folder to read (load_experiment,
    # synetune resume, synetune experiments show, Tuner.load).
    # * A bare NAME (no path separator) is an experiment under root: FileNotFoundError when
    #   there is no such folder, ExperimentPathError for a name no folder can have (empty, NUL).
    # * Anything else (a Path, a string with a separator, "." or "..") is an explicit path,
    #   relative to the current folder unless absolute; it must be an existing folder that holds
    #   an experiment (metadata.json or events.jsonl): FileNotFoundError when it does not exist,
    #   ExperimentPathError when it is not a folder or holds no experiment. So "../x" never
    #   reaches outside $SYNETUNE_FOLDER by way of a name, and a path is only read when it is an
    #   experiment.
    if is_experiment_name(name_or_path):
        name = str(name_or_path)
        if not name or "\x00" in name:
            raise ExperimentPathError(
                f"{name!r} is not a valid experiment name: give the tuner name of an experiment "
                "under $SYNETUNE_FOLDER (see synetune experiments list) or the path of its folder"
            )
        path = store.experiment_path(name, root)
        if not path.is_dir():
            raise FileNotFoundError(
                f"no experiment {name!r} in {path.parent}; see synetune experiments list "
                "(synetune.list_experiments())"
            )
        return path
    text = str(name_or_path)
    if "\x00" in text:
        raise ExperimentPathError(f"{text!r} is not a valid path of an experiment folder")
    path = Path(name_or_path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"experiment folder {text!r} does not exist (a path is taken relative to the current "
            f"folder {Path.cwd()}; to name an experiment under $SYNETUNE_FOLDER, give its name "
            "alone, without '/')"
        )
    if not path.is_dir():
        raise ExperimentPathError(f"{text!r} is not a folder, so it cannot be an experiment")
    if not holds_experiment(path):
        raise ExperimentPathError(
            f"folder {text!r} ({path.resolve()}) holds no experiment (no "
            f"{store.METADATA_FILENAME} or {store.EVENTS_FILENAME}); give an experiment's "
            "folder, or its name to look under $SYNETUNE_FOLDER"
        )
    return path


def load_experiment(
    name: str | Path, load_tuner: bool = False, root: str | Path | None = None
) -> ExperimentResult:
    """Load an experiment by tuner name (under ``root``, default ``$SYNETUNE_FOLDER``) or
    folder path, as ``resolve_experiment_path`` checks them; a name not found locally is asked
    for from the registered experiment stores."""
    # Results are read from the durable event log when present, so an interrupted run shows
    # every result it reported; results.csv.zip is the fallback.
    import pandas as pd

    try:
        path = resolve_experiment_path(name, root)
    except FileNotFoundError:
        found = _fetch_from_stores(str(name), root) if is_experiment_name(name) else None
        if found is None:
            raise
        path = found
    meta_path = path / store.METADATA_FILENAME
    metadata = store.read_metadata(meta_path) if meta_path.exists() else {}
    events_path = path / store.EVENTS_FILENAME
    status: dict[int, str] = {}
    if events_path.exists():
        events = store.read_events(events_path)
        results = pd.DataFrame(store.result_rows(events))
        for event in events:
            if event.get("event") == "status":
                status[int(event["trial_id"])] = event["status"]
            elif event.get("event") == "trial":
                status.setdefault(int(event["trial_id"]), "InProgress")
    elif (path / store.RESULTS_FILENAME).exists():
        results = pd.read_csv(path / store.RESULTS_FILENAME)
    else:
        results = pd.DataFrame()
    tuner = None
    if load_tuner:
        from synetune.tuner import Tuner

        tuner = Tuner.load(path)
    return ExperimentResult(
        name=path.name,
        path=path,
        results=results,
        metadata=metadata,
        tuner=tuner,
        trial_status=status,
    )


def list_experiments(root: str | Path | None = None, pattern: str | None = None) -> list[str]:
    """Names of the experiments under ``root`` (default ``$SYNETUNE_FOLDER``), oldest first;
    ``pattern`` keeps those matching a shell pattern (``"asha-*"``)."""
    base = Path(root) if root is not None else store.experiment_root()
    if not base.exists():
        return []
    found = [p for p in base.iterdir() if (p / store.METADATA_FILENAME).exists()]
    if pattern is not None:
        found = [p for p in found if fnmatch.fnmatchcase(p.name, pattern)]
    return [p.name for p in sorted(found, key=lambda p: p.stat().st_mtime)]


# ---------------------------------------------------------------------------------- helpers
def _figure(show: bool, plt_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    figsize = plt_kwargs.pop("figsize", (8, 5))
    dpi = plt_kwargs.pop("dpi", 100)
    if show:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize, dpi=dpi)
    else:
        # no pyplot: no GUI backend, no global state, safe in threads and on servers
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, dpi=dpi)
    return fig, fig.subplots()


def _finish(fig: Any, figure_path: str | Path | None, show: bool) -> Any:
    fig.tight_layout()
    if figure_path is not None:
        Path(figure_path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(figure_path)
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig
