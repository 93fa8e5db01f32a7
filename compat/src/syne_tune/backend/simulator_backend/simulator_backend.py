"""``syne_tune.backend.simulator_backend.simulator_backend``: not in synetune (its simulator
replays blackboxes; see ``syne_tune.blackbox_repository``)."""

from __future__ import annotations

from syne_tune._missing import missing

__all__: list[str] = []

_BLACKBOX = (
    "syne_tune.blackbox_repository.BlackboxRepositoryBackend or UserBlackboxBackend "
    "(synetune's simulator replays a blackbox, not a script that reports instantly)"
)
MISSING = {
    "SimulatorBackend": _BLACKBOX,
    "SimulatorConfig": "none: synetune's simulator has no start/stop latency model "
    "(results arrive exactly at their simulated time)",
}

__getattr__ = missing(__name__, globals(), MISSING)
