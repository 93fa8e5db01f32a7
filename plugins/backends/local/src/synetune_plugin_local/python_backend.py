"""PythonBackend: tune a Python function instead of a script, one subprocess per trial.

Syne Tune's ``PythonBackend``: the function is called as ``tune_function(**config)`` and reports
with its own ``Reporter()``. It is serialised (with dill, so a function defined in the launcher
script travels by value) to ``<path>/tune_function/tune_function.dill`` next to
``configspace.json``, and every trial runs ``python -m synetune_plugin_local.function_runner``,
which loads it and calls it with the trial's config. Folders, stopping, pausing, GPU rotation
and failures behave exactly as in ``LocalBackend``.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synetune_plugin_local import function_runner
from synetune_plugin_local.function_runner import CONFIG_SPACE_FILE
from synetune_plugin_local.local_backend import LocalBackend
from synetune_sdk.jsonutil import json_default_or_str

FUNCTION_FOLDER = "tune_function"
FUNCTION_FILE = "tune_function.dill"


class PythonBackend(LocalBackend):
    """Run ``tune_function(**config)`` in a subprocess per trial.

    Args:
        tune_function: the function to tune. If it is defined in the launcher script it is
            shipped by value (its imports must then live inside it, as in Syne Tune); a
            function of an importable module is shipped by reference.
        config_space: used to cast the values the function receives to their domain's type;
            without it values are parsed as Python/JSON literals (``"3"`` -> 3), else kept as
            strings.
        **kwargs: the options of ``LocalBackend`` (``rotate_gpus``, ``num_gpus_per_trial``,
            ``delete_checkpoints``, ``pass_args_as_json``, ``python``, ``env``,
            ``kill_grace_period``, ``gpus``).

    The function also receives ``st_checkpoint_dir`` if it takes a parameter of that name (or
    ``**kwargs``).
    """

    def __init__(
        self,
        tune_function: Callable[..., Any],
        config_space: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        if not callable(tune_function):
            raise TypeError(
                f"tune_function must be a function called as tune_function(**config), got "
                f"{type(tune_function).__name__}"
            )
        if "entry_point" in kwargs:
            raise TypeError("PythonBackend takes tune_function, not entry_point (use LocalBackend)")
        if config_space is not None:
            from synetune_sdk.config_space import validate_config_space

            validate_config_space(config_space)
        super().__init__(entry_point=function_runner.__file__, **kwargs)
        self.tune_function = tune_function
        self.config_space = config_space

    def entrypoint_path(self) -> Path:
        """The tuned function's qualified name (``__qualname__``; every trial runs the same
        runner, ``synetune_plugin_local.function_runner``): ``metadata.json`` records it as
        ``entrypoint`` and the default tuner name is made from it."""
        fn = self.tune_function
        return Path(getattr(fn, "__qualname__", None) or type(fn).__name__)

    def function_path(self) -> Path:
        """Where the serialised function lives (``<path>/tune_function/tune_function.dill``)."""
        if self.path is None:
            raise RuntimeError("set_path() must be called before trials run")
        return self.path / FUNCTION_FOLDER / FUNCTION_FILE

    def set_path(self, path: str | Path) -> None:
        super().set_path(path)
        self._save_function()

    def _save_function(self) -> None:
        path = self.function_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_dumps(self.tune_function))
        if self.config_space is not None:
            from synetune_sdk.config_space import config_space_to_json

            data = config_space_to_json(self.config_space)
            (path.parent / CONFIG_SPACE_FILE).write_text(
                json.dumps(data, default=json_default_or_str)
            )

    def _program(self) -> list[str]:
        return [
            self.python,
            "-m",
            "synetune_plugin_local.function_runner",
            "--tune_function_path",
            str(self.function_path()),
        ]

    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        if not self.function_path().exists():
            self._save_function()
        super()._schedule(trial_id, config)


def _dumps(function: Callable[..., Any]) -> bytes:
    """dill if installed (by value for functions of ``__main__``), else pickle by reference."""
    try:
        import dill
    except ImportError:
        try:
            return pickle.dumps(function)
        except (pickle.PicklingError, AttributeError, TypeError) as err:
            raise ValueError(
                f"tune_function {function!r} cannot be pickled ({err}); install dill or define "
                "it at the top level of an importable module"
            ) from err
    return dill.dumps(function, recurse=True)
