"""Fixtures for every test in the repository (kernel, sdk and plugins)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def synetune_folder(tmp_path, monkeypatch):
    """Every test writes its experiments into its own folder."""
    folder = tmp_path / "synetune-results"
    monkeypatch.setenv("SYNETUNE_FOLDER", str(folder))
    return folder
