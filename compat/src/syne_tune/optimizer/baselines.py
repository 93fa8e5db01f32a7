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
from syne_tune._missing import missing, not_in_synetune
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


class _Plain(Component):
    """A baseline with Syne Tune's ``(config_space, metric, **kwargs)``; the registered
    factory fixes (and checks) its searcher."""

    def __new__(cls, config_space: dict[str, Any], metric: str, **kwargs: Any) -> Any:
        return _build(cls, None, config_space=config_space, metric=metric, **kwargs)


class KDE(_Plain):
    """Kernel density (TPE-like) searcher with FIFO scheduling (``kde``,
    synetune-plugin-kde)."""

    registered = "kde"


class BOHB(_MultiFidelity):
    """Asynchronous Hyperband with the kernel density searcher (``bohb``, synetune-plugin-kde)."""

    registered = "bohb"


class SyncBOHB(_MultiFidelity):
    """Synchronous Hyperband with the kernel density searcher (``sync_bohb``,
    synetune-plugin-kde)."""

    registered = "sync_bohb"


class BORE(Component):
    """Bayesian optimisation by density-ratio estimation (``bore``, synetune-plugin-bore)."""

    registered = "bore"

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


class ASHABORE(Component):
    """ASHA with the multi-fidelity BORE searcher (``asha_bore``, synetune-plugin-bore)."""

    registered = "asha_bore"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            resource_attr=resource_attr,
            random_seed=random_seed,
            **kwargs,
        )


class CQR(Component):
    """Conformal quantile regression surrogate (``cqr``, synetune-plugin-cqr)."""

    registered = "cqr"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            **kwargs,
        )


class ASHACQR(Component):
    """ASHA with the conformal quantile regression searcher (``asha_cqr``,
    synetune-plugin-cqr)."""

    registered = "asha_cqr"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        mode: str = "min",
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            resource_attr=resource_attr,
            mode=mode,
            random_seed=random_seed,
            **kwargs,
        )


class REA(Component):
    """Regularized evolution (``rea``, synetune-plugin-rea)."""

    registered = "rea"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: str,
        population_size: int = 100,
        sample_size: int = 10,
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            population_size=population_size,
            sample_size=sample_size,
            random_seed=random_seed,
            **kwargs,
        )


class DyHPO(Component):
    """Dynamic gray-box HPO (``dyhpo``, synetune-plugin-dyhpo)."""

    registered = "dyhpo"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        probability_sh: float | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            resource_attr=resource_attr,
            probability_sh=probability_sh,
            **kwargs,
        )


class MOASHA(Component):
    """Multi-objective ASHA (``moasha``, synetune-plugin-multiobjective). Syne Tune's
    signature exactly (no ``**kwargs``, no ``random_seed``): ``time_attr`` is the resource,
    ``multiobjective_priority`` ranks the objectives (see the plugin's README)."""

    registered = "moasha"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metrics: list[str],
        mode: str | list[str] | None = None,
        time_attr: str = "training_iteration",
        multiobjective_priority: Any = None,
        max_t: int = 100,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int = 1,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metrics=metrics,
            mode=mode,
            time_attr=time_attr,
            multiobjective_priority=multiobjective_priority,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            brackets=brackets,
        )


class NSGA2(Component):
    """Asynchronous NSGA-II (``nsga2``, synetune-plugin-multiobjective)."""

    registered = "nsga2"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: list[str],
        mode: list[str] | str = "min",
        population_size: int = 20,
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            mode=mode,
            population_size=population_size,
            random_seed=random_seed,
            **kwargs,
        )


class MOREA(Component):
    """Multi-objective regularized evolution (``morea``, synetune-plugin-multiobjective)."""

    registered = "morea"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: list[str],
        mode: list[str] | str = "min",
        population_size: int = 100,
        sample_size: int = 10,
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            mode=mode,
            population_size=population_size,
            sample_size=sample_size,
            random_seed=random_seed,
            **kwargs,
        )


class MORandomScalarizationBayesOpt(Component):
    """GP BO on random weightings of the objectives (``mo_random_scalarization``,
    synetune-plugin-multiobjective). Syne Tune's ``estimators`` (its own GP estimator
    objects) have no synetune counterpart: only ``None`` is accepted."""

    registered = "mo_random_scalarization"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: list[str],
        mode: list[str] | str = "min",
        random_seed: int | None = None,
        estimators: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        if estimators is not None:
            raise not_in_synetune(
                __name__,
                "MORandomScalarizationBayesOpt(estimators=...)",
                "leave estimators=None: one GP per objective, configured through "
                "search_options (synetune-plugin-multiobjective README)",
            )
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            **kwargs,
        )


class MOLinearScalarizationBayesOpt(Component):
    """GP BO on a fixed weighted sum of the objectives (``mo_linear_scalarization``,
    synetune-plugin-multiobjective; FIFO with the ``bayesopt`` searcher)."""

    registered = "mo_linear_scalarization"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: list[str],
        scalarization_weights: list[float] | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            scalarization_weights=scalarization_weights,
            **kwargs,
        )


class EHVI(Component):
    """Expected hypervolume improvement (``ehvi``, synetune-plugin-botorch; torch). Not a
    Syne Tune 0.13.0 baseline (later Syne Tune versions have one): the arguments are the
    plugin's (``mode``, ``random_seed``, ``points_to_evaluate``, ``search_options``, ...)."""

    registered = "ehvi"

    def __new__(cls, config_space: dict[str, Any], metric: list[str], **kwargs: Any) -> Any:
        return _build(cls, None, config_space=config_space, metric=metric, **kwargs)


class ZeroShotTransfer(Component):
    """Zero-shot transfer from earlier tasks' evaluations (``zero_shot``,
    synetune-plugin-transfer); ``transfer_learning_evaluations`` maps task names to
    ``TransferLearningTaskEvaluations`` (``syne_tune.optimizer.schedulers.transfer_learning``)."""

    registered = "zero_shot"

    def __new__(
        cls,
        config_space: dict[str, Any],
        transfer_learning_evaluations: dict[str, Any],
        metric: str,
        mode: str = "min",
        sort_transfer_learning_evaluations: bool = True,
        use_surrogates: bool = False,
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            transfer_learning_evaluations=transfer_learning_evaluations,
            metric=metric,
            mode=mode,
            sort_transfer_learning_evaluations=sort_transfer_learning_evaluations,
            use_surrogates=use_surrogates,
            random_seed=random_seed,
            **kwargs,
        )


class ASHACTS(Component):
    """ASHA with the quantile-based Copula Thompson sampling searcher on earlier tasks'
    evaluations (``asha_cts``, synetune-plugin-transfer)."""

    registered = "asha_cts"

    def __new__(
        cls,
        config_space: dict[str, Any],
        metric: str,
        resource_attr: str,
        transfer_learning_evaluations: dict[str, Any],
        mode: str = "min",
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> Any:
        return _build(
            cls,
            None,
            config_space=config_space,
            metric=metric,
            resource_attr=resource_attr,
            transfer_learning_evaluations=transfer_learning_evaluations,
            mode=mode,
            random_seed=random_seed,
            **kwargs,
        )


__all__ = [
    "ASHA",
    "ASHABORE",
    "ASHACQR",
    "ASHACTS",
    "BayesianOptimization",
    "BOHB",
    "BORE",
    "BoTorch",
    "ConstrainedBayesianOptimization",
    "CQR",
    "DEHB",
    "DyHPO",
    "EHVI",
    "GridSearch",
    "HyperTune",
    "KDE",
    "MOASHA",
    "MOBSTER",
    "MOLinearScalarizationBayesOpt",
    "MORandomScalarizationBayesOpt",
    "MOREA",
    "NSGA2",
    "PASHA",
    "PopulationBasedTraining",
    "RandomSearch",
    "REA",
    "SyncBOHB",
    "SyncHyperband",
    "SyncMOBSTER",
    "ZeroShotTransfer",
]

MISSING = {
    "SMAC": "BayesianOptimization (GP-based), KDE, BORE or CQR (synetune has no SMAC3 "
    "wrapper; RayTuneScheduler with a Ray Tune searcher)",
    "baselines_dict": "synetune.schedulers.names() and synetune.schedulers.create(name, ...)",
    "create_gaussian_process_estimator": "none (the GP of synetune-plugin-gp is internal)",
}

__getattr__ = missing(__name__, globals(), MISSING)
