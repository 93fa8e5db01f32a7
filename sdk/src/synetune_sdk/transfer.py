"""Evaluations of earlier tasks, the input of every transfer-tuning method.

``TransferLearningTaskEvaluations`` is Syne Tune's record (same name and fields): the
configuration space of the earlier task, the evaluated configurations (a DataFrame, one row per
configuration), the objective names, and the objective values as an array of shape
``(num_evals, num_seeds, num_fidelities, num_objectives)``. A transfer method takes a dict
``{task name: TransferLearningTaskEvaluations}``.

Two builders make that dict from what synetune already has:

* ``from_experiments({task: load_experiment(name)}, config_space, metric)``: earlier tuning runs
  (one row per trial; with ``resource_attr`` one fidelity per resource level, NaN where a trial
  stopped earlier).
* ``from_blackboxes(read_blackbox(path))``: a multi-task tabular blackbox (``{task: blackbox}``
  with ``hyperparameters`` and ``objectives_evaluations``, as the blackbox repository's
  ``BlackboxTabular`` has them).

``check_transfer_learning_evaluations`` is what every method runs first: a task whose space
differs from the current one (an extra, missing or re-typed hyperparameter) or that lacks the
metric raises a ``ValueError`` naming the task and the hyperparameter; configurations whose
metric is NaN everywhere are dropped and a task left without evaluations is skipped, each with a
logged warning. Values NaN at some fidelities or seeds only are kept: the helpers reduce with
NaN-aware means and minima.

Standard library at import; numpy and pandas are imported when a record is built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from synetune_sdk.config_space import Categorical, Domain, FiniteRange, Float, Integer

logger = logging.getLogger(__name__)

__all__ = [
    "TransferLearningTaskEvaluations",
    "check_transfer_learning_evaluations",
    "from_blackboxes",
    "from_experiments",
    "top_k_hyperparameter_configurations_per_task",
]


@dataclass
class TransferLearningTaskEvaluations:
    """Offline evaluations of one earlier task (Syne Tune's record).

    Args:
        configuration_space: the space the evaluations were sampled from.
        hyperparameters: DataFrame, one row per evaluated configuration, one column per
            searched hyperparameter of ``configuration_space``.
        objectives_names: names of the recorded objectives.
        objectives_evaluations: array of shape (num_evals, num_seeds, num_fidelities,
            num_objectives); NaN where a value is missing.
    """

    configuration_space: dict[str, Any]
    hyperparameters: Any
    objectives_names: list[str]
    objectives_evaluations: Any

    def __post_init__(self) -> None:
        import numpy as np
        import pandas as pd

        if not isinstance(self.hyperparameters, pd.DataFrame):
            raise TypeError(
                f"hyperparameters must be a pandas DataFrame, got {type(self.hyperparameters)}"
            )
        self.objectives_names = list(self.objectives_names)
        values = np.asarray(self.objectives_evaluations, dtype=float)
        if values.ndim != 4:
            raise ValueError(
                "objectives_evaluations must have shape (num_evals, num_seeds, num_fidelities, "
                f"num_objectives), got {values.ndim} dimensions {values.shape}"
            )
        if values.shape[0] != len(self.hyperparameters):
            raise ValueError(
                f"objectives_evaluations has {values.shape[0]} evaluations but hyperparameters "
                f"has {len(self.hyperparameters)} rows"
            )
        if values.shape[-1] != len(self.objectives_names):
            raise ValueError(
                f"objectives_evaluations has {values.shape[-1]} objectives but objectives_names "
                f"names {len(self.objectives_names)}: {self.objectives_names}"
            )
        unknown = [c for c in self.hyperparameters.columns if c not in self.configuration_space]
        if unknown:
            raise ValueError(
                f"hyperparameters columns {unknown} are not in the configuration space "
                f"{sorted(self.configuration_space)}"
            )
        self.hyperparameters = self.hyperparameters.reset_index(drop=True)
        self.objectives_evaluations = values

    def objective_index(self, objective_name: str) -> int:
        if objective_name not in self.objectives_names:
            raise ValueError(
                f"could not find objective {objective_name!r} in the recorded objectives "
                f"{self.objectives_names}"
            )
        return self.objectives_names.index(objective_name)

    def objective_values(self, objective_name: str) -> Any:
        """Shape (num_evals, num_seeds, num_fidelities)."""
        return self.objectives_evaluations[..., self.objective_index(objective_name)]

    def best_values(self, objective: str, mode: str = "min") -> Any:
        """Per configuration: the mean over seeds, best over fidelities (NaN-aware; NaN where
        a configuration has no value at all), shape (num_evals,)."""
        import numpy as np

        _check_mode(mode)
        with np.errstate(all="ignore"), _quiet_nan_warnings():
            mean = np.nanmean(self.objective_values(objective), axis=1)
            return np.nanmin(mean, axis=1) if mode == "min" else np.nanmax(mean, axis=1)

    def last_values(self, objective: str) -> Any:
        """Per configuration: the mean over seeds at the highest fidelity it reached (NaN where
        a configuration has no value at all), shape (num_evals,)."""
        import numpy as np

        with np.errstate(all="ignore"), _quiet_nan_warnings():
            mean = np.nanmean(self.objective_values(objective), axis=1)
        out = np.full(len(mean), np.nan)
        for j in range(mean.shape[1]):
            column = mean[:, j]
            out = np.where(np.isnan(column), out, column)
        return out

    def top_k_hyperparameter_configurations(
        self, k: int, mode: str, objective: str
    ) -> list[dict[str, Any]]:
        """The ``k`` best configurations, best first (mean over seeds, best fidelity);
        configurations without any value are never returned."""
        import numpy as np

        if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        values = self.best_values(objective, mode)
        sign = 1.0 if mode == "min" else -1.0
        order = [i for i in np.argsort(sign * values, kind="stable") if not np.isnan(values[i])]
        return [_plain_row(self.hyperparameters.iloc[i]) for i in order[:k]]


def top_k_hyperparameter_configurations_per_task(
    transfer_learning_evaluations: dict[str, TransferLearningTaskEvaluations],
    num_hyperparameters_per_task: int,
    mode: str,
    metric: str,
) -> dict[str, list[dict[str, Any]]]:
    """``{task: its best configurations}`` (Syne Tune's ``TransferLearningMixin`` helper)."""
    return {
        task: evals.top_k_hyperparameter_configurations(num_hyperparameters_per_task, mode, metric)
        for task, evals in transfer_learning_evaluations.items()
    }


# ---------------------------------------------------------------------------------- checks
def _kind(domain: Any) -> str:
    if not isinstance(domain, Domain):
        return "constant"
    if isinstance(domain, Categorical):
        return "categorical"
    if isinstance(domain, FiniteRange):
        return "int" if domain.cast_int else "float"
    if isinstance(domain, Integer):
        return "int"
    if isinstance(domain, Float):
        return "float"
    return type(domain).__name__


def check_transfer_learning_evaluations(
    config_space: dict[str, Any],
    transfer_learning_evaluations: dict[str, TransferLearningTaskEvaluations],
    metric: str,
) -> dict[str, TransferLearningTaskEvaluations]:
    """The evaluations a transfer method can use for ``config_space`` and ``metric``.

    Raises a ``ValueError`` naming the task and the hyperparameter when a task's space has an
    extra, a missing or a re-typed hyperparameter (constants of either space are ignored), or
    when it lacks ``metric``. Drops configurations whose ``metric`` is NaN everywhere, and skips
    a task left without evaluations, logging a warning for each.
    """
    import numpy as np

    if not isinstance(transfer_learning_evaluations, dict):
        raise TypeError(
            "transfer_learning_evaluations must be a dict {task name: "
            f"TransferLearningTaskEvaluations}}, got {type(transfer_learning_evaluations)}"
        )
    searched = {k: v for k, v in config_space.items() if isinstance(v, Domain)}
    out = {}
    for task, evals in transfer_learning_evaluations.items():
        if not isinstance(evals, TransferLearningTaskEvaluations):
            raise TypeError(
                f"task {task!r}: expected a TransferLearningTaskEvaluations, got {type(evals)}"
            )
        theirs = {k: v for k, v in evals.configuration_space.items() if isinstance(v, Domain)}
        for name in searched:
            if name not in theirs or name not in evals.hyperparameters.columns:
                raise ValueError(
                    f"task {task!r} lacks hyperparameter {name!r} of the current configuration "
                    "space: transfer needs the same hyperparameters in every task (drop the task "
                    "or add the hyperparameter)"
                )
            if _kind(theirs[name]) != _kind(searched[name]):
                raise ValueError(
                    f"task {task!r}: hyperparameter {name!r} is {_kind(theirs[name])} "
                    f"({theirs[name]!r}) there but {_kind(searched[name])} "
                    f"({searched[name]!r}) in the current configuration space"
                )
        extra = sorted(set(theirs) - set(searched))
        if extra:
            raise ValueError(
                f"task {task!r} has hyperparameter {extra[0]!r} that the current configuration "
                f"space lacks (extra: {extra}): transfer needs the same hyperparameters in every "
                "task"
            )
        if metric not in evals.objectives_names:
            raise ValueError(
                f"task {task!r} has no objective {metric!r}; it recorded {evals.objectives_names}"
            )
        values = evals.objective_values(metric)
        keep = ~np.isnan(values).all(axis=(1, 2))
        if not keep.any():
            logger.warning(
                "transfer: task %r skipped, it has no evaluation of %r (%d rows, all NaN or none)",
                task,
                metric,
                len(keep),
            )
            continue
        if not keep.all():
            logger.warning(
                "transfer: task %r: %d of %d configurations have no value of %r (NaN) and are "
                "dropped",
                task,
                int((~keep).sum()),
                len(keep),
                metric,
            )
            evals = TransferLearningTaskEvaluations(
                evals.configuration_space,
                evals.hyperparameters[keep].reset_index(drop=True),
                evals.objectives_names,
                evals.objectives_evaluations[keep],
            )
        out[task] = evals
    return out


# -------------------------------------------------------------------------------- builders
def from_blackboxes(
    blackboxes: dict[str, Any], objectives: list[str] | None = None
) -> dict[str, TransferLearningTaskEvaluations]:
    """``{task: TransferLearningTaskEvaluations}`` of a multi-task tabular blackbox.

    ``blackboxes`` is what ``read_blackbox(path)`` of synetune-plugin-blackbox-repository
    returns for a folder with several tasks: ``{task: blackbox}``, each with
    ``configuration_space``, ``hyperparameters`` (DataFrame), ``objectives_names`` and
    ``objectives_evaluations`` (configurations x seeds x fidelities x objectives).
    ``objectives`` keeps only those objectives (default: all).
    """
    import numpy as np

    if not isinstance(blackboxes, dict):
        raise TypeError(
            "from_blackboxes takes {task: blackbox} (read_blackbox of a folder with several "
            f"tasks), got {type(blackboxes).__name__}"
        )
    out = {}
    for task, blackbox in blackboxes.items():
        if not hasattr(blackbox, "objectives_evaluations") or not hasattr(
            blackbox, "hyperparameters"
        ):
            raise TypeError(
                f"task {task!r}: {type(blackbox).__name__} is not tabular (it needs "
                "hyperparameters and objectives_evaluations, as BlackboxTabular has)"
            )
        names = list(blackbox.objectives_names)
        keep = names if objectives is None else list(objectives)
        missing = [o for o in keep if o not in names]
        if missing:
            raise ValueError(f"task {task!r} has no objectives {missing}; it has {names}")
        values = np.asarray(blackbox.objectives_evaluations, dtype=float)
        values = values[..., [names.index(o) for o in keep]]
        space = dict(blackbox.configuration_space)
        columns = [k for k, v in space.items() if isinstance(v, Domain)]
        hyperparameters = blackbox.hyperparameters[columns].reset_index(drop=True)
        out[task] = TransferLearningTaskEvaluations(space, hyperparameters, keep, values)
    return out


def from_experiments(
    experiments: dict[str, Any],
    config_space: dict[str, Any],
    metric: str | list[str],
    resource_attr: str | None = None,
) -> dict[str, TransferLearningTaskEvaluations]:
    """``{task: TransferLearningTaskEvaluations}`` of earlier tuning runs.

    ``experiments`` maps a task name to what ``synetune.load_experiment(name)`` returns (or to
    anything with a ``results`` DataFrame: one row per reported result, ``trial_id``,
    ``config_<hyperparameter>`` columns and the metrics). ``config_space`` is the space those
    runs searched. Each trial is one evaluation with one seed. Without ``resource_attr`` there
    is one fidelity, the trial's last reported value; with it, one fidelity per resource level
    any trial reached (NaN where a trial stopped earlier).

    A run whose results lack a hyperparameter of ``config_space`` or hold one the space lacks,
    or whose values do not fit their domain, raises a ``ValueError`` naming the task and the
    hyperparameter; a run without results gives a task with no evaluations (skipped by the
    transfer methods with a warning).
    """
    import numpy as np
    import pandas as pd

    metrics = [metric] if isinstance(metric, str) else list(metric)
    searched = [k for k, v in config_space.items() if isinstance(v, Domain)]
    out = {}
    for task, experiment in experiments.items():
        df = experiment if isinstance(experiment, pd.DataFrame) else experiment.results
        if df is None:
            df = pd.DataFrame()
        hp_columns = [c[len("config_") :] for c in df.columns if c.startswith("config_")]
        if len(df):
            for name in searched:
                if name not in hp_columns:
                    raise ValueError(
                        f"task {task!r}: its results have no column config_{name}: the run did "
                        f"not search hyperparameter {name!r} of config_space"
                    )
            extra = sorted(
                c for c in hp_columns if c not in config_space and not c.startswith("st_")
            )
            if extra:
                raise ValueError(
                    f"task {task!r}: its results hold hyperparameter {extra[0]!r} that "
                    f"config_space lacks (extra: {extra}); pass the space the run searched"
                )
            missing = [
                m for m in metrics + ([resource_attr] if resource_attr else []) if m not in df
            ]
            if missing:
                raise ValueError(
                    f"task {task!r}: its results have no column {missing[0]!r} "
                    f"(columns: {list(df.columns)})"
                )
        trials = list(dict.fromkeys(df["trial_id"])) if len(df) else []
        levels = (
            sorted(df[resource_attr].dropna().unique()) if resource_attr and len(df) else [None]
        )
        values = np.full((len(trials), 1, len(levels), len(metrics)), np.nan)
        rows = []
        groups = df.groupby("trial_id", sort=False) if len(df) else []
        for i, (trial_id, group) in enumerate(groups):
            config = {}
            for name in searched:
                value = group["config_" + name].iloc[0]
                domain = config_space[name]
                try:
                    value = domain.cast(value)
                except (TypeError, ValueError, OverflowError):
                    value = None
                if value is None or not domain.is_valid(value):
                    raise ValueError(
                        f"task {task!r}: trial {trial_id}: hyperparameter {name!r} = "
                        f"{group['config_' + name].iloc[0]!r} does not fit {domain!r} "
                        "(was it re-typed? pass the space the run searched)"
                    )
                config[name] = value
            rows.append(config)
            numbers = group[metrics].apply(pd.to_numeric, errors="coerce").to_numpy(float)
            if resource_attr is None:
                values[i, 0, 0] = numbers[-1]
            else:
                for level, row in zip(group[resource_attr], numbers):
                    if level == level:  # not NaN
                        values[i, 0, levels.index(level)] = row
        hyperparameters = pd.DataFrame(rows, columns=searched)
        out[task] = TransferLearningTaskEvaluations(
            dict(config_space), hyperparameters, metrics, values
        )
    return out


# --------------------------------------------------------------------------------- helpers
def _check_mode(mode: str) -> None:
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")


def _plain_row(row: Any) -> dict[str, Any]:
    """A DataFrame row as a dict of plain Python values (numpy scalars unwrapped)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


class _quiet_nan_warnings:
    """Silences numpy's 'mean of empty slice' / 'all-NaN slice' warnings: NaN is the answer."""

    def __enter__(self) -> None:
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *args: Any) -> None:
        self._catch.__exit__(*args)
