"""Syne Tune's ``REA`` baseline: FIFO scheduling with the ``regularized_evolution`` searcher,
built through the registries (the ``fifo`` scheduler comes from synetune-plugin-fifo)."""

from __future__ import annotations

from typing import Any


def REA(  # noqa: N802 - Syne Tune's class name, registered as "rea"
    config_space: dict[str, Any],
    metric: str,
    mode: str = "min",
    population_size: int = 100,
    sample_size: int = 10,
    random_seed: int | None = None,
    search_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Regularized evolution (Real et al. 2019) under FIFO scheduling.

    ``population_size`` and ``sample_size`` go to the searcher (see ``RegularizedEvolution``);
    other keyword arguments (``points_to_evaluate``, ``max_resource_attr``, ...) to the ``fifo``
    scheduler. Trials run to completion; the population learns from each trial's final result.
    """
    from synetune.plugin_api import create

    options = dict(search_options or {})
    for name in ("population_size", "sample_size"):
        if name in options:
            raise TypeError(f"REA got {name} in search_options; pass it as REA({name}=...) instead")
    options.update(population_size=population_size, sample_size=sample_size)
    return create(
        "schedulers",
        "fifo",
        config_space=config_space,
        metric=metric,
        mode=mode,
        searcher="regularized_evolution",
        search_options=options,
        random_seed=random_seed,
        **kwargs,
    )
