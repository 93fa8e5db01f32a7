"""One local Ray cluster (2 CPUs) for the whole test session, with its files under pytest's tmp.

Ray takes seconds to start, so tests never start their own; backends created in tests find Ray
initialised and leave it running. ``RAY_AUTH_MODE=disabled`` keeps Ray from writing a token to
``~/.ray``; its session folder goes under the session's tmp folder.
"""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from synetune_sdk import processes
from synetune_sdk.trial import TrialStatus

TIMEOUT = 60.0


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
    def write(name: str, source: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return path

    return write


def _run_to_end(backend: Any, trial_ids: list[int], timeout: float = TIMEOUT) -> list[tuple]:
    """Every result of ``trial_ids`` until none of them is in progress."""
    results: list[tuple[int, dict]] = []
    deadline = time.monotonic() + timeout
    while True:
        backend.wait(1.0)
        statuses, new = backend.fetch_status_results(trial_ids)
        results.extend(new)
        if all(s != TrialStatus.IN_PROGRESS for _, s in statuses.values()):
            return results
        assert time.monotonic() < deadline, f"trials did not end in {timeout} s: {statuses}"


def _collect_until(
    backend: Any, trial_ids: list[int], done: Callable[[list], bool], timeout: float = TIMEOUT
) -> list[tuple]:
    results: list[tuple[int, dict]] = []
    deadline = time.monotonic() + timeout
    while not done(results):
        assert time.monotonic() < deadline, f"condition not met in {timeout} s: {results}"
        backend.wait(1.0)
        results.extend(backend.fetch_status_results(trial_ids)[1])
    return results


def _wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met in {timeout} s"
        time.sleep(0.02)


@pytest.fixture
def run_to_end() -> Callable[..., list[tuple]]:
    return _run_to_end


@pytest.fixture
def collect_until() -> Callable[..., list[tuple]]:
    return _collect_until


@pytest.fixture
def wait_for() -> Callable[..., None]:
    return _wait_for


@pytest.fixture
def pid_alive() -> Callable[[int], bool]:
    return processes.pid_alive
