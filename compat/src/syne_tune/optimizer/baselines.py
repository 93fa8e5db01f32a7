"""``syne_tune.optimizer.baselines``: Syne Tune 0.13's baselines that synetune has, by Syne
Tune's class names and signatures, built through ``synetune.schedulers.create``.

As in Syne Tune, ``kwargs`` go to the underlying scheduler: ``mode`` (default ``"min"``),
``random_seed``, ``points_to_evaluate``, ``search_options``, ``max_resource_attr`` / ``max_t``
(``max_resource_level`` for the synchronous ones), ``grace_period``, ``reduction_factor``,
``type``, ``brackets``, ... (each plugin's README lists them). A baseline synetune lacks raises
``NotInSynetuneError`` naming the closest one here.
"""

from __future__ import annotations

from typing import Any

from syne_tune._facade import Component, create, fixed_searcher
from syne_tune._missing import missing
from syne_tune.optimizer.schedulers import PopulationBasedTraining


def _build(cls: type, searcher: str | None, /, **kwargs: Any) -> Any:
    if searcher is not None:
        fixed_searcher(cls, kwargs, searcher)
    return create("schedulers", cls.registered, **kwargs)


class RandomSearch(Component):
    """Random search (``random_search``); ``metric`` may be a list (multi-objective)."""

    registered = "random_search"

    def __new__(cls, config_space: dict[str, Any], metric: str, **kwargs: Any) -> Any:
        return _build(cls, "random", config_space=config_space, metric=metric, **kwargs)


class GridSearch(Component):
    """Grid search (``grid_search``); ``search_options={"num_samples": ...}``."""

    registered = "grid_search"

    def __new__(cls, config_space: dict[str, Any], metric: str, **kwargs: Any) -> Any:
        return _build(cls, "grid", config_space=config_space, metric=metric, **kwargs)


class BayesianOptimization(Component):
    """GP-based Bayesian optimisation (``bayesian_optimization``, synetune-plugin-gp)."""

    registered = "bayesian_optimization"

    def __new__(cls, config_space: dict[str, Any], metric: str, **kwargs: Any) -> Any:
        return _build(cls, "bayesopt", config_space=config_space, metric=metric, **kwargs)


class ConstrainedBayesianOptimization(Component):
    """Constrained GP BO: ``constraint_attr`` is feasible when <= 0
    (``constrained_bayesian_optimization``, synetune-plugin-gp)."""

    registered = "constrained_bayesian_optimization"

    def __new__(
        cls, config_space: dict[str, Any], metric: str, constraint_attr: str, **kwargs: Any
    ) -> Any:
        return _build(
            cls,
            "bayesopt_constrained",
            config_space=config_space,
            metric=metric,
            constraint_attr=constraint_attr,
            **kwargs,
        )


class BoTorch(Component):
    """BoTorch GP searcher (``botorch``, synetune-plugin-botorch; torch)."""

    registered = "botorch"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: str,
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls, None, config_space=config_space, metric=metric, random_seed=random_seed, **kwargs
        )


class _MultiFidelity(Component):
    """A baseline with Syne Tune's ``(config_space, metric, resource_attr, **kwargs)``."""

    searcher: str | None = None

    def __new__(
        cls, config_space: dict[str, Any], metric: str, resource_attr: str, **kwargs: Any
    ) -> Any:
        return _build(
            cls,
            cls.searcher,
            config_space=config_space,
            metric=metric,
            resource_attr=resource_attr,
            **kwargs,
        )


class ASHA(_MultiFidelity):
    """Asynchronous successive halving (``asha``); ``type="stopping"`` or ``"promotion"``."""

    registered = "asha"
    searcher = "random"


class PASHA(_MultiFidelity):
    """Progressive ASHA (``pasha``)."""

    registered = "pasha"


class MOBSTER(_MultiFidelity):
    """ASHA with a multi-fidelity GP searcher (``mobster``, synetune-plugin-gp)."""

    registered = "mobster"
    searcher = "bayesopt"


class HyperTune(_MultiFidelity):
    """Hyper-Tune (``hypertune``, synetune-plugin-gp); ``brackets > 1`` for the learned
    bracket distribution."""

    registered = "hypertune"
    searcher = "hypertune"


class SyncHyperband(_MultiFidelity):
    """Synchronous Hyperband (``sync_hyperband``); ``brackets=1`` is synchronous SH."""

    registered = "sync_hyperband"


class SyncMOBSTER(_MultiFidelity):
    """Synchronous Hyperband with GP searcher (``sync_mobster``, synetune-plugin-gp)."""

    registered = "sync_mobster"
    searcher = "bayesopt"


class DEHB(_MultiFidelity):
    """Differential evolution Hyperband (``dehb``)."""

    registered = "dehb"


__all__ = [
    "ASHA",
    "BayesianOptimization",
    "BoTorch",
    "ConstrainedBayesianOptimization",
    "DEHB",
    "GridSearch",
    "HyperTune",
    "MOBSTER",
    "PASHA",
    "PopulationBasedTraining",
    "RandomSearch",
    "SyncHyperband",
    "SyncMOBSTER",
]

_BO = "BayesianOptimization (GP-based; synetune has no {} searcher)"
_MF = "MOBSTER (ASHA with a multi-fidelity GP), or HyperTune"
_MO = (
    "RandomSearch with a list of metrics (multi-objective random search; synetune has no "
    "multi-objective model or rung rule)"
)
MISSING = {
    "KDE": _BO.format("kernel density (TPE)"),
    "BORE": _BO.format("BORE"),
    "CQR": _BO.format("conformal quantile regression"),
    "REA": "RandomSearch or BayesianOptimization (synetune has no regularized evolution); "
    "DEHB for evolution with Hyperband",
    "SMAC": _BO.format("SMAC"),
    "ZeroShotTransfer": "BayesianOptimization with points_to_evaluate= the best "
    "configurations of earlier tasks (no transfer learning in synetune)",
    "BOHB": _MF,
    "DyHPO": _MF + " (type='promotion')",
    "ASHABORE": _MF,
    "ASHACQR": _MF,
    "ASHACTS": _MF,
    "SyncBOHB": "SyncMOBSTER",
    "MOASHA": _MO,
    "NSGA2": _MO,
    "MOREA": _MO,
    "EHVI": _MO,
    "MORandomScalarizationBayesOpt": _MO,
    "MOLinearScalarizationBayesOpt": _MO,
    "baselines_dict": "synetune.schedulers.names() and synetune.schedulers.create(name, ...)",
    "create_gaussian_process_estimator": "none (the GP of synetune-plugin-gp is internal)",
}

__getattr__ = missing(__name__, globals(), MISSING)
