"""synetune-plugin-tensorboard: log trials and the best configuration to TensorBoard."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_callbacks(register):
    register(
        "tensorboard",
        "synetune_plugin_tensorboard.callback:TensorboardCallback",
        summary="Log every trial's metrics and the best configuration over time (tensorboardX)",
        aliases=("TensorboardCallback",),
    )
