"""Syne Tune's KDE baselines, composed through the registries: ``fifo``, ``hyperband`` and
``sync_hyperband`` (synetune-plugin-fifo, synetune-plugin-hyperband) with the ``kde`` searcher.
Searcher options go into ``search_options``, everything else to the scheduler
(``synetune describe fifo``, ``synetune describe hyperband``)."""

from __future__ import annotations

from typing import Any


def _create(scheduler: str, searcher_name: str, kwargs: dict[str, Any]) -> Any:
    from synetune.plugin_api import create

    given = kwargs.pop("searcher", searcher_name)
    if given != searcher_name:
        raise ValueError(
            f"this baseline uses searcher={searcher_name!r}, got searcher={given!r}; use the "
            f"{scheduler!r} scheduler to combine it with another searcher"
        )
    return create("schedulers", scheduler, searcher=searcher_name, **kwargs)


def kde(config_space: dict[str, Any], metric: str, mode: str = "min", **kwargs: Any) -> Any:
    """FIFO scheduling with ``kde`` (Syne Tune's ``KDE``); ``kwargs`` are ``fifo``'s."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode)
    return _create("fifo", "kde", kwargs)


def bohb(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Asynchronous BOHB (Syne Tune's ``BOHB``): ``hyperband`` with ``kde``, fitted on the
    largest rung level with enough data; ``kwargs`` are ``hyperband``'s (``type``,
    ``max_resource_attr`` or ``max_t``, ``grace_period``, ``reduction_factor``, ...)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("hyperband", "kde", kwargs)


def sync_bohb(
    config_space: dict[str, Any], metric: str, resource_attr: str, mode: str = "min", **kwargs: Any
) -> Any:
    """Synchronous BOHB (Syne Tune's ``SyncBOHB``): ``sync_hyperband`` with ``kde``;
    ``kwargs`` are ``sync_hyperband``'s (``brackets``, ``max_resource_attr`` or
    ``max_resource_level``, ...)."""
    kwargs.update(config_space=config_space, metric=metric, mode=mode, resource_attr=resource_attr)
    return _create("sync_hyperband", "kde", kwargs)
