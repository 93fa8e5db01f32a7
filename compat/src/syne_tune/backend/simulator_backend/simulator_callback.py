"""``syne_tune.backend.simulator_backend.simulator_callback.SimulatorCallback``."""

from __future__ import annotations

from typing import Any

from syne_tune._missing import missing
from synetune_sdk.callback import Callback


class SimulatorCallback(Callback):
    """Does nothing: synetune's ``simulator`` backend needs no callback.

    In Syne Tune this callback was required with a simulated backend: it set the tuner's
    ``sleep_time`` to 0, advanced the simulated clock and gave it to the scheduler, and made
    ``max_wallclock_time`` and ``st_tuner_time`` count simulated time. synetune's simulator
    backend does all of that itself (its clock is the tuner's time and it never sleeps), so
    ``callbacks=[SimulatorCallback()]`` is accepted and changes nothing. Extra result columns go
    to ``Tuner(extra_results_composer=...)`` instead of this callback.
    """

    def __init__(self, extra_results_composer: Any = None):
        if extra_results_composer is not None:
            raise ValueError(
                "SimulatorCallback(extra_results_composer=...) is not supported: pass it to "
                "Tuner(extra_results_composer=...), which calls it with the tuner and adds the "
                "returned dict to every result row"
            )


__all__ = ["SimulatorCallback"]

__getattr__ = missing(__name__, globals(), {})
