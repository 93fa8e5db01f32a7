"""Training-script helpers of ``syne_tune.utils``: checkpointing and config JSON (from
synetune-sdk, standard library only)."""

from __future__ import annotations

from syne_tune._missing import missing
from synetune_sdk.checkpoint import (
    add_checkpointing_to_argparse,
    add_config_json_to_argparse,
    checkpoint_model_at_rung_level,
    load_config_json,
    pytorch_load_save_functions,
    resume_from_checkpointed_model,
)

__all__ = [
    "add_checkpointing_to_argparse",
    "add_config_json_to_argparse",
    "checkpoint_model_at_rung_level",
    "load_config_json",
    "parse_bool",
    "pytorch_load_save_functions",
    "resume_from_checkpointed_model",
]


def parse_bool(val: str) -> bool:
    """``"true"``/``"1"`` and ``"false"``/``"0"`` (any case) for argparse ``type=parse_bool``."""
    text = str(val).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"{val!r} is not a boolean: use true/false or 1/0")


MISSING = {
    "streamline_config_space": "none: write the config space with the domains you want "
    "(synetune does not rewrite choice() into ordinal or finrange)",
}

__getattr__ = missing(__name__, globals(), MISSING)
