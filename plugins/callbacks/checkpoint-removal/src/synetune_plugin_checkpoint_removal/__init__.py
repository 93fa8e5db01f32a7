"""synetune-plugin-checkpoint-removal: keep checkpoints from filling the disk."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_callbacks(register):
    register(
        "checkpoint_removal",
        "synetune_plugin_checkpoint_removal.callback:RemoveCheckpointsCallback",
        summary="Remove checkpoints of trials that cannot be resumed, and all at the end",
        aliases=("RemoveCheckpointsCallback",),
    )
    register(
        "hyperband_checkpoint_removal",
        "synetune_plugin_checkpoint_removal.callback:HyperbandRemoveCheckpointsCallback",
        summary="Speculative early checkpoint removal for pause-and-resume Hyperband",
        aliases=("HyperbandRemoveCheckpointsCallback",),
    )
