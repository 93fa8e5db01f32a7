"""Fixtures for LocalBackend tests: no trial outlives its test, scripts go under tmp_path.

The helpers that drive a backend until its trials end come from ``synetune_sdk.testing``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from synetune_sdk import testing


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
def write_script(tmp_path: Path) -> Callable[[str, str], Path]:
    return partial(testing.write_script, tmp_path)
