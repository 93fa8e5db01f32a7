"""synetune: hyperparameter optimisation as a plugin microkernel.

Importing this package is cheap: the tuner, the registries and everything else are loaded on
first attribute access, and no plugin is imported until a registry is used.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing costs ~10 ms to import: keep it out of the import path

__version__ = "0.1.0"

_LAZY = {
    "Tuner": ("synetune.tuner", "Tuner"),
    "TrialFailuresError": ("synetune.tuner", "TrialFailuresError"),
    "StoppingCriterion": ("synetune_sdk.stopping", "StoppingCriterion"),
    "PlateauStopper": ("synetune_sdk.stopping", "PlateauStopper"),
    "AutomaticTerminationCriterion": ("synetune_sdk.stopping", "AutomaticTerminationCriterion"),
    "TuningStatus": ("synetune_sdk.context", "TuningStatus"),
    "AskTellScheduler": ("synetune_sdk.ask_tell", "AskTellScheduler"),
    "load_experiment": ("synetune.experiments", "load_experiment"),
    "list_experiments": ("synetune.experiments", "list_experiments"),
    "ExperimentResult": ("synetune.experiments", "ExperimentResult"),
    "Reporter": ("synetune_sdk.reporter", "Reporter"),
    "schedulers": ("synetune.registry", "REGISTRIES", "schedulers"),
    "searchers": ("synetune.registry", "REGISTRIES", "searchers"),
    "backends": ("synetune.registry", "REGISTRIES", "backends"),
    "callbacks": ("synetune.registry", "REGISTRIES", "callbacks"),
    "blackboxes": ("synetune.registry", "REGISTRIES", "blackboxes"),
}

__all__ = sorted(_LAZY) + ["__version__", "config_space", "plugins"]

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from synetune.experiments import ExperimentResult, list_experiments, load_experiment
    from synetune.registry import BlackboxRegistry, Registry
    from synetune.tuner import Tuner
    from synetune_sdk.ask_tell import AskTellScheduler
    from synetune_sdk.context import TuningStatus
    from synetune_sdk.reporter import Reporter
    from synetune_sdk.stopping import (
        AutomaticTerminationCriterion,
        PlateauStopper,
        StoppingCriterion,
    )

    schedulers: Registry
    searchers: Registry
    backends: Registry
    callbacks: Registry
    blackboxes: BlackboxRegistry


def __getattr__(name: str) -> Any:
    if name in ("plugins", "config_space", "plugin_api", "registry", "results"):
        return importlib.import_module(f"synetune.{name}")
    spec = _LAZY.get(name)
    if spec is None:
        raise AttributeError(f"module 'synetune' has no attribute {name!r}")
    value = getattr(importlib.import_module(spec[0]), spec[1])
    if len(spec) == 3:
        value = value[spec[2]]
    globals()[name] = value
    return value
