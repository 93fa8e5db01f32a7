"""``syne_tune.optimizer.schedulers.synchronous``: synchronous Hyperband and DEHB
(``sync_hyperband`` and ``dehb``, synetune-plugin-hyperband)."""

from __future__ import annotations

from typing import Any

from syne_tune._facade import Component, create
from syne_tune._missing import missing


class SynchronousGeometricHyperbandScheduler(Component):
    """Synchronous Hyperband with geometric rungs (``grace_period``, ``reduction_factor``,
    ``brackets``, ``max_resource_level`` or ``max_resource_attr``)."""

    registered = "sync_hyperband"

    def __new__(cls, config_space: dict[str, Any], **kwargs: Any) -> Any:
        return create("schedulers", "sync_hyperband", config_space=config_space, **kwargs)


class GeometricDifferentialEvolutionHyperbandScheduler(Component):
    """DEHB with geometric rungs."""

    registered = "dehb"

    def __new__(cls, config_space: dict[str, Any], **kwargs: Any) -> Any:
        return create("schedulers", "dehb", config_space=config_space, **kwargs)


__all__ = [
    "GeometricDifferentialEvolutionHyperbandScheduler",
    "SynchronousGeometricHyperbandScheduler",
]

MISSING = {
    "SynchronousHyperbandScheduler": "SynchronousGeometricHyperbandScheduler (rungs from "
    "grace_period and reduction_factor; explicit bracket_rungs are not supported)",
    "DifferentialEvolutionHyperbandScheduler": "GeometricDifferentialEvolutionHyperbandScheduler "
    "(explicit rungs_first_bracket are not supported)",
}

__getattr__ = missing(__name__, globals(), MISSING)
