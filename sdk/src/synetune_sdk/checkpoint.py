"""Training-script helpers for checkpoints and JSON configs (Syne Tune's ``syne_tune.utils``).

A backend passes ``--st_checkpoint_dir <folder>``; a script that saves its state there and
loads it on start is resumed from where it paused instead of recomputing (Hyperband promotion,
PBT, restarts after a crash).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synetune_sdk.constants import ST_CHECKPOINT_DIR, ST_CONFIG_JSON_FNAME_ARG


def add_checkpointing_to_argparse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(f"--{ST_CHECKPOINT_DIR}", type=str)


def resume_from_checkpointed_model(
    config: dict[str, Any], load_model_fn: Callable[[str], int]
) -> int:
    """Load the checkpoint if there is one; returns the resource level it holds (0 if none)."""
    local_path = config.get(ST_CHECKPOINT_DIR)
    if local_path and os.path.isdir(local_path) and os.listdir(local_path):
        return int(load_model_fn(local_path) or 0)
    return 0


def checkpoint_model_at_rung_level(
    config: dict[str, Any], save_model_fn: Callable[[str, int], None], resource: int
) -> None:
    """Save a checkpoint for ``resource`` if the backend gave a checkpoint folder."""
    local_path = config.get(ST_CHECKPOINT_DIR)
    if local_path:
        os.makedirs(local_path, exist_ok=True)
        save_model_fn(local_path, resource)


def pytorch_load_save_functions(
    state_dict_objects: dict[str, Any],
    mutable_state: dict[str, Any] | None = None,
    fname: str = "checkpoint.json",
) -> tuple[Callable[[str], int], Callable[[str, int], None]]:
    """``(load_model_fn, save_model_fn)`` for torch modules and optimisers.

    ``state_dict_objects`` maps names to objects with ``state_dict``/``load_state_dict``;
    ``mutable_state`` is a dict of plain values restored in place. torch is imported only when
    a checkpoint is actually saved or loaded. The file is written atomically (temporary file,
    then rename), so a trial killed while saving leaves the previous checkpoint intact.
    """

    def load_model_fn(local_path: str) -> int:
        import torch

        path = Path(local_path) / fname
        if not path.exists():
            return 0
        state = torch.load(path, weights_only=False)
        for name, obj in state_dict_objects.items():
            obj.load_state_dict(state["state_dicts"][name])
        if mutable_state is not None:
            mutable_state.update(state.get("mutable_state", {}))
        return int(state["resource"])

    def save_model_fn(local_path: str, resource: int) -> None:
        import torch

        path = Path(local_path) / fname
        tmp = path.with_name(path.name + ".tmp")
        state = {
            "resource": int(resource),
            "state_dicts": {name: obj.state_dict() for name, obj in state_dict_objects.items()},
            "mutable_state": dict(mutable_state or {}),
        }
        torch.save(state, tmp)
        os.replace(tmp, path)

    return load_model_fn, save_model_fn


def add_config_json_to_argparse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(f"--{ST_CONFIG_JSON_FNAME_ARG}", type=str)


def load_config_json(args: dict[str, Any]) -> dict[str, Any]:
    """Merge the JSON config file passed with ``pass_args_as_json=True`` into ``args``."""
    fname = args.get(ST_CONFIG_JSON_FNAME_ARG)
    if not fname:
        return dict(args)
    with open(fname) as f:
        config = json.load(f)
    return {**config, **{k: v for k, v in args.items() if v is not None}}
