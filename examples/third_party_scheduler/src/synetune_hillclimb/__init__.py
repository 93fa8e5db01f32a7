"""synetune-hillclimb: registers the ``hillclimb`` scheduler with synetune."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_schedulers(register):
    register(
        "hillclimb", "synetune_hillclimb.scheduler:HillClimbing", summary="Stochastic hill climbing"
    )
