"""synetune-sdk: the contracts and training-script helpers that code outside the kernel imports.

Names are resolved lazily so that ``from synetune_sdk import Reporter`` in a training script
costs almost nothing beyond the standard library.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~10 ms to import: keep it out of the import path

__version__ = "0.1.0"

_EXPORTS = {
    "Reporter": "synetune_sdk.reporter",
    "AskTellScheduler": "synetune_sdk.ask_tell",
    "hookimpl": "synetune_sdk.hooks",
    "Trial": "synetune_sdk.trial",
    "TrialStatus": "synetune_sdk.trial",
    "TrialSuggestion": "synetune_sdk.trial",
    "SchedulerDecision": "synetune_sdk.trial",
    "Scheduler": "synetune_sdk.scheduler",
    "Searcher": "synetune_sdk.searcher",
    "TrialBackend": "synetune_sdk.backend",
    "Callback": "synetune_sdk.callback",
    "Blackbox": "synetune_sdk.blackbox",
    "BlackboxRecipe": "synetune_sdk.blackbox",
    "add_checkpointing_to_argparse": "synetune_sdk.checkpoint",
    "resume_from_checkpointed_model": "synetune_sdk.checkpoint",
    "checkpoint_model_at_rung_level": "synetune_sdk.checkpoint",
    "pytorch_load_save_functions": "synetune_sdk.checkpoint",
    "add_config_json_to_argparse": "synetune_sdk.checkpoint",
    "load_config_json": "synetune_sdk.checkpoint",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from synetune_sdk.ask_tell import AskTellScheduler
    from synetune_sdk.backend import TrialBackend
    from synetune_sdk.blackbox import Blackbox, BlackboxRecipe
    from synetune_sdk.callback import Callback
    from synetune_sdk.checkpoint import (
        add_checkpointing_to_argparse,
        add_config_json_to_argparse,
        checkpoint_model_at_rung_level,
        load_config_json,
        pytorch_load_save_functions,
        resume_from_checkpointed_model,
    )
    from synetune_sdk.hooks import hookimpl
    from synetune_sdk.reporter import Reporter
    from synetune_sdk.scheduler import Scheduler
    from synetune_sdk.searcher import Searcher
    from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'synetune_sdk' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
