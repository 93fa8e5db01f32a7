"""Helpers to drive a backend directly, as the tuner does: wait, fetch, until trials end."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synetune_sdk.trial import TrialStatus

TIMEOUT = 30.0


def _run_to_end(
    backend: Any, trial_ids: list[int], timeout: float = TIMEOUT
) -> list[tuple[int, dict]]:
    """Every result of ``trial_ids`` until all of them finished (or are paused)."""
    results: list[tuple[int, dict]] = []
    deadline = time.monotonic() + timeout
    while True:
        backend.wait(1.0)
        statuses, new = backend.fetch_status_results(trial_ids)
        results.extend(new)
        if all(s in TrialStatus.FINISHED or s == TrialStatus.PAUSED for _, s in statuses.values()):
            return results
        assert time.monotonic() < deadline, f"trials did not end in {timeout} s: {statuses}"


def _collect_until(
    backend: Any, trial_ids: list[int], done: Callable[[list], bool], timeout: float = TIMEOUT
) -> list[tuple[int, dict]]:
    """Results until ``done(results)`` holds."""
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


@pytest.fixture(autouse=True)
def close_backends(monkeypatch: pytest.MonkeyPatch):
    """Close every LocalBackend a test created, so no trial outlives its test."""
    from synetune_plugin_local.local_backend import LocalBackend

    created: list[LocalBackend] = []
    original = LocalBackend._init_processes

    def init_and_track(self: LocalBackend) -> None:
        original(self)
        created.append(self)

    monkeypatch.setattr(LocalBackend, "_init_processes", init_and_track)
    yield
    for backend in created:
        backend.close()


@pytest.fixture
def run_to_end() -> Callable[..., list[tuple[int, dict]]]:
    return _run_to_end


@pytest.fixture
def collect_until() -> Callable[..., list[tuple[int, dict]]]:
    return _collect_until


@pytest.fixture
def wait_for() -> Callable[..., None]:
    return _wait_for


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, source: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return path

    return write
