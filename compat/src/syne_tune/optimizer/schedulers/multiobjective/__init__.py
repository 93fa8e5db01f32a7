"""``syne_tune.optimizer.schedulers.multiobjective``: ``MOASHA`` (the class of
``syne_tune.optimizer.baselines``, synetune-plugin-multiobjective). The multi-objective
searchers are reached through the baselines that fix them."""

from __future__ import annotations

from syne_tune._missing import missing
from syne_tune.optimizer.baselines import MOASHA

__all__ = ["MOASHA"]

_SEARCHER = "syne_tune.optimizer.baselines.{} (the baseline with this searcher; in synetune "
MISSING = {
    "MultiObjectiveRegularizedEvolution": _SEARCHER.format("MOREA") + "searcher='morea')",
    "NSGA2Searcher": _SEARCHER.format("NSGA2") + "searcher='nsga2')",
    "MultiObjectiveMultiSurrogateSearcher": _SEARCHER.format("MORandomScalarizationBayesOpt")
    + "searcher='mo_random_scalarization')",
    "MultiObjectiveLCBRandomLinearScalarization": _SEARCHER.format("MORandomScalarizationBayesOpt")
    + "searcher='mo_random_scalarization')",
    "LinearScalarizedScheduler": "syne_tune.optimizer.baselines.MOLinearScalarizationBayesOpt; "
    "another base scheduler by name: synetune.schedulers.create('mo_linear_scalarization', "
    "base_scheduler='asha', ...) (no base_scheduler_factory callable)",
}

__getattr__ = missing(__name__, globals(), MISSING)
