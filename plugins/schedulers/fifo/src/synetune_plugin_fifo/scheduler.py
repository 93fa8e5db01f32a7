"""FIFO scheduling: a searcher proposes configurations and every trial runs to its end.

This is Syne Tune's ``FIFOScheduler``, the base of random search, grid search and all
single-fidelity model-based methods. The scheduler owns a searcher, resolved by name through
``synetune.plugin_api.make_searcher`` (the default ``"random"`` comes from the declared
dependency synetune-plugin-random), feeds it every result and the final result of each trial,
and never stops a trial early.
"""

from __future__ import annotations

import secrets
from typing import Any

from synetune_sdk.config_space import (
    Domain,
    cast_config,
    config_space_to_json,
    validate_config_space,
)
from synetune_sdk.max_resource import infer_max_t
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.trial import SchedulerDecision, Trial, TrialSuggestion


class FIFOScheduler(Scheduler):
    """Start the searcher's suggestions first-in first-out and let every trial run to its end.

    ``metric`` and ``mode`` may be lists (several objectives; a single ``mode`` applies to every
    metric). ``searcher`` is a registered searcher name (``"random"``, ``"grid"``,
    ``"bayesopt"``, ...) built with ``search_options`` as extra arguments, or a searcher
    instance used as it is. ``random_seed=None`` draws a seed, which ``metadata()`` records so
    the run can be repeated. ``max_t`` (the maximum resource, e.g. epochs; ``None`` if there is
    none) follows ``synetune_sdk.max_resource``: the config-space constant named by
    ``max_resource_attr``, else ``max_t``, else the config-space constants ``epochs``,
    ``max_t``, ``max_epochs``; searchers may read it in ``configure_scheduler``. Unknown
    keyword arguments raise a ``TypeError``.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str | list[str],
        mode: str | list[str] = "min",
        searcher: str | Any = "random",
        search_options: dict[str, Any] | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        max_resource_attr: str | None = None,
        max_t: int | None = None,
        resource_attr: str | None = None,
        **kwargs: Any,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unknown argument(s) {sorted(kwargs)}; valid arguments "
                "are config_space, metric, mode, searcher, search_options, points_to_evaluate, "
                "random_seed, max_resource_attr, max_t, resource_attr (searcher options go into "
                "search_options)"
            )
        validate_config_space(config_space)
        super().__init__(config_space)
        self._metrics, self._modes = _metrics_and_modes(metric, mode)
        self.metric = metric
        self.mode = mode
        if random_seed is None:
            random_seed = secrets.randbelow(2**31 - 1)
        self.random_seed = int(random_seed)
        self.max_resource_attr = max_resource_attr
        self.resource_attr = resource_attr
        self.max_t = infer_max_t(self.config_space, max_resource_attr, max_t, required=False)
        self.search_options = dict(search_options or {})
        self.searcher_name = searcher if isinstance(searcher, str) else type(searcher).__name__
        from synetune.plugin_api import make_searcher

        single = len(self._metrics) == 1 and isinstance(metric, str)
        self.searcher = make_searcher(
            searcher,
            config_space=self.config_space,
            metric=self._metrics[0] if single else list(self._metrics),
            mode=self._modes[0] if single else list(self._modes),
            points_to_evaluate=points_to_evaluate,
            random_seed=self.random_seed,
            search_options=self.search_options,
        )
        self.searcher.configure_scheduler(self)

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        config = self.searcher.suggest(trial_id)
        if config is None:
            return None
        config = self._complete_config(config)
        self.searcher.register_pending(trial_id, config)
        return TrialSuggestion.start_suggestion(config)

    def _complete_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Cast the searcher's values to their domains and add the constants it left out."""
        missing = [
            name
            for name, domain in self.config_space.items()
            if isinstance(domain, Domain) and name not in config
        ]
        if missing:
            raise ValueError(
                f"searcher {self.searcher_name!r} suggested {config!r}, which lacks the "
                f"hyperparameter(s) {missing}"
            )
        config = cast_config(config, self.config_space)
        out = {name: config.get(name, value) for name, value in self.config_space.items()}
        out.update({k: v for k, v in config.items() if k not in out})
        return out

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        self._check_result(trial, result)
        self.searcher.on_trial_result(trial.trial_id, trial.config, result, update=False)
        # Even once the resource reaches max_t the answer is CONTINUE: the training script ends
        # itself, and stopping it here could cut off its final report or checkpoint.
        return SchedulerDecision.CONTINUE

    def may_decide(self, trial_id: int, result: dict[str, Any]) -> bool:
        """FIFO never stops a trial; only a result it rejects (a metric missing) ends one."""
        return any(name not in result for name in self._metrics)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self._check_result(trial, result)
        self.searcher.on_trial_complete(trial.trial_id, trial.config, result)

    def on_trial_error(self, trial: Trial) -> None:
        self.searcher.on_trial_error(trial.trial_id)

    def _check_result(self, trial: Trial, result: dict[str, Any]) -> None:
        missing = [name for name in self._metrics if name not in result]
        if missing:
            raise ValueError(
                f"trial {trial.trial_id} reported a result without the metric(s) {missing} this "
                f"scheduler optimises; reported keys: {sorted(result)}. Report "
                f"{', '.join(missing)} in every result, or set metric= to a reported key."
            )

    def metric_names(self) -> list[str]:
        return list(self._metrics)

    def metric_mode(self) -> str | list[str]:
        return self._modes[0] if len(self._modes) == 1 else list(self._modes)

    def metadata(self) -> dict[str, Any]:
        out = super().metadata()
        out.update(
            config_space=config_space_to_json(self.config_space),
            searcher=self.searcher_name,
            random_seed=self.random_seed,
            max_t=self.max_t,
            max_resource_attr=self.max_resource_attr,
        )
        return out


def _metrics_and_modes(
    metric: str | list[str], mode: str | list[str]
) -> tuple[list[str], list[str]]:
    """One mode per metric, checked; a single mode applies to every metric."""
    metrics = [metric] if isinstance(metric, str) else list(metric)
    if not metrics or not all(isinstance(m, str) and m for m in metrics):
        raise ValueError(
            f"metric must be a metric name or a non-empty list of names, got {metric!r}"
        )
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"metric names must be distinct, got {metrics}")
    modes = [mode] * len(metrics) if isinstance(mode, str) else list(mode)
    if len(modes) != len(metrics):
        raise ValueError(
            f"mode has {len(modes)} entries but metric has {len(metrics)}: give one mode per "
            f"metric or a single mode for all (metric={metric!r}, mode={mode!r})"
        )
    for m in modes:
        if m not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {m!r}")
    return metrics, modes
