"""Scalarized multi-objective Bayesian optimisation over the GP searcher of synetune-plugin-gp,
built by name (``bayesopt``) through ``synetune.plugin_api``.

* ``LinearScalarizedScheduler`` (``mo_linear_scalarization``, Syne Tune's
  ``LinearScalarizedScheduler`` / ``MOLinearScalarizationBayesOpt``): a single-objective scheduler
  (default ``fifo`` with ``bayesopt``) optimises the fixed weighted sum of the objectives.
* ``RandomScalarizationSearcher`` (searcher ``mo_random_scalarization``; Syne Tune's
  ``MORandomScalarizationBayesOpt``, after Paria et al., UAI 2018): every suggestion draws new
  weights, one ``uniform(0, 1)`` per objective as Syne Tune does, and asks a GP fitted to the
  weighted sum of the objectives (each min-max normalised over the observations) for the
  minimiser of its lower confidence bound ``mean - kappa * stddev`` (``kappa=0.5``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from synetune_plugin_multiobjective.common import ObjectiveReader, metrics_and_modes
from synetune_sdk.config_space import impute_points_to_evaluate, validate_config_space
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.searcher import Searcher
from synetune_sdk.trial import Trial, TrialSuggestion

SCALARIZED = "scalarized_objective"


def _scalarized_name(metrics: list[str]) -> str:
    name = f"scalarized_{'_'.join(metrics)}"
    if len(name) > 64:  # Syne Tune appends a random string here; a digest keeps runs repeatable
        name = f"scalarized_objective_{hashlib.sha1(name.encode()).hexdigest()[:10]}"
    return name


class LinearScalarizedScheduler(Scheduler):
    """Optimise ``sum_i w_i * y_i`` with a single-objective scheduler (``mo_linear_scalarization``).

    ``metric``: two or more metrics; ``mode``: one string or one per metric; ``scalarization_
    weights``: one weight per metric (default all 1). An objective whose mode is "max" enters
    with its sign flipped, so modes may be mixed (Syne Tune requires them equal; with equal modes
    both pick the same configurations). ``base_scheduler`` (default ``"fifo"``) is a registered
    scheduler name, built with ``searcher`` (default ``"bayesopt"``) and ``base_scheduler_kwargs``
    (``search_options``, ``points_to_evaluate``, ``random_seed``, ...) on the scalarized metric
    ``scalarized_<metric1>_<metric2>...``. A result lacking a metric or holding a NaN gives a NaN
    scalarized value, which the GP leaves out (one warning).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: list[str],
        mode: str | list[str] = "min",
        scalarization_weights: list[float] | np.ndarray | None = None,
        base_scheduler: str = "fifo",
        searcher: Any = "bayesopt",
        **base_scheduler_kwargs: Any,
    ):
        validate_config_space(config_space)
        super().__init__(config_space)
        self._metrics, self._modes = metrics_and_modes(metric, mode, "mo_linear_scalarization")
        self.mode = mode
        weights = np.ones(len(self._metrics)) if scalarization_weights is None else None
        if weights is None:
            weights = np.asarray(scalarization_weights, dtype=float).reshape(-1)
            if len(weights) != len(self._metrics) or not np.all(np.isfinite(weights)):
                raise ValueError(
                    f"mo_linear_scalarization: scalarization_weights must hold one finite number "
                    f"per metric ({len(self._metrics)}: {self._metrics}), got "
                    f"{scalarization_weights!r}"
                )
        self.scalarization_weights = weights
        self.single_objective_metric = _scalarized_name(self._metrics)
        self._read = ObjectiveReader(self._metrics, self._modes, "mo_linear_scalarization")
        from synetune.plugin_api import create

        self.base_scheduler = create(
            "schedulers",
            base_scheduler,
            config_space=config_space,
            metric=self.single_objective_metric,
            mode="min",
            searcher=searcher,
            **base_scheduler_kwargs,
        )

    def _with_scalarized(self, trial: Trial, result: dict[str, Any]) -> dict[str, Any]:
        y = self._read(result, trial.trial_id)
        value = float(y @ self.scalarization_weights) if y is not None else float("nan")
        return {**result, self.single_objective_metric: value}

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        return self.base_scheduler.suggest(trial_id)

    def on_trial_add(self, trial: Trial) -> None:
        self.base_scheduler.on_trial_add(trial)

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        return self.base_scheduler.on_trial_result(trial, self._with_scalarized(trial, result))

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self.base_scheduler.on_trial_complete(trial, self._with_scalarized(trial, result))

    def on_trial_error(self, trial: Trial) -> None:
        self.base_scheduler.on_trial_error(trial)

    def on_trial_remove(self, trial: Trial) -> None:
        self.base_scheduler.on_trial_remove(trial)

    def metric_names(self) -> list[str]:
        return list(self._metrics)

    def metric_mode(self) -> str | list[str]:
        return self.mode if isinstance(self.mode, str) else list(self._modes)

    def is_multiobjective_scheduler(self) -> bool:
        return True

    def default_callbacks(self) -> list[Any]:
        return self.base_scheduler.default_callbacks()

    def metadata(self) -> dict[str, Any]:
        base = self.base_scheduler.metadata()
        return {
            **base,
            **super().metadata(),
            "scalarized_metric": self.single_objective_metric,
            "scalarization_weights": self.scalarization_weights.tolist(),
            "base_scheduler": base.get("scheduler_name"),
        }


class RandomScalarizationSearcher(Searcher):
    """A new random weighting of the objectives per suggestion, each handed to a ``bayesopt``
    GP (``mo_random_scalarization``).

    ``points_to_evaluate`` come first (``None``: the midpoint configuration). ``kappa=0.5``
    is the LCB's exploration weight (Syne Tune's default); ``search_options`` go to every GP
    (``num_init_random``, ``opt_maxiter``, ...). Pending configurations are handed to the GP,
    which fantasizes over them, so parallel workers get different suggestions.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        kappa: float = 0.5,
        search_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        validate_config_space(config_space)
        metrics, modes = metrics_and_modes(metric, mode, "mo_random_scalarization")
        super().__init__(
            config_space,
            metric=metrics,
            mode=mode,
            points_to_evaluate=impute_points_to_evaluate(points_to_evaluate, config_space),
            random_seed=random_seed,
        )
        if not isinstance(kappa, int | float) or not kappa >= 0:
            raise ValueError(f"mo_random_scalarization: kappa must be >= 0, got {kappa!r}")
        self.metrics, self.modes, self.kappa = metrics, modes, float(kappa)
        self.search_options = {**(search_options or {}), **kwargs}
        self._weights_rng = np.random.RandomState(random_seed)
        self._read = ObjectiveReader(metrics, modes, "mo_random_scalarization")
        self._configs: list[dict[str, Any]] = []
        self._values: list[np.ndarray] = []
        self._failed: list[dict[str, Any]] = []
        self._pending: dict[int, dict[str, Any]] = {}

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any] | None:
        config = self.next_initial_config()
        if config is not None:
            return config
        weights = self._weights_rng.uniform(size=len(self.metrics))
        gp = self._make_gp(int(self._weights_rng.randint(2**31 - 1)))
        if self._values:
            Y = np.array(self._values)
            low, span = Y.min(axis=0), np.ptp(Y, axis=0)
            span[span == 0] = 1.0
            scalarized = ((Y - low) / span) @ weights
            for i, (config, value) in enumerate(zip(self._configs, scalarized)):
                gp.on_trial_complete(-1 - i, config, {SCALARIZED: float(value)})
        for i, config in enumerate(self._failed):  # never suggested again
            gp.on_trial_complete(-1 - len(self._configs) - i, config, {SCALARIZED: float("nan")})
        for pending_id, config in self._pending.items():
            gp.register_pending(pending_id, config)
        return gp.suggest(trial_id)

    def _make_gp(self, seed: int) -> Any:
        from synetune.plugin_api import make_searcher

        options = {"acq_function": "lcb", "acq_function_kwargs": {"kappa": self.kappa}}
        options.update(self.search_options)
        return make_searcher(
            "bayesopt",
            config_space=self.config_space,
            metric=SCALARIZED,
            mode="min",
            points_to_evaluate=[],
            random_seed=seed,
            search_options=options,
        )

    def register_pending(
        self, trial_id: int, config: dict[str, Any] | None = None, milestone: int | None = None
    ) -> None:
        if config is not None:
            self._pending[trial_id] = dict(config)

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        self._pending.pop(trial_id, None)
        y = self._read(result, trial_id)
        if y is None:
            self._failed.append(dict(config))
        else:
            self._configs.append(dict(config))
            self._values.append(y)

    def evaluation_failed(self, trial_id: int) -> None:
        config = self._pending.pop(trial_id, None)
        if config is not None:
            self._failed.append(config)
