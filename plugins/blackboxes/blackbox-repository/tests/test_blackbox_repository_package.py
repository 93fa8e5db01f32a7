"""The package as other code meets it: a cheap import, the kernel finding the repository (or
saying what to install), and surrogates pickled before the package existed."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from synetune_plugin_blackbox_repository import BlackboxOffline, BlackboxSurrogate, add_surrogate
from synetune_plugin_blackbox_repository.surrogate import _Encoder

import synetune
from synetune_sdk.config_space import choice, loguniform, randint


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_import_is_cheap_and_names_resolve_lazily():
    code = (
        "import sys, synetune_plugin_blackbox_repository as p, "
        "synetune_plugin_blackbox_repository.hooks\n"
        "heavy = [m for m in ('numpy', 'pandas', 'pyarrow', 'sklearn') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert p.BlackboxTabular.__module__ == 'synetune_plugin_blackbox_repository.tabular'\n"
        "assert set(p.__all__) <= set(dir(p))\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr


def test_the_kernel_finds_the_repository():
    repository = synetune.blackboxes.repository()
    assert callable(repository.load_blackbox) and callable(repository.generate_blackbox)


def test_without_the_repository_load_says_what_to_install():
    code = "import synetune\nsynetune.blackboxes.load('branin')\n"
    out = run_python(code, SYNETUNE_DISABLE_PLUGINS="synetune-plugin-blackbox-repository")
    assert out.returncode != 0
    assert (
        "no blackbox repository is installed: pip install synetune-plugin-blackbox-repository"
        in out.stderr
    )


def table() -> BlackboxOffline:
    rows = [
        {"lr": lr, "units": units, "act": act, "epoch": e, "loss": lr * units + (act == "b") / e}
        for lr in (1e-3, 1e-2, 1e-1)
        for units in (1, 2, 3)
        for act in ("a", "b")
        for e in (1, 2)
    ]
    space = {"lr": loguniform(1e-3, 1e-1), "units": randint(1, 3), "act": choice(["a", "b"])}
    return BlackboxOffline(pd.DataFrame(rows), space, {"epoch": randint(1, 2)}, ["loss"])


def test_surrogate_features_come_from_the_config_encoder():
    surrogate = add_surrogate(table())
    features = surrogate._features([{"lr": 1e-3, "units": 1, "act": "b"}])
    assert features.shape == (1, 4)  # lr, units, one-hot act
    np.testing.assert_allclose(features[0, [0, 2, 3]], [0.0, 0.0, 1.0])
    assert 0.0 < features[0, 1] < 0.5  # an integer owns an interval of [0, 1]


def test_a_surrogate_pickled_with_the_old_encoder_keeps_its_encoding():
    from sklearn.neighbors import KNeighborsRegressor

    blackbox = table()
    surrogate = add_surrogate(blackbox)
    configs = blackbox.all_configurations()
    legacy = _Encoder()
    legacy.columns = list(blackbox.configuration_space.items())
    # the state synetune.blackbox_repository pickled: a model fitted on the old encoding
    old = object.__new__(BlackboxSurrogate)
    old.__dict__.update({k: v for k, v in vars(surrogate).items() if k != "_encoder"})
    old._encode = legacy
    targets = blackbox.objectives_evaluations.mean(axis=1).reshape(len(configs), -1)
    old.model = KNeighborsRegressor(n_neighbors=1).fit(legacy(configs), targets)
    old = pickle.loads(pickle.dumps(old))
    np.testing.assert_allclose(
        old._features([{"lr": 1e-2, "units": 3, "act": "a"}]), [[0.5, 1.0, 1.0, 0.0]]
    )
    for config in configs:
        assert old(config, fidelity=2) == pytest.approx(surrogate(config, fidelity=2))
