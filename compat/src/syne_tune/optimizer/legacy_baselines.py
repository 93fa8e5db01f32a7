"""``syne_tune.optimizer.legacy_baselines`` (Syne Tune 0.14's name for the 0.13 baselines):
the same classes as ``syne_tune.optimizer.baselines``."""

from __future__ import annotations

from syne_tune._missing import missing
from syne_tune.optimizer import baselines as _baselines
from syne_tune.optimizer.baselines import *  # noqa: F403

__all__ = list(_baselines.__all__)

__getattr__ = missing(__name__, globals(), _baselines.MISSING)
