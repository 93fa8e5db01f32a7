"""synetune-plugin-ray: run trials on a Ray cluster; use Ray Tune searchers and schedulers."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_backends(register):
    register(
        "ray",
        "synetune_plugin_ray.backend:RayBackend",
        summary="One Ray task per trial running a training script or function on a Ray cluster",
    )


@hookimpl
def register_schedulers(register):
    register(
        "raytune",
        "synetune_plugin_ray.raytune:RayTuneScheduler",
        summary="A Ray Tune searcher and/or trial scheduler (ASHA, median stopping) as a scheduler",
        aliases=("RayTuneScheduler",),
    )
