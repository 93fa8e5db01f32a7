"""Blackbox implementations of the repository plugin: lookup, offline, surrogate,
function, the on-disk format, and clear errors for configurations or fidelities not there."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from synetune_plugin_blackbox_repository import (
    BlackboxOffline,
    BlackboxTabular,
    CorruptBlackboxError,
    NotInTableError,
    add_surrogate,
    from_function,
    read_blackbox,
    validate_folder,
    write_tabular,
)

from synetune_sdk.config_space import choice, logfinrange, loguniform, randint, uniform

SPACE = {
    "lr": logfinrange(1e-3, 1e-1, 3),
    "units": randint(1, 2),
    "act": choice(["relu", "tanh"]),
}
FIDELITY = {"epoch": randint(1, 4)}


def long_table() -> pd.DataFrame:
    rows = []
    for lr in SPACE["lr"].values:
        for units in (1, 2):
            for act in ("relu", "tanh"):
                for seed in (0, 1):
                    for epoch in range(1, 5):
                        base = -np.log10(lr) + units + (act == "tanh")
                        rows.append(
                            {
                                "lr": lr,
                                "units": units,
                                "act": act,
                                "seed": seed,
                                "epoch": epoch,
                                "error": base / epoch + seed,
                                "elapsed_time": epoch * units,
                            }
                        )
    return pd.DataFrame(rows)


def offline() -> BlackboxOffline:
    return BlackboxOffline(
        long_table(), SPACE, FIDELITY, objectives_names=["error", "elapsed_time"], seed_col="seed"
    )


def test_offline_lookup_per_config_seed_and_fidelity():
    bb = offline()
    assert len(bb) == 12 and bb.num_seeds == 2
    assert bb.fidelity_values() == [1, 2, 3, 4]
    assert bb.fidelity_name() == "epoch"
    config = {"lr": SPACE["lr"].values[1], "units": 2, "act": "tanh"}
    expected = -np.log10(config["lr"]) + 3
    assert bb.objective_function(config, fidelity=2, seed=1) == pytest.approx(
        {"error": expected / 2 + 1, "elapsed_time": 4.0}
    )
    # fidelity None means the highest; extra keys (max resource) are ignored
    assert bb(dict(config, epochs=4), seed=0)["error"] == pytest.approx(expected / 4)
    curve = bb.objective_curve(config, seed=0)
    assert curve.shape == (4, 2)
    assert curve[:, 1].tolist() == [2.0, 4.0, 6.0, 8.0]


def test_values_that_went_through_text_still_find_their_row():
    bb = offline()
    config = {"lr": float(f"{SPACE['lr'].values[1]:.15g}"), "units": 1.0, "act": "relu"}
    assert bb.objective_function(config, 1)["elapsed_time"] == 1.0


def test_config_outside_the_space_is_a_clear_error():
    bb = offline()
    with pytest.raises(ValueError, match=r"hyperparameter 'units'=7 is not in"):
        bb.objective_function({"lr": 0.01, "units": 7, "act": "relu"})
    with pytest.raises(ValueError, match="lacks hyperparameter 'act'"):
        bb.objective_function({"lr": 0.01, "units": 1})
    with pytest.raises(ValueError, match="'lr'=0.5"):
        bb.objective_function({"lr": 0.5, "units": 1, "act": "relu"})


def test_fidelity_or_seed_not_in_the_table_is_a_clear_error():
    bb = offline()
    config = {"lr": 0.01, "units": 1, "act": "relu"}
    with pytest.raises(ValueError, match=r"fidelity epoch=9 is not in the table.*\[1, 2, 3, 4\]"):
        bb.objective_function(config, fidelity=9)
    with pytest.raises(ValueError, match="seed 2 is not in the table: it has 2 seeds"):
        bb.objective_function(config, seed=2)


def test_config_in_the_space_but_not_in_the_table():
    df = long_table()
    df = df[df["act"] == "relu"]
    bb = BlackboxOffline(df, SPACE, FIDELITY, ["error", "elapsed_time"], seed_col="seed")
    with pytest.raises(NotInTableError, match="not in the table of this blackbox.*add_surrogate"):
        bb.objective_function({"lr": 0.01, "units": 1, "act": "tanh"})


def test_offline_rejects_duplicates_and_missing_columns():
    df = long_table()
    with pytest.raises(ValueError, match="several rows for the same configuration"):
        BlackboxOffline(df, SPACE, FIDELITY, ["error", "elapsed_time"])  # seed_col missing
    with pytest.raises(ValueError, match=r"lacks columns \['nope'\]"):
        BlackboxOffline(df, SPACE, FIDELITY, ["nope"], seed_col="seed")


def test_tabular_from_arrays():
    values = np.arange(2 * 1 * 3 * 1, dtype=float).reshape(2, 1, 3, 1)
    bb = BlackboxTabular(
        [{"a": "x"}, {"a": "y"}],
        {"a": choice(["x", "y"])},
        {"r": randint(1, 3)},
        values,
        objectives_names=["v"],
    )
    assert bb.objective_function({"a": "y"}, 2) == {"v": 4.0}
    assert bb.configuration_space_with_max_resource_attr("max_r") == {
        "a": choice(["x", "y"]),
        "max_r": 3,
    }
    with pytest.raises(ValueError, match="appears twice"):
        BlackboxTabular([{"a": "x"}, {"a": "x"}], {"a": choice(["x", "y"])}, None, values[:, :, :1])


def test_knn_surrogate_answers_off_grid_configs_with_the_nearest_curve():
    bb = offline()
    continuous = dict(SPACE, lr=loguniform(1e-3, 1e-1))
    surrogate = add_surrogate(bb, "knn", configuration_space=continuous)
    near = {"lr": 0.0105, "units": 2, "act": "tanh"}  # off grid: continuous value of lr
    grid_point = {"lr": 0.01, "units": 2, "act": "tanh"}
    mean_error = (bb(grid_point, 3, 0)["error"] + bb(grid_point, 3, 1)["error"]) / 2
    assert surrogate(near, fidelity=3)["error"] == pytest.approx(mean_error)
    assert surrogate.objective_curve(near).shape == (4, 2)
    with pytest.raises(ValueError, match="fidelity epoch=5 is not in the table"):
        surrogate(near, fidelity=5)
    with pytest.raises(ValueError, match="'units'=3"):
        surrogate({"lr": 0.01, "units": 3, "act": "tanh"})


def test_surrogate_answers_configs_missing_from_the_table():
    df = long_table()
    bb = BlackboxOffline(
        df[df["act"] == "relu"], SPACE, FIDELITY, ["error", "elapsed_time"], seed_col="seed"
    )
    value = add_surrogate(bb)({"lr": 0.01, "units": 1, "act": "tanh"}, fidelity=4)["error"]
    assert value == pytest.approx((2 + 1) / 4 + 0.5)  # nearest: same lr and units, relu


def test_random_forest_surrogate_predicts_in_range():
    surrogate = add_surrogate(offline(), "random_forest", n_estimators=10)
    value = surrogate({"lr": 0.01, "units": 1, "act": "relu"}, fidelity=1)["error"]
    assert 2.0 < value < 7.0
    with pytest.raises(ValueError, match="unknown surrogate 'svm'"):
        add_surrogate(offline(), "svm")


def test_function_blackbox():
    calls = []

    def evaluate(config, fidelity, seed):
        calls.append((config["x"], fidelity, seed))
        return {"y": config["x"] * fidelity, "cost": float(fidelity)}

    bb = from_function({"x": uniform(0, 2)}, evaluate, {"epoch": randint(1, 3)}, ["y", "cost"])
    assert bb({"x": 1.5}, fidelity=2) == {"y": 3.0, "cost": 2.0}
    assert bb({"x": 1.0})["y"] == 3.0  # highest fidelity
    assert bb.objective_curve({"x": 1.0}, seed=4)[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert calls[-1] == (1.0, 3, 4)
    with pytest.raises(ValueError, match=r"fidelity epoch=4 is outside"):
        bb({"x": 1.0}, fidelity=4)
    with pytest.raises(ValueError, match="'x'=3"):
        bb({"x": 3})


def test_function_curve_validates_the_configuration_once(monkeypatch):
    import synetune_plugin_blackbox_repository.function as function

    checks = []
    real_check = function.check_configuration

    def counting_check(config, space):
        checks.append(config)
        return real_check(config, space)

    monkeypatch.setattr(function, "check_configuration", counting_check)
    bb = from_function(
        {"x": uniform(0, 2)}, lambda c, f, s: {"y": c["x"] * f}, {"epoch": randint(1, 81)}
    )
    curve = bb.objective_curve({"x": 0.5})
    assert curve.shape == (81, 1) and curve[-1, 0] == 40.5
    assert len(checks) == 1


def test_function_blackbox_from_a_whole_curve():
    calls = []

    def curve(config, seed):
        calls.append(seed)
        return {"y": [config["x"] * e for e in (1, 2, 3)], "cost": [1.0, 2.0, 3.0]}

    bb = from_function(
        {"x": uniform(0, 2)}, fidelity_space={"epoch": randint(1, 3)}, curve_fun=curve
    )
    assert bb.objective_curve({"x": 2.0}, seed=7).tolist() == [[2.0, 1.0], [4.0, 2.0], [6.0, 3.0]]
    assert calls == [7]
    assert bb({"x": 1.0}, fidelity=2) == {"y": 2.0, "cost": 2.0}
    as_array = from_function(
        {"x": uniform(0, 2)},
        fidelity_space={"epoch": randint(1, 3)},
        objectives_names=["y"],
        curve_fun=lambda c, s: [c["x"]] * 3,
    )
    assert as_array.objective_curve({"x": 1.5})[:, 0].tolist() == [1.5, 1.5, 1.5]
    short = from_function(
        {"x": uniform(0, 2)},
        fidelity_space={"epoch": randint(1, 3)},
        curve_fun=lambda c, s: {"y": [1]},
    )
    with pytest.raises(ValueError, match="returned 1 values per objective, expected 3"):
        short.objective_curve({"x": 1.0})
    with pytest.raises(TypeError, match="pass eval_fun"):
        from_function({"x": uniform(0, 2)})


def test_write_and_read_back(tmp_path):
    write_tabular(
        tmp_path,
        long_table(),
        SPACE,
        ["error", "elapsed_time"],
        fidelity_space=FIDELITY,
        elapsed_time_attr="elapsed_time",
        note="hello",
    )
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["files"]["evaluations.parquet"]["sha256"]
    assert metadata["fidelity_values"] == [1, 2, 3, 4] and metadata["note"] == "hello"
    bb = read_blackbox(tmp_path)
    assert bb.configuration_space == SPACE
    assert bb.metadata["elapsed_time_attr"] == "elapsed_time"
    config = {"lr": 0.001, "units": 1, "act": "relu"}
    assert bb(config, 2, 1) == offline()(config, 2, 1)


def test_several_tasks(tmp_path):
    df = long_table()
    write_tabular(tmp_path, {"a": df, "b": df.assign(error=0.0)}, SPACE, ["error"], FIDELITY)
    both = read_blackbox(tmp_path)
    assert sorted(both) == ["a", "b"]
    assert read_blackbox(tmp_path, task="b")({"lr": 0.01, "units": 1, "act": "relu"}) == {
        "error": 0.0
    }
    with pytest.raises(ValueError, match="task 'c' is not in"):
        read_blackbox(tmp_path, task="c")


def test_corrupted_or_half_written_folder_is_detected(tmp_path):
    write_tabular(tmp_path, long_table(), SPACE, ["error"], FIDELITY)
    data = tmp_path / "evaluations.parquet"
    data.write_bytes(data.read_bytes()[:-10])
    with pytest.raises(CorruptBlackboxError, match="does not match its sha256"):
        read_blackbox(tmp_path)
    data.unlink()
    with pytest.raises(CorruptBlackboxError, match="is missing"):
        validate_folder(tmp_path)
    (tmp_path / "metadata.json").write_text('{"format_version": 1, "ki')
    with pytest.raises(CorruptBlackboxError, match="unreadable"):
        validate_folder(tmp_path)
