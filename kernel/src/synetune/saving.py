"""Saving and loading a tuner (``tuner.dill``) and writing a run's ``metadata.json``.

A save writes the new pickle next to the old one and renames it over; the previous pickle is
kept as ``tuner.dill.bak``, so a damaged file falls back to the one before (the event log
replays whatever the older pickle had not seen). Loading maps modules that moved since the save
(``synetune.compat.RENAMED_MODULES``) and turns unpickling errors into messages that name the
file and say what to do.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from pathlib import Path
from typing import Any

from synetune import results as store

logger = logging.getLogger(__name__)

BACKUP_SUFFIX = ".bak"


class TunerLoadError(RuntimeError):
    """``tuner.dill`` cannot be loaded: the message says why and what to do."""


def save_tuner(tuner: Any, folder: Path) -> None:
    """Pickle ``tuner`` into ``folder/tuner.dill``: the C pickler first (many times faster),
    dill (lambdas, local classes) when it cannot."""
    try:
        data = pickle.dumps(tuner, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        import dill

        data = dill.dumps(tuner)
    path = Path(folder) / store.TUNER_FILENAME
    if path.exists():
        os.replace(path, path.with_name(path.name + BACKUP_SUFFIX))
    store.atomic_write_bytes(path, data)


def load_tuner(folder: Path) -> Any:
    """The tuner pickled in ``folder``; falls back to the previous save if the last is damaged."""
    path = Path(folder) / store.TUNER_FILENAME
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    candidates = [p for p in (path, backup) if p.exists()]
    if not candidates:
        raise FileNotFoundError(
            f"no {store.TUNER_FILENAME} in {folder}: pass the experiment folder of a run "
            "started with save_tuner=True"
        )
    errors = []
    for candidate in candidates:
        try:
            tuner = _unpickle(candidate)
        except TunerLoadError as err:
            errors.append(str(err))
            continue
        if candidate is backup:
            why = errors[0] if errors else "missing: the process died while saving"
            logger.warning("%s: using the previous save %s (%s)", path, backup, why)
        return tuner
    raise TunerLoadError("\n".join(errors))


def _unpickle(path: Path) -> Any:
    import dill

    from synetune.compat import RENAMED_MODULES

    class Unpickler(dill.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            moved = RENAMED_MODULES.get((module, name)) or RENAMED_MODULES.get(module)
            return super().find_class(moved or module, name)

    try:
        with open(path, "rb") as f:
            return Unpickler(f).load()
    except (ModuleNotFoundError, AttributeError) as err:
        raise TunerLoadError(
            f"{path} refers to code that is not installed any more ({err}): a scheduler, "
            "searcher, backend or callback class was renamed or its plugin was uninstalled "
            "since the run was saved. Install the plugin version that ran it to resume; the "
            "results stay readable with synetune.load_experiment."
        ) from err
    except Exception as err:  # damaged bytes: UnpicklingError, EOFError, ValueError, ...
        raise TunerLoadError(
            f"{path} is damaged ({type(err).__name__}: {err}); the results stay readable "
            "with synetune.load_experiment, but the run cannot be resumed from this file."
        ) from err


def write_run_metadata(tuner: Any) -> None:
    """``metadata.json``: Syne Tune's fields, what the scheduler says of itself, the user's."""
    from synetune_sdk.config_space import config_space_to_json

    now = time.time()
    entry = tuner.trial_backend.entrypoint_path()
    metadata: dict[str, Any] = {
        "st_tuner_creation_timestamp": now,
        "st_tuner_start_timestamp": now,
        "tuner_name": tuner.name,
        "entrypoint": str(entry) if entry else None,
        "backend": type(tuner.trial_backend).__name__,
        "n_workers": tuner.n_workers,
    }
    scheduler = tuner.scheduler
    try:
        metadata.update(scheduler.metadata())
    except NotImplementedError:
        metadata["scheduler_name"] = type(scheduler).__name__
    names, mode = metadata.get("metric_names") or [], metadata.get("metric_mode")
    if len(names) > 1 and isinstance(mode, str):  # one mode per metric, as Syne Tune writes it
        metadata["metric_mode"] = [mode] * len(names)
    if "config_space" not in metadata and getattr(scheduler, "config_space", None):
        try:
            metadata["config_space"] = config_space_to_json(scheduler.config_space)
        except Exception:  # a custom space we cannot serialise: leave it out
            pass
    for key, value in tuner.user_metadata.items():
        if key in metadata:
            logger.warning("metadata key %r overrides the value synetune wrote", key)
        metadata[key] = value
    store.write_metadata(tuner.tuner_path / store.METADATA_FILENAME, metadata)
