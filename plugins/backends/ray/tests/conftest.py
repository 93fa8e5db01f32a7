"""One local Ray cluster (2 CPUs) for the whole test session, with its files under pytest's tmp.

Ray takes seconds to start, so tests never start their own; backends created in tests find Ray
initialised and leave it running. ``RAY_AUTH_MODE=disabled`` keeps Ray from writing a token to
``~/.ray``; its session folder goes under the session's tmp folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from synetune_sdk import processes, testing


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import ray

    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_USAGE_STATS_ENABLED")}
    os.environ["RAY_AUTH_MODE"] = "disabled"
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="warning",
        _temp_dir=str(tmp_path_factory.mktemp("ray")),
    )
    try:
        yield ray
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def synetune_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "experiments"))
    return tmp_path / "experiments"


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[[str, str], Path]:
    return partial(testing.write_script, tmp_path)


@pytest.fixture
def pid_alive() -> Callable[[int], bool]:
    return processes.pid_alive
