"""``syne_tune.tuner``: synetune's ``Tuner`` (Syne Tune's constructor arguments, plus
``verbose``, ``extra_results_composer`` and ``overwrite``)."""

from __future__ import annotations

from syne_tune._missing import missing
from synetune import Tuner

__all__ = ["Tuner"]

__getattr__ = missing(__name__, globals(), {})
