"""Stop criteria, re-exported from ``synetune_sdk.stopping`` where they live (callables on
``TuningStatus``, pure logic). Kept so that ``synetune.stopping.StoppingCriterion`` imports,
and tuners pickled when the class lived here, keep working."""

from __future__ import annotations

from synetune_sdk.stopping import (
    AutomaticTerminationCriterion,
    MetricStatistics,
    PlateauStopper,
    StoppingCriterion,
    TuningStatus,
)

__all__ = [
    "AutomaticTerminationCriterion",
    "MetricStatistics",
    "PlateauStopper",
    "StoppingCriterion",
    "TuningStatus",
]
