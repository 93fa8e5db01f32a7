"""The local blackbox repository behind ``synetune.blackboxes.load`` and ``generate``.

``load_blackbox(name, **kwargs)`` generates the registered recipe on first use into
``$SYNETUNE_FOLDER/blackbox-repository/<name>-<hash of name, recipe version and kwargs>/``: the
recipe writes into ``<folder>.partial/``, which is renamed once its files are checked, so a
recipe that fails halfway never leaves a folder that looks complete. A file lock keeps two
processes from generating the same blackbox at once. Every load checks the sha256 of the data
files; a corrupted or half-written folder is regenerated, never used.

``REPOSITORY`` is what this package registers as the blackbox repository (hook
``register_blackbox_repositories``); the kernel's ``synetune.blackboxes.load`` / ``generate``
call its ``load_blackbox`` / ``generate_blackbox``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from synetune_plugin_blackbox_repository.storage import (
    METADATA_FILE,
    CorruptBlackboxError,
    _write_metadata,
    read_blackbox,
    validate_folder,
)
from synetune_sdk.blackbox import BlackboxRecipe
from synetune_sdk.jsonutil import json_default_or_str

logger = logging.getLogger(__name__)

REPOSITORY_FOLDER = "blackbox-repository"
PARTIAL_SUFFIX = ".partial"

__all__ = [
    "REPOSITORY",
    "BlackboxRepository",
    "cache_path",
    "generate_blackbox",
    "load_blackbox",
    "repository_root",
]


def repository_root() -> Path:
    """``$SYNETUNE_FOLDER/blackbox-repository`` (default ``~/syne-tune/blackbox-repository``)."""
    from synetune.plugin_api import experiment_root

    return experiment_root() / REPOSITORY_FOLDER


def _recipe(name: str, kwargs: dict[str, Any]) -> tuple[str, BlackboxRecipe]:
    """The short name recipe ``name`` is registered under, and the recipe built with ``kwargs``.

    ``create`` resolves ``name`` (short, or qualified as ``<plugin>/<name>``) or raises; a
    registered name never holds ``/``, so the short name is what follows the last one."""
    from synetune.plugin_api import create

    try:
        recipe = create("blackboxes", name, **kwargs)
    except TypeError as err:
        raise TypeError(f"blackbox recipe {name!r} rejected the arguments {kwargs}: {err}") from err
    return name.rpartition("/")[2], recipe


def _folder_for(short_name: str, recipe: Any, kwargs: dict[str, Any]) -> Path:
    identity = json.dumps(
        {"name": short_name, "version": str(getattr(recipe, "version", "0")), "kwargs": kwargs},
        sort_keys=True,
        default=json_default_or_str,
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", short_name)
    return repository_root() / f"{safe}-{digest}"


def cache_path(name: str, **kwargs: Any) -> Path:
    """The folder where recipe ``name`` with ``kwargs`` is (or will be) generated."""
    short_name, recipe = _recipe(name, kwargs)
    return _folder_for(short_name, recipe, kwargs)


@contextlib.contextmanager
def _lock(path: Path) -> Any:
    """An exclusive lock so that two processes never generate the same blackbox at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def generate_blackbox(name: str, force: bool = False, **kwargs: Any) -> Path:
    """Generate recipe ``name`` into the repository unless a valid copy is there; its folder.

    A folder that fails validation (missing or corrupted file) is regenerated. The recipe
    writes into ``<folder>.partial``; a resumable recipe (``resumable = True``) finds there what
    an interrupted run checkpointed, any other recipe starts from an empty folder.
    """
    short_name, recipe = _recipe(name, kwargs)
    folder = _folder_for(short_name, recipe, kwargs)
    with _lock(folder.parent / ".locks" / (folder.name + ".lock")):
        if folder.exists() and not force:
            try:
                validate_folder(folder)
                return folder
            except CorruptBlackboxError as err:
                logger.warning("blackbox %r: %s; generating it again", short_name, err)
        partial = folder.with_name(folder.name + PARTIAL_SUFFIX)
        resumable = bool(getattr(recipe, "resumable", False))
        if partial.exists() and not resumable:
            shutil.rmtree(partial)
        partial.mkdir(parents=True, exist_ok=True)
        (partial / METADATA_FILE).unlink(missing_ok=True)
        if recipe.citation:
            logger.info("generating blackbox %r; please cite: %s", short_name, recipe.citation)
        try:
            recipe.generate(partial)
            metadata = validate_folder(partial)
        except BaseException:
            if not resumable:
                shutil.rmtree(partial, ignore_errors=True)
            raise
        metadata.update(
            {
                "name": short_name,
                "recipe": type(recipe).__name__,
                "recipe_version": str(getattr(recipe, "version", "0")),
                "recipe_kwargs": kwargs,
                "citation": recipe.citation,
            }
        )
        _write_metadata(partial, metadata)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(partial, folder)
    return folder


def load_blackbox(name: str, task: str | None = None, **kwargs: Any) -> Any:
    """The blackbox of recipe ``name``, generated on first use and read from the repository
    afterwards; ``kwargs`` go to the recipe (each combination is cached separately)."""
    folder = generate_blackbox(name, **kwargs)
    try:
        return read_blackbox(folder, task=task)
    except CorruptBlackboxError as err:  # changed between generation and reading
        logger.warning("blackbox %r: %s; generating it again", name, err)
        return read_blackbox(generate_blackbox(name, force=True, **kwargs), task=task)


class BlackboxRepository:
    """The object registered as this package's blackbox repository: the kernel's
    ``synetune.blackboxes.load(name, **kwargs)`` and ``generate(name, force=..., **kwargs)``
    call ``load_blackbox`` and ``generate_blackbox`` on it."""

    def load_blackbox(self, name: str, task: str | None = None, **kwargs: Any) -> Any:
        return load_blackbox(name, task=task, **kwargs)

    def generate_blackbox(self, name: str, force: bool = False, **kwargs: Any) -> Path:
        return generate_blackbox(name, force=force, **kwargs)


REPOSITORY = BlackboxRepository()
