"""synetune-plugin-example: registers the ``example`` scheduler with synetune.

This module holds hook implementations only. The scheduler is named by a ``"module:attr"``
string, imported the first time someone builds it, so ``synetune plugins`` stays cheap.
"""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_schedulers(register):
    register(
        "example",
        "synetune_plugin_example.scheduler:UniformScheduler",
        summary="Uniform random search (the plugin template's scheduler)",
    )
