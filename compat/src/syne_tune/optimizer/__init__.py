"""``syne_tune.optimizer``: see ``baselines`` and ``schedulers``."""

from __future__ import annotations

from syne_tune._missing import missing

__all__: list[str] = []

__getattr__ = missing(__name__, globals(), {})
