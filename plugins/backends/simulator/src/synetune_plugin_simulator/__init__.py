"""synetune-plugin-simulator: replay blackboxes on simulated time."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_backends(register):
    register(
        "simulator",
        "synetune_plugin_simulator.backend:SimulatorBackend",
        summary="Replay a blackbox's learning curves on simulated time (no sleeping)",
        # Syne Tune's backends that replay blackboxes
        aliases=("SimulatorBackend", "BlackboxRepositoryBackend", "UserBlackboxBackend"),
    )
