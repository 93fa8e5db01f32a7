"""``syne_tune.backend.simulator_backend`` (empty in Syne Tune too: import its modules)."""

from __future__ import annotations

from syne_tune._missing import missing

__all__: list[str] = []

__getattr__ = missing(__name__, globals(), {})
