"""Packing the code a training job runs: ``sourcedir.tar.gz``, as the SageMaker framework
containers expect it (the entry point's folder at the root, ``requirements.txt`` installed by
the container before the entry point runs)."""

from __future__ import annotations

import fnmatch
import io
import tarfile
from collections.abc import Iterable
from pathlib import Path

_SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


def _skip(path: Path, ignore: Iterable[str] = ()) -> bool:
    if any(part in _SKIP_DIRS for part in path.parts) or path.name.endswith(_SKIP_SUFFIXES):
        return True
    return any(fnmatch.fnmatch(part, pattern) for part in path.parts for pattern in ignore)


def _add_tree(
    tar: tarfile.TarFile,
    source: Path,
    arcname: str,
    exclude: frozenset[str] = frozenset(),
    ignore: Iterable[str] = (),
) -> None:
    if source.is_file():
        tar.add(source, arcname=arcname)
        return
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or _skip(relative, ignore) or relative.as_posix() in exclude:
            continue
        tar.add(
            path, arcname=f"{arcname}/{relative.as_posix()}" if arcname else relative.as_posix()
        )


def pack_code(
    target: Path,
    source_dir: Path,
    dependencies: Iterable[str | Path] = (),
    extra_files: dict[str, Path] | None = None,
    requirements: list[str] | None = None,
    ignore: Iterable[str] = (),
) -> Path:
    """Write ``target`` (a .tar.gz): ``source_dir``'s files at the root, each dependency folder
    under its own name, ``extra_files`` under the given names, and ``requirements.txt`` with
    ``requirements`` appended to the one ``source_dir`` may hold. Paths with a part matching an
    ``ignore`` pattern (fnmatch, as the v3 SDK's ``SourceCode.ignore_patterns``) stay out."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"source_dir {str(source_dir)!r} is not a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        replaced = frozenset(
            {"requirements.txt", *(extra_files or {})} if requirements else extra_files or {}
        )
        _add_tree(tar, source_dir, "", exclude=replaced, ignore=tuple(ignore))
        for dependency in dependencies:
            path = Path(dependency)
            if not path.exists():
                raise FileNotFoundError(
                    f"dependency {str(dependency)!r} does not exist: list folders (or files) to "
                    "ship with the code, absolute or relative to the current folder"
                )
            _add_tree(tar, path.resolve(), path.resolve().name)
        for name, path in (extra_files or {}).items():
            tar.add(path, arcname=name)
        if requirements:
            existing = source_dir / "requirements.txt"
            lines = existing.read_text().splitlines() if existing.is_file() else []
            names = {
                line.split("=")[0].split(">")[0].split("<")[0].strip().lower() for line in lines
            }
            lines += [
                r
                for r in requirements
                if r.split("=")[0].split(">")[0].strip().lower() not in names
            ]
            data = ("\n".join(lines) + "\n").encode()
            info = tarfile.TarInfo("requirements.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target
