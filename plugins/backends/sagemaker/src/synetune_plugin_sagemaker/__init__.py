"""synetune-plugin-sagemaker: run trials as SageMaker training jobs, and whole tunings remotely.

This module holds only hook implementations; the backend, the remote launcher and
``download_experiment`` are imported (with boto3) on first use.
"""

from __future__ import annotations

from typing import Any

from synetune_sdk import hookimpl

_LAZY = {
    "SageMakerBackend": "synetune_plugin_sagemaker.backend",
    "RemoteLauncher": "synetune_plugin_sagemaker.remote",
    "download_experiment": "synetune_plugin_sagemaker.remote",
    "fetch_experiment": "synetune_plugin_sagemaker.remote",
}


@hookimpl
def register_backends(register):
    register(
        "sagemaker",
        "synetune_plugin_sagemaker.backend:SageMakerBackend",
        summary="One Amazon SageMaker training job per trial (boto3; S3 checkpoints, warm pools)",
        aliases=("SageMakerBackend",),
    )


@hookimpl
def register_experiment_stores(register):
    register(
        "s3",
        "synetune_plugin_sagemaker.remote:fetch_experiment",
        summary="Experiments synced to $SYNETUNE_S3_PATH (else s3://<default bucket>/syne-tune)",
    )


@hookimpl
def register_commands(cli):
    from synetune_plugin_sagemaker.cli import remote

    cli.add_command(remote)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synetune_plugin_sagemaker' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
