"""Reading finished (or interrupted) experiments back: ``load_experiment`` and friends."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synetune import results as store


@dataclass
class ExperimentResult:
    """One experiment folder: ``results`` (a pandas DataFrame, one row per reported result),
    ``metadata`` (``metadata.json``) and, if asked for, the saved ``tuner``."""

    name: str
    path: Path
    results: Any
    metadata: dict[str, Any]
    tuner: Any = None

    def metric_names(self) -> list[str]:
        return list(self.metadata.get("metric_names", []))

    def metric_mode(self) -> str | list[str]:
        return self.metadata.get("metric_mode", "min")

    def _metric_and_mode(self, metric: str | int) -> tuple[str, str]:
        names = self.metric_names()
        if isinstance(metric, int):
            if not names:
                raise ValueError("metadata.json names no metric: pass the metric name")
            metric = names[metric]
        modes = self.metric_mode()
        mode = modes if isinstance(modes, str) else modes[names.index(metric)]
        return metric, mode

    def best_trial(self, metric: str | int = 0) -> dict[str, Any]:
        """The row (a dict) holding the best reported value of ``metric``."""
        metric, mode = self._metric_and_mode(metric)
        df = self.results
        if df is None or len(df) == 0 or metric not in df.columns:
            raise ValueError(f"experiment {self.name!r} has no result for metric {metric!r}")
        values = df[metric].astype(float)
        index = values.idxmin() if mode == "min" else values.idxmax()
        if isinstance(index, float) and math.isnan(index):
            raise ValueError(f"experiment {self.name!r} has no numeric value for {metric!r}")
        return df.loc[index].to_dict()

    def best_config(self, metric: str | int = 0) -> dict[str, Any]:
        """The best trial's configuration (``config_`` prefixes removed), with its trial id and
        metric value under ``trial_id`` and the metric's name."""
        row = self.best_trial(metric)
        metric_name, _ = self._metric_and_mode(metric)
        config = {k[len("config_") :]: v for k, v in row.items() if k.startswith("config_")}
        return {"trial_id": int(row["trial_id"]), metric_name: row[metric_name], **config}


def load_experiment(
    name: str | Path, load_tuner: bool = False, root: str | Path | None = None
) -> ExperimentResult:
    """Load an experiment by tuner name (under ``$SYNETUNE_FOLDER``) or folder path.

    Results are read from the durable event log when present, so an interrupted run shows
    every result it reported; ``results.csv.zip`` is the fallback.
    """
    import pandas as pd

    path = Path(name)
    if not (path / store.METADATA_FILENAME).exists():
        path = store.experiment_path(str(name), root)
    if not path.exists():
        raise FileNotFoundError(
            f"no experiment {str(name)!r} in {path.parent}; see synetune.list_experiments()"
        )
    metadata = (
        store.read_metadata(path / store.METADATA_FILENAME)
        if (path / store.METADATA_FILENAME).exists()
        else {}
    )
    events_path = path / store.EVENTS_FILENAME
    if events_path.exists():
        results = pd.DataFrame(store.result_rows(store.read_events(events_path)))
    elif (path / store.RESULTS_FILENAME).exists():
        results = pd.read_csv(path / store.RESULTS_FILENAME)
    else:
        results = pd.DataFrame()
    tuner = None
    if load_tuner:
        from synetune.tuner import Tuner

        tuner = Tuner.load(path)
    return ExperimentResult(
        name=path.name, path=path, results=results, metadata=metadata, tuner=tuner
    )


def list_experiments(root: str | Path | None = None) -> list[str]:
    """Names of the experiments under ``root`` (default ``$SYNETUNE_FOLDER``), oldest first."""
    base = Path(root) if root is not None else store.experiment_root()
    if not base.exists():
        return []
    found = [p for p in base.iterdir() if (p / store.METADATA_FILENAME).exists()]
    return [p.name for p in sorted(found, key=lambda p: p.stat().st_mtime)]
