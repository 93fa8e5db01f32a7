"""``syne_tune.experiments``: reading experiments back (synetune's ``load_experiment``;
``ExperimentResult`` has ``results``, ``metadata``, ``tuner``, ``best_config()``, ``plot()``,
``plot_trials_over_time()``, ...)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from syne_tune._missing import missing

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from synetune import ExperimentResult


def load_experiment(
    tuner_name: str,
    download_if_not_found: bool = True,
    load_tuner: bool = False,
    local_path: str | Path | None = None,
    experiment_name: str | None = None,
) -> ExperimentResult:
    """The experiment ``tuner_name`` under ``local_path`` (default ``$SYNETUNE_FOLDER`` or
    ``~/syne-tune``). An experiment that is not there is fetched by the installed experiment
    stores (synetune-plugin-sagemaker: S3), whatever ``download_if_not_found`` and
    ``experiment_name`` say."""
    import synetune

    return synetune.load_experiment(tuner_name, load_tuner=load_tuner, root=local_path)


def list_experiments(
    path_filter: Callable[[str], bool] | None = None,
    experiment_filter: Callable[[ExperimentResult], bool] | None = None,
    root: str | Path | None = None,
    load_tuner: bool = False,
) -> list[ExperimentResult]:
    """Every experiment under ``root`` whose name passes ``path_filter`` and whose result
    passes ``experiment_filter``."""
    import synetune

    found = []
    for name in synetune.list_experiments(root=root):
        if path_filter is not None and not path_filter(name):
            continue
        result = synetune.load_experiment(name, load_tuner=load_tuner, root=root)
        if experiment_filter is None or experiment_filter(result):
            found.append(result)
    return found


_LAZY = ("ExperimentResult",)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import synetune

        return getattr(synetune, name)
    return _missing_getattr(name)


__all__ = ["ExperimentResult", "list_experiments", "load_experiment"]

_COMPARE = (
    "synetune_plugin_compare.compare_experiments (pip install synetune-plugin-compare; "
    "`synetune experiments plot` for several experiments)"
)
MISSING = {
    "ComparativeResults": _COMPARE,
    "PlotParameters": _COMPARE,
    "SubplotParameters": _COMPARE,
    "ShowTrialParameters": _COMPARE,
    "TrialsOfExperimentResults": "ExperimentResult.plot_trials (learning curves per trial)",
    "MultiFidelityParameters": "ExperimentResult.plot_trials (learning curves per trial)",
    "hypervolume_indicator_column_generator": "none (no multi-objective analysis in synetune)",
    "load_experiments_df": "pandas.concat([e.results for e in list_experiments()])",
    "get_metadata": "{e.name: e.metadata for e in list_experiments()}",
    "download_single_experiment": "load_experiment (the installed experiment stores fetch "
    "experiments that are not local)",
}

_missing_getattr = missing(__name__, globals(), MISSING)
