"""``syne_tune.backend``: trial backends with Syne Tune's arguments, built through
``synetune.backends.create`` (``local`` and ``python`` from synetune-plugin-local,
``sagemaker`` from synetune-plugin-sagemaker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syne_tune._facade import Component, create
from syne_tune._missing import missing


def _gpus(gpus_to_use: list[int] | None) -> list[str] | None:
    return None if gpus_to_use is None else [str(g) for g in gpus_to_use]


class LocalBackend(Component):
    """One subprocess per trial on this machine (``local``)."""

    kind = "backends"
    registered = "local"

    def __new__(
        cls,
        entry_point: str,
        delete_checkpoints: bool = False,
        pass_args_as_json: bool = False,
        rotate_gpus: bool = True,
        num_gpus_per_trial: int = 1,
        gpus_to_use: list[int] | None = None,
        **kwargs: Any,
    ) -> Any:
        return create(
            "backends",
            "local",
            entry_point=str(entry_point),
            delete_checkpoints=delete_checkpoints,
            pass_args_as_json=pass_args_as_json,
            rotate_gpus=rotate_gpus,
            num_gpus_per_trial=num_gpus_per_trial,
            gpus=_gpus(gpus_to_use),
            **kwargs,
        )


class PythonBackend(Component):
    """Tunes a Python function (``python``): it runs in its own process per trial and reports
    with ``from syne_tune import Reporter``; imports must be inside the function."""

    kind = "backends"
    registered = "python"

    def __new__(
        cls,
        tune_function: Any,
        config_space: dict[str, Any],
        rotate_gpus: bool = True,
        delete_checkpoints: bool = False,
        **kwargs: Any,
    ) -> Any:
        if "gpus_to_use" in kwargs:
            kwargs["gpus"] = _gpus(kwargs.pop("gpus_to_use"))
        return create(
            "backends",
            "python",
            tune_function=tune_function,
            config_space=config_space,
            rotate_gpus=rotate_gpus,
            delete_checkpoints=delete_checkpoints,
            **kwargs,
        )


class SageMakerBackend(Component):
    """One SageMaker training job per trial (``sagemaker``). The script, its folder, role,
    image and instances are read from ``sm_estimator`` (a ``sagemaker`` SDK estimator).
    Extra ``kwargs`` are those of synetune's backend (``role``, ``image_uri``, ...); Syne
    Tune's ``sagemaker_fit_kwargs`` (``estimator.fit`` arguments such as ``inputs``) are not
    supported."""

    kind = "backends"
    registered = "sagemaker"

    def __new__(
        cls,
        sm_estimator: Any,
        metrics_names: list[str] | None = None,
        s3_path: str | None = None,
        delete_checkpoints: bool = False,
        pass_args_as_json: bool = False,
        **kwargs: Any,
    ) -> Any:
        entry_point = getattr(sm_estimator, "entry_point", None)
        source_dir = getattr(sm_estimator, "source_dir", None)
        if entry_point is None:
            raise ValueError("sm_estimator has no entry_point: the backend needs the script")
        if source_dir and not Path(entry_point).is_absolute():
            entry_point = str(Path(source_dir) / entry_point)
        kwargs.setdefault("source_dir", source_dir)
        kwargs.setdefault("dependencies", getattr(sm_estimator, "dependencies", None) or None)
        return create(
            "backends",
            "sagemaker",
            entry_point=str(entry_point),
            estimator=sm_estimator,
            metrics_names=metrics_names,
            s3_path=s3_path,
            delete_checkpoints=delete_checkpoints,
            pass_args_as_json=pass_args_as_json,
            **kwargs,
        )


__all__ = ["LocalBackend", "PythonBackend", "SageMakerBackend"]

MISSING = {
    "TrialBackend": "synetune_sdk.TrialBackend (write a backend plugin, sdk README 'Writing "
    "a plugin')",
    "SimulatorBackend": "syne_tune.blackbox_repository.UserBlackboxBackend with a blackbox "
    "(synetune's simulator replays blackboxes, not scripts)",
}

__getattr__ = missing(__name__, globals(), MISSING)
