"""synetune-plugin-progress: live progress of a run (rich table, or plain lines in logs)."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_callbacks(register):
    register(
        "progress",
        "synetune_plugin_progress.callback:ProgressCallback",
        summary="Live table of trials and the best so far (plain lines when not a terminal)",
        default=True,  # the tuner adds it to every run, created without arguments
    )
