"""``syne_tune.optimizer.scheduler``: a scheduler's answers (``SchedulerDecision``,
``TrialSuggestion``), from synetune-sdk."""

from __future__ import annotations

from syne_tune._missing import missing
from synetune_sdk.trial import SchedulerDecision, TrialSuggestion

__all__ = ["SchedulerDecision", "TrialSuggestion"]

MISSING = {
    "TrialScheduler": "synetune_sdk.Scheduler: the same hooks (suggest(trial_id), "
    "on_trial_add/result/complete/error/remove, metric_names, metric_mode), registered "
    "through a plugin (sdk README 'Writing a plugin')",
}

__getattr__ = missing(__name__, globals(), MISSING)
