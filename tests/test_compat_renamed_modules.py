"""synetune.compat.RENAMED_MODULES: every new location it names exists and defines the name."""

from __future__ import annotations

import importlib

import pytest

from synetune.compat import RENAMED_MODULES


@pytest.mark.parametrize("old, new", list(RENAMED_MODULES.items()), ids=str)
def test_renamed_modules_point_at_importable_names(old, new):
    module = importlib.import_module(new)
    if isinstance(old, tuple):
        assert isinstance(old[0], str) and hasattr(module, old[1]), (old, new)
    else:
        assert isinstance(old, str) and old != new


def test_moved_blackbox_classes_are_defined_where_the_map_says():
    for key, new in RENAMED_MODULES.items():
        if isinstance(key, tuple) and key[0] == "synetune.blackbox_repository":
            obj = getattr(importlib.import_module(new), key[1])
            assert obj.__module__ == new, key


def test_dehb_pickled_with_the_removed_encoder_loads_and_resumes(tmp_path, monkeypatch):
    """A scheduler saved when DEHB had its own Encoder (one coordinate per hyperparameter)
    unpickles through synetune.compat.RENAMED_MODULES and re-encodes its trials."""
    import sys
    import types
    from datetime import datetime

    import dill
    import numpy as np
    from synetune_plugin_hyperband.dehb import (
        GeometricDifferentialEvolutionHyperbandScheduler as DEHB,
    )

    from synetune.config_space import (
        choice,
        finrange,
        is_valid_config,
        lograndint,
        loguniform,
        ordinal,
        randint,
        uniform,
    )
    from synetune.saving import _unpickle
    from synetune_sdk.encoding import ConfigEncoder
    from synetune_sdk.trial import Trial

    MIXED = {
        "lr": loguniform(1e-4, 1.0),
        "layers": randint(1, 5),
        "width": lograndint(8, 512),
        "act": choice(["relu", "tanh", "gelu"]),
        "size": ordinal([16, 32, 64]),
        "drop": finrange(0.0, 0.5, 6),
        "x": uniform(-1.0, 1.0),
        "epochs": 9,
    }
    scheduler = DEHB(MIXED, metric="loss", random_seed=3, points_to_evaluate=[])
    for step in range(5):
        suggestion = scheduler.suggest(step)
        scheduler.on_trial_result(
            Trial(step, dict(suggestion.config), datetime.now()), {"loss": step, "epoch": 1}
        )
    old_module = types.ModuleType("synetune_plugin_hyperband.encoding")
    old_class = type("Encoder", (), {"__module__": old_module.__name__})
    old_module.Encoder = old_class
    monkeypatch.setitem(sys.modules, old_module.__name__, old_module)
    old_encoder = old_class()
    old_encoder.config_space, old_encoder.names = dict(MIXED), list(MIXED)[:-1]
    scheduler._encoder = old_encoder
    for record in scheduler._trials.values():
        record.encoded = np.full(len(old_encoder.names), 0.5)
    path = tmp_path / "tuner.dill"
    path.write_bytes(dill.dumps(scheduler))
    monkeypatch.delitem(sys.modules, old_module.__name__)

    loaded = _unpickle(path)
    assert isinstance(loaded._encoder, ConfigEncoder)
    for record in loaded._trials.values():
        assert np.array_equal(record.encoded, loaded._encoder.encode(record.config)[0])
    suggestion = loaded.suggest(5)
    assert is_valid_config(suggestion.config, MIXED)
