"""``syne_tune.stopping_criterion``: synetune's ``StoppingCriterion`` (same fields, OR-ed,
strict comparisons)."""

from __future__ import annotations

from syne_tune._missing import missing
from synetune import StoppingCriterion

__all__ = ["StoppingCriterion"]

MISSING = {
    "PlateauStopper": "StoppingCriterion(max_num_trials_started=...) or a callable on "
    "synetune.TuningStatus passed as stop_criterion",
}

__getattr__ = missing(__name__, globals(), MISSING)
