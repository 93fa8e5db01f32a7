"""synetune-plugin-local: run each trial as a local subprocess (a training script or a function)."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_backends(register):
    register(
        "local",
        "synetune_plugin_local.local_backend:LocalBackend",
        summary="One local subprocess per trial running a training script (GPU rotation)",
        aliases=("LocalBackend",),
    )
    register(
        "python",
        "synetune_plugin_local.python_backend:PythonBackend",
        summary="One local subprocess per trial calling a Python function",
        aliases=("PythonBackend",),
    )
