"""synetune.compat.RENAMED_MODULES: every new location it names exists and defines the name."""

from __future__ import annotations

import importlib

import pytest

from synetune.compat import RENAMED_MODULES


@pytest.mark.parametrize("old, new", list(RENAMED_MODULES.items()), ids=str)
def test_renamed_modules_point_at_importable_names(old, new):
    if new.startswith("synetune_plugin_"):
        pytest.importorskip(new.split(".")[0])
    module = importlib.import_module(new)
    if isinstance(old, tuple):
        assert isinstance(old[0], str) and hasattr(module, old[1]), (old, new)
    else:
        assert isinstance(old, str) and old != new


def test_moved_blackbox_classes_are_defined_where_the_map_says():
    pytest.importorskip("synetune_plugin_blackbox_repository")
    for key, new in RENAMED_MODULES.items():
        if isinstance(key, tuple) and key[0] == "synetune.blackbox_repository":
            obj = getattr(importlib.import_module(new), key[1])
            assert obj.__module__ == new, key
