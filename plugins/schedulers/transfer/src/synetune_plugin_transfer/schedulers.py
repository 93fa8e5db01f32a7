"""The transfer schedulers, with Syne Tune's names, arguments and defaults.

``zero_shot`` and ``quantile_based`` are the ``fifo`` scheduler and ``asha_cts`` the
``hyperband`` scheduler (ASHA) with a transfer searcher; ``rush`` is ``hyperband`` with the
``rush_stopping`` / ``rush_promotion`` rung types of synetune-plugin-hyperband, its threshold
candidates being the best earlier configurations; ``bounding_box`` wraps any registered
scheduler, built by name on the box of the best earlier configurations. Every argument not named
here goes to the scheduler built underneath (``synetune describe fifo`` / ``hyperband``).
"""

from __future__ import annotations

import logging
from typing import Any

from synetune_plugin_transfer.wrapper import WrappingScheduler
from synetune_sdk.config_space import (
    Categorical,
    Domain,
    FiniteRange,
    Float,
    Integer,
    Ordinal,
    config_key,
    config_space_size,
)
from synetune_sdk.transfer import TransferLearningTaskEvaluations

logger = logging.getLogger(__name__)

__all__ = [
    "ASHACTS",
    "BoundingBox",
    "RUSHScheduler",
    "ZeroShotTransfer",
    "bounding_box_space",
    "quantile_based",
]

Evaluations = dict[str, TransferLearningTaskEvaluations]

# asha_cts: repeats allowed, each costing a configuration 2 on the Gaussian-copula scale (ASHA
# stops most trials at the first rung; a few more runs of the surrogate's favourites pay off,
# crowding out the rest does not: benchmarks/transfer_quality.py, the plugin README)
ASHA_CTS_REPEAT_PENALTY = 2.0


def _create(name: str, **kwargs: Any) -> Any:
    from synetune.plugin_api import create

    return create("schedulers", name, **kwargs)


def _no_searcher(kwargs: dict[str, Any], method: str) -> None:
    if "searcher" in kwargs:
        raise TypeError(f"{method} always uses its transfer searcher; 'searcher' cannot be set")


def ZeroShotTransfer(  # noqa: N802 - Syne Tune's class name
    config_space: dict[str, Any],
    transfer_learning_evaluations: Evaluations,
    metric: str,
    mode: str = "min",
    sort_transfer_learning_evaluations: bool = True,
    use_surrogates: bool = False,
    random_seed: int | None = None,
    points_to_evaluate: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Any:
    """FIFO scheduling with ``ZeroShotSearcher`` (Syne Tune's ``ZeroShotTransfer`` baseline);
    ``kwargs`` go to ``fifo``. ``points_to_evaluate`` (Syne Tune: ignored) run first."""
    from synetune_plugin_transfer.searchers import ZeroShotSearcher

    _no_searcher(kwargs, "zero_shot")
    searcher = ZeroShotSearcher(
        config_space,
        metric,
        transfer_learning_evaluations,
        mode=mode,
        sort_transfer_learning_evaluations=sort_transfer_learning_evaluations,
        use_surrogates=use_surrogates,
        points_to_evaluate=points_to_evaluate,
        random_seed=random_seed,
    )
    return _create(
        "fifo",
        config_space=config_space,
        metric=metric,
        mode=mode,
        searcher=searcher,
        random_seed=random_seed,
        **kwargs,
    )


def _cts_searcher(
    config_space: dict[str, Any],
    metric: str,
    transfer_learning_evaluations: Evaluations,
    mode: str,
    random_seed: int | None,
    search_options: dict[str, Any] | None,
    points_to_evaluate: list[dict[str, Any]] | None,
) -> Any:
    from synetune_plugin_transfer.searchers import QuantileBasedSurrogateSearcher

    return QuantileBasedSurrogateSearcher(
        config_space,
        metric,
        transfer_learning_evaluations,
        mode=mode,
        points_to_evaluate=points_to_evaluate,
        random_seed=random_seed,
        **(search_options or {}),
    )


def quantile_based(
    config_space: dict[str, Any],
    metric: str,
    transfer_learning_evaluations: Evaluations,
    mode: str = "min",
    random_seed: int | None = None,
    search_options: dict[str, Any] | None = None,
    points_to_evaluate: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Any:
    """FIFO scheduling with ``QuantileBasedSurrogateSearcher`` (Copula Thompson sampling);
    ``search_options``: ``max_fit_samples`` (100000), ``normalization`` ("gaussian"),
    ``num_candidates`` (100000, Syne Tune's); ``kwargs`` go to ``fifo``."""
    _no_searcher(kwargs, "quantile_based")
    searcher = _cts_searcher(
        config_space,
        metric,
        transfer_learning_evaluations,
        mode,
        random_seed,
        search_options,
        points_to_evaluate,
    )
    return _create(
        "fifo",
        config_space=config_space,
        metric=metric,
        mode=mode,
        searcher=searcher,
        random_seed=random_seed,
        **kwargs,
    )


def ASHACTS(  # noqa: N802 - Syne Tune's class name
    config_space: dict[str, Any],
    metric: str,
    resource_attr: str,
    transfer_learning_evaluations: Evaluations,
    mode: str = "min",
    random_seed: int | None = None,
    search_options: dict[str, Any] | None = None,
    points_to_evaluate: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Any:
    """ASHA (``hyperband``, ``type="stopping"`` unless given) with the quantile-based CTS
    searcher (Syne Tune's ``ASHACTS``), ``repeat_penalty=2.0`` unless ``search_options`` sets
    it (None: each configuration once before any repeat); ``kwargs`` go to ``hyperband`` (``max_t``,
    ``max_resource_attr``, ``grace_period``, ``reduction_factor``, ``type``, ...)."""
    _no_searcher(kwargs, "asha_cts")
    searcher = _cts_searcher(
        config_space,
        metric,
        transfer_learning_evaluations,
        mode,
        random_seed,
        {"repeat_penalty": ASHA_CTS_REPEAT_PENALTY, **(search_options or {})},
        points_to_evaluate,
    )
    return _create(
        "hyperband",
        config_space=config_space,
        metric=metric,
        mode=mode,
        resource_attr=resource_attr,
        searcher=searcher,
        random_seed=random_seed,
        **kwargs,
    )


def RUSHScheduler(  # noqa: N802 - Syne Tune's class name
    config_space: dict[str, Any],
    transfer_learning_evaluations: Evaluations,
    metric: str,
    type: str = "stopping",  # noqa: A002 - Syne Tune's argument name
    points_to_evaluate: list[dict[str, Any]] | None = None,
    custom_rush_points: list[dict[str, Any]] | None = None,
    num_hyperparameters_per_task: int = 1,
    hurdle: str = "incumbent",
    rerun_thresholds: bool = True,
    **kwargs: Any,
) -> Any:
    """RUSH (Zappella, Salinas and Archambeau 2021; Syne Tune's ``RUSHScheduler``): the best
    ``num_hyperparameters_per_task`` configurations of each earlier task (then
    ``custom_rush_points``) run first and set a hurdle at every rung; ``points_to_evaluate``
    run after them without setting hurdles. ``type``: ``"stopping"`` or ``"promotion"``;
    ``kwargs`` go to ``hyperband`` (``resource_attr``, ``max_t`` / ``max_resource_attr``,
    ``mode``, ``grace_period``, ``reduction_factor``, ``searcher``, ``random_seed``, ...)."""
    from synetune_plugin_transfer.searchers import checked_evaluations

    if type not in ("stopping", "promotion"):
        raise ValueError(f"RUSH's type must be 'stopping' or 'promotion', got {type!r}")
    if hurdle not in ("incumbent", "best"):
        raise ValueError(f"RUSH's hurdle must be 'incumbent' or 'best', got {hurdle!r}")
    if "rung_system_kwargs" in kwargs:
        raise TypeError("rush sets rung_system_kwargs itself (its threshold candidates)")
    mode = kwargs.get("mode", "min")
    tasks = checked_evaluations(config_space, transfer_learning_evaluations, metric)
    candidates = [
        {**config_space, **config}
        for evals in tasks.values()
        for config in evals.top_k_hyperparameter_configurations(
            _positive(num_hyperparameters_per_task), mode, metric
        )
    ]
    candidates += [{**config_space, **c} for c in custom_rush_points or []]
    thresholds = _unique(candidates, config_space)
    keys = {config_key(c, config_space) for c in thresholds}
    rest = [p for p in points_to_evaluate or [] if config_key(p, config_space) not in keys]
    if type == "stopping" and hurdle == "incumbent":
        from synetune_plugin_transfer.rush import IncumbentRush

        return IncumbentRush(
            config_space, metric, thresholds, rest, rerun_thresholds=rerun_thresholds, **kwargs
        )
    return _create(
        "hyperband",
        config_space=config_space,
        metric=metric,
        type="rush_" + type,
        points_to_evaluate=thresholds + rest,
        rung_system_kwargs={"num_threshold_candidates": len(thresholds)},
        **kwargs,
    )


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"num_hyperparameters_per_task must be an integer >= 1, got {value!r}")
    return value


def _unique(configs: list[dict[str, Any]], config_space: dict[str, Any]) -> list[dict[str, Any]]:
    """First occurrences, in order (Syne Tune deduplicates through a set: random order)."""
    seen, out = set(), []
    for config in configs:
        key = config_key(config, config_space)
        if key not in seen:
            seen.add(key)
            out.append(config)
    return out


# ---------------------------------------------------------------------------- bounding box
def bounding_box_space(
    config_space: dict[str, Any], configs: list[dict[str, Any]]
) -> dict[str, Any]:
    """``config_space`` restricted to the box around ``configs``: numerical ranges shrink to
    their min..max (log scale, grid points and integrality kept; a single value becomes a
    constant), categorical ones to the values that occur."""
    if not configs:
        raise ValueError("the bounding box needs at least one configuration")
    out: dict[str, Any] = {}
    for name, domain in config_space.items():
        if not isinstance(domain, Domain):
            out[name] = domain
            continue
        values = [domain.cast(c[name]) for c in configs]
        if isinstance(domain, Categorical):
            kept = [v for v in domain.categories if v in values]
            ordinal = isinstance(domain, Ordinal)
            out[name] = Ordinal(kept, domain.kind) if ordinal else Categorical(kept)
            continue
        low, high = min(values), max(values)
        if low == high:
            out[name] = low
        elif isinstance(domain, FiniteRange):
            grid = [v for v in domain.values if low <= v <= high]
            box = FiniteRange(low, high, len(grid), domain.log_scale, domain.cast_int)
            out[name] = box if box.values == grid else Categorical(grid)
        elif isinstance(domain, Integer):
            out[name] = Integer(int(low), int(high), log=domain.log)
        elif isinstance(domain, Float):
            out[name] = Float(low, high, log=domain.log)
        else:
            out[name] = domain  # no known way to shrink it
    return out


class BoundingBox(WrappingScheduler):
    """Syne Tune's ``BoundingBox`` (Perrone et al., NeurIPS 2019): the best
    ``num_hyperparameters_per_task`` configurations of each earlier task span a box, and the
    wrapped scheduler searches only that box.

    ``scheduler_fun``: a registered scheduler name (built as ``create("schedulers", name,
    config_space=box, metric=metric, mode=mode, random_seed=..., **scheduler_kwargs)``), or Syne
    Tune's callable ``(config_space, mode, metric) -> scheduler``. Default: ``random_search``.
    """

    scheduler_name = "BoundingBox"

    def __init__(
        self,
        scheduler_fun: Any = "random_search",
        config_space: dict[str, Any] | None = None,
        metric: str | None = None,
        transfer_learning_evaluations: Evaluations | None = None,
        mode: str | None = None,
        num_hyperparameters_per_task: int = 1,
        scheduler_kwargs: dict[str, Any] | None = None,
        random_seed: int | None = None,
    ):
        from synetune_plugin_transfer.searchers import checked_evaluations

        if config_space is None or metric is None or transfer_learning_evaluations is None:
            raise TypeError(
                "BoundingBox needs config_space, metric and transfer_learning_evaluations"
            )
        mode = "min" if mode is None else mode
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        tasks = checked_evaluations(config_space, transfer_learning_evaluations, metric)
        best = [
            config
            for evals in tasks.values()
            for config in evals.top_k_hyperparameter_configurations(
                _positive(num_hyperparameters_per_task), mode, metric
            )
        ]
        box = bounding_box_space(config_space, best)
        logger.info("bounding_box: %s (%s configurations)", box, config_space_size(box))
        super().__init__(box)
        self.box = box
        if isinstance(scheduler_fun, str):
            kwargs = dict(scheduler_kwargs or {})
            if random_seed is not None:
                kwargs.setdefault("random_seed", random_seed)
            self.scheduler = _create(
                scheduler_fun, config_space=box, metric=metric, mode=mode, **kwargs
            )
        elif callable(scheduler_fun):
            if scheduler_kwargs:
                raise TypeError("scheduler_kwargs go with a scheduler name, not a callable")
            self.scheduler = scheduler_fun(box, mode, metric)
        else:
            raise TypeError(
                f"scheduler_fun must be a registered scheduler name or a callable "
                f"(config_space, mode, metric) -> scheduler, got {scheduler_fun!r}"
            )

    def may_decide(self, trial_id: int, result: dict[str, Any]) -> bool:
        # every decision is the wrapped scheduler's
        may_decide = getattr(self.scheduler, "may_decide", None)
        return True if may_decide is None else bool(may_decide(trial_id, result))
