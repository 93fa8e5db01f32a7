"""Syne Tune's multi-objective baselines as FIFO schedulers (subclassing the ``FIFOScheduler`` of
the declared synetune-plugin-fifo) with this plugin's searchers: ``nsga2`` (``NSGA2``), ``morea`` (``MOREA``) and
``mo_random_scalarization`` (``MORandomScalarizationBayesOpt``).

Searcher arguments (``population_size``, ``sample_size``, ``kappa``) may be given directly, as
in Syne Tune, or in ``search_options``; everything else goes to ``fifo`` (``points_to_evaluate``,
``random_seed``, ``max_resource_attr``, ...). The metric list is checked here, so a single
metric or a mode list of the wrong length fails at construction with the method's name.
"""

from __future__ import annotations

from typing import Any

from synetune_plugin_fifo.scheduler import FIFOScheduler

from synetune_plugin_multiobjective.common import ObjectiveReader, metrics_and_modes
from synetune_sdk.trial import Trial


class MultiObjectiveFIFO(FIFOScheduler):
    """``FIFOScheduler`` (synetune-plugin-fifo) for several objectives: the metric list is
    checked at construction, and a result that lacks one of the metrics is passed on with NaN
    there (one warning) instead of failing the run; the searchers skip NaN results."""

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: list[str],
        mode: str | list[str] | None = "min",
        searcher: Any = "nsga2",
        **kwargs: Any,
    ):
        method = searcher if isinstance(searcher, str) else type(searcher).__name__
        metrics, modes = metrics_and_modes(metric, mode, method)
        super().__init__(
            config_space,
            metric=metrics,
            mode="min" if mode is None else mode,
            searcher=searcher,
            **kwargs,
        )
        self._reader = ObjectiveReader(metrics, modes, method)

    def _complete(self, trial: Trial, result: dict[str, Any]) -> dict[str, Any]:
        missing = [m for m in self._metrics if m not in result]
        if not missing:
            return result
        self._reader(result, trial.trial_id)  # warns once
        return {**result, **{m: float("nan") for m in missing}}

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        return super().on_trial_result(trial, self._complete(trial, result))

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        super().on_trial_complete(trial, self._complete(trial, result))

    def is_multiobjective_scheduler(self) -> bool:
        return True


def _fifo(
    method: str,
    config_space: dict[str, Any],
    metric: list[str],
    mode: str | list[str] | None,
    kwargs: dict[str, Any],
    **options: Any,
) -> Any:
    search_options = {**(kwargs.pop("search_options", None) or {})}
    search_options.update({k: v for k, v in options.items() if v is not None})
    return MultiObjectiveFIFO(
        config_space,
        metric=metric,
        mode=mode,
        searcher=method,
        search_options=search_options,
        **kwargs,
    )


def nsga2(
    config_space: dict[str, Any],
    metric: list[str],
    mode: str | list[str] = "min",
    population_size: int = 20,
    **kwargs: Any,
) -> Any:
    """FIFO scheduling with the asynchronous ``nsga2`` searcher (Syne Tune's ``NSGA2``)."""
    return _fifo("nsga2", config_space, metric, mode, kwargs, population_size=population_size)


def morea(
    config_space: dict[str, Any],
    metric: list[str],
    mode: str | list[str] = "min",
    population_size: int = 100,
    sample_size: int = 10,
    **kwargs: Any,
) -> Any:
    """FIFO scheduling with ``morea`` (Syne Tune's ``MOREA``)."""
    return _fifo(
        "morea",
        config_space,
        metric,
        mode,
        kwargs,
        population_size=population_size,
        sample_size=sample_size,
    )


def mo_random_scalarization(
    config_space: dict[str, Any],
    metric: list[str],
    mode: str | list[str] = "min",
    kappa: float | None = None,
    **kwargs: Any,
) -> Any:
    """FIFO scheduling with ``mo_random_scalarization`` (Syne Tune's
    ``MORandomScalarizationBayesOpt``): a GP on a random weighted sum per suggestion."""
    return _fifo("mo_random_scalarization", config_space, metric, mode, kwargs, kappa=kappa)
