"""The on-disk format of a blackbox: writing, reading and checking one folder.

One folder per blackbox, written by ``write_tabular`` / ``write_function``:

* ``metadata.json``: ``format_version``, ``kind`` (``"tabular"`` or ``"function"``),
  ``configuration_space`` and ``fidelity_space`` (``config_space_to_json``), ``fidelity_values``,
  ``objectives_names``, ``seed_col``, ``elapsed_time_attr``, ``tasks`` (null for one task),
  ``files`` (``{file name: {"sha256": ..., "bytes": ...}}``) and recipe information;
* tabular: ``evaluations.parquet`` (one task) or ``evaluations-<task>.parquet`` per task, in long
  format: one column per hyperparameter, the seed column, the fidelity column and one column
  per objective;
* function: ``metadata["factory"]`` (``"module:attr"``) called with ``metadata["factory_kwargs"]``
  returns the blackbox.

``read_blackbox`` checks every data file against its sha256 first (``validate_folder``). pandas
and pyarrow are imported only to write or read a table.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
from pathlib import Path
from typing import Any

from synetune_plugin_blackbox_repository.base import _hp_names, _plain
from synetune_sdk.config_space import config_space_from_json, config_space_to_json
from synetune_sdk.jsonutil import json_default_or_str

FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
DATA_FILE = "evaluations.parquet"

__all__ = [
    "CorruptBlackboxError",
    "FORMAT_VERSION",
    "file_sha256",
    "read_blackbox",
    "validate_folder",
    "write_function",
    "write_tabular",
]


class CorruptBlackboxError(ValueError):
    """A blackbox folder is incomplete or its files do not match their recorded sha256."""


def file_sha256(path: str | Path) -> str:
    """The hex sha256 of a file, read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size}


def _write_metadata(path: Path, metadata: dict[str, Any]) -> None:
    tmp = path / (METADATA_FILE + ".tmp")
    tmp.write_text(json.dumps(metadata, indent=2, default=json_default_or_str))
    os.replace(tmp, path / METADATA_FILE)


def _task_file(task: str | None) -> str:
    if task is None:
        return DATA_FILE
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", task):
        raise ValueError(f"task name {task!r} may only hold letters, digits, '_', '.' and '-'")
    return f"evaluations-{task}.parquet"


def write_tabular(
    path: str | Path,
    data: Any,
    configuration_space: dict[str, Any],
    objectives_names: list[str],
    fidelity_space: dict[str, Any] | None = None,
    seed_col: str | None = "seed",
    elapsed_time_attr: str | None = None,
    **metadata: Any,
) -> None:
    """Write a tabular blackbox into ``path`` (created if needed).

    ``data`` is a long-format DataFrame (one row per configuration x seed x fidelity) or a dict
    ``{task: DataFrame}`` for several tasks. Extra keyword arguments go into metadata.json.
    """
    import pandas as pd

    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    tasks = data if isinstance(data, dict) else {None: data}
    fidelity_space = dict(fidelity_space or {})
    fidelity_col = next(iter(fidelity_space), None)
    files = {}
    fidelity_values: list[Any] | None = None
    for task, df in tasks.items():
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(df).__name__}")
        hp_names = _hp_names(configuration_space)
        columns = hp_names + [c for c in (seed_col, fidelity_col) if c] + list(objectives_names)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ValueError(f"data lacks columns {missing} (columns: {list(df.columns)})")
        name = _task_file(task)
        tmp = folder / (name + ".tmp")
        _to_parquet(df[columns].reset_index(drop=True), tmp)
        os.replace(tmp, folder / name)
        files[name] = _file_entry(folder / name)
        if fidelity_col is not None:
            fidelity_values = sorted(_plain(v) for v in df[fidelity_col].unique())
    _write_metadata(
        folder,
        {
            "format_version": FORMAT_VERSION,
            "kind": "tabular",
            "configuration_space": config_space_to_json(configuration_space),
            "fidelity_space": config_space_to_json(fidelity_space),
            "fidelity_values": fidelity_values,
            "objectives_names": list(objectives_names),
            "seed_col": seed_col,
            "elapsed_time_attr": elapsed_time_attr,
            "tasks": None if None in tasks else sorted(tasks),
            "files": files,
            **metadata,
        },
    )


def write_function(
    path: str | Path,
    factory: str,
    factory_kwargs: dict[str, Any] | None = None,
    **metadata: Any,
) -> None:
    """Write a blackbox computed by code: ``factory`` (``"module:attr"``) is called with
    ``factory_kwargs`` when the blackbox is read, and must return a ``Blackbox``."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    blackbox = _call_factory(factory, factory_kwargs or {})
    _write_metadata(
        folder,
        {
            "format_version": FORMAT_VERSION,
            "kind": "function",
            "factory": factory,
            "factory_kwargs": dict(factory_kwargs or {}),
            "configuration_space": config_space_to_json(blackbox.configuration_space),
            "fidelity_space": config_space_to_json(blackbox.fidelity_space),
            "fidelity_values": blackbox.fidelity_values(),
            "objectives_names": list(blackbox.objectives_names),
            "tasks": None,
            "files": {},
            **metadata,
        },
    )


def _to_parquet(df: Any, path: Path) -> None:
    try:
        df.to_parquet(path, index=False, compression="zstd")
    except ImportError as err:
        raise ImportError(
            f"writing a tabular blackbox needs pyarrow ({err}): pip install pyarrow"
        ) from err


def _read_parquet(path: Path) -> Any:
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except ImportError as err:
        raise ImportError(
            f"reading a tabular blackbox needs pyarrow ({err}): pip install pyarrow"
        ) from err


def _call_factory(factory: str, kwargs: dict[str, Any]) -> Any:
    module_name, _, attr = factory.partition(":")
    if not attr:
        raise ValueError(f"factory must be a 'module:attr' string, got {factory!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj(**kwargs)


def validate_folder(path: str | Path) -> dict[str, Any]:
    """The metadata of a complete blackbox folder, or ``CorruptBlackboxError`` saying what is
    missing or which file does not match its sha256."""
    folder = Path(path)
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text())
    except FileNotFoundError:
        raise CorruptBlackboxError(f"{folder} has no {METADATA_FILE}") from None
    except (OSError, ValueError) as err:
        raise CorruptBlackboxError(f"{folder / METADATA_FILE} is unreadable: {err}") from None
    if not isinstance(metadata, dict) or metadata.get("format_version") != FORMAT_VERSION:
        raise CorruptBlackboxError(
            f"{folder / METADATA_FILE}: format_version is not {FORMAT_VERSION}"
        )
    if metadata.get("kind") not in ("tabular", "function"):
        raise CorruptBlackboxError(f"{folder}: unknown kind {metadata.get('kind')!r}")
    files = metadata.get("files")
    if not isinstance(files, dict) or (metadata["kind"] == "tabular" and not files):
        raise CorruptBlackboxError(f"{folder / METADATA_FILE} lists no data files")
    for name, entry in files.items():
        file = folder / name
        if not file.is_file():
            raise CorruptBlackboxError(f"{file} is missing")
        if file.stat().st_size != entry.get("bytes") or file_sha256(file) != entry.get("sha256"):
            raise CorruptBlackboxError(f"{file} does not match its sha256 in {METADATA_FILE}")
    return metadata


def read_blackbox(path: str | Path, task: str | None = None) -> Any:
    """The blackbox stored in ``path`` (a dict ``{task: blackbox}`` for several tasks unless
    ``task`` picks one). Files are checked against their sha256 first."""
    from synetune_plugin_blackbox_repository.tabular import BlackboxOffline

    folder = Path(path)
    metadata = validate_folder(folder)
    if metadata["kind"] == "function":
        blackbox = _call_factory(metadata["factory"], metadata.get("factory_kwargs") or {})
        blackbox.metadata = metadata
        return blackbox
    space = config_space_from_json(metadata["configuration_space"])
    fidelity_space = config_space_from_json(metadata.get("fidelity_space") or {})
    tasks = metadata.get("tasks")
    if task is not None and (not tasks or task not in tasks):
        raise ValueError(f"task {task!r} is not in {folder}; it has tasks {tasks}")
    names = [task] if task is not None else (tasks or [None])
    out = {}
    for name in names:
        df = _read_parquet(folder / _task_file(name))
        blackbox = BlackboxOffline(
            df,
            space,
            fidelity_space,
            objectives_names=metadata["objectives_names"],
            seed_col=metadata.get("seed_col"),
        )
        blackbox.metadata = metadata
        out[name] = blackbox
    return out[names[0]] if len(names) == 1 else out
