"""synetune_sdk.transfer: the record of earlier tasks, its checks and its builders."""

from __future__ import annotations

import logging
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from synetune_sdk.config_space import choice, loguniform, randint, uniform
from synetune_sdk.transfer import (
    TransferLearningTaskEvaluations,
    check_transfer_learning_evaluations,
    from_blackboxes,
    from_experiments,
    top_k_hyperparameter_configurations_per_task,
)

SPACE = {"x": uniform(0.0, 1.0), "act": choice(["relu", "tanh"]), "epochs": 3}


def make_task(xs, values, space=SPACE, acts=None):
    hps = pd.DataFrame({"x": xs, "act": acts or ["relu"] * len(xs)})
    arr = np.asarray(values, dtype=float).reshape(len(xs), 1, 1 if not xs else -1, 1)
    return TransferLearningTaskEvaluations(space, hps, ["loss"], arr)


def test_top_k_means_over_seeds_and_takes_best_fidelity():
    hps = pd.DataFrame({"x": [0.1, 0.2, 0.3], "act": ["relu", "tanh", "relu"]})
    values = np.array(
        [
            [[[5.0], [3.0]], [[5.0], [5.0]]],  # mean over seeds per fidelity: 5, 4 -> 4
            [[[1.0], [9.0]], [[3.0], [9.0]]],  # 2, 9 -> 2
            [[[7.0], [8.0]], [[7.0], [8.0]]],  # 7, 8 -> 7
        ]
    )
    evals = TransferLearningTaskEvaluations(SPACE, hps, ["loss"], values)
    assert evals.top_k_hyperparameter_configurations(2, "min", "loss") == [
        {"x": 0.2, "act": "tanh"},
        {"x": 0.1, "act": "relu"},
    ]
    # max: best fidelity is the largest mean
    assert evals.top_k_hyperparameter_configurations(1, "max", "loss") == [
        {"x": 0.2, "act": "tanh"}
    ]
    assert evals.last_values("loss").tolist() == [4.0, 9.0, 8.0]
    per_task = top_k_hyperparameter_configurations_per_task({"a": evals}, 1, "min", "loss")
    assert per_task == {"a": [{"x": 0.2, "act": "tanh"}]}


def test_record_rejects_bad_shapes():
    hps = pd.DataFrame({"x": [0.1, 0.2]})
    with pytest.raises(ValueError, match="shape"):
        TransferLearningTaskEvaluations(SPACE, hps, ["loss"], np.zeros((2, 1, 1)))
    with pytest.raises(ValueError, match="3 evaluations but hyperparameters has 2 rows"):
        TransferLearningTaskEvaluations(SPACE, hps, ["loss"], np.zeros((3, 1, 1, 1)))
    with pytest.raises(ValueError, match="objectives"):
        TransferLearningTaskEvaluations(SPACE, hps, ["loss", "time"], np.zeros((2, 1, 1, 1)))
    with pytest.raises(ValueError, match="'y'"):
        TransferLearningTaskEvaluations(
            SPACE, pd.DataFrame({"y": [1, 2]}), ["loss"], np.zeros((2, 1, 1, 1))
        )
    with pytest.raises(ValueError, match="k must be a positive integer"):
        make_task([0.1], [1.0]).top_k_hyperparameter_configurations(0, "min", "loss")


def test_check_names_the_task_and_the_hyperparameter():
    good = make_task([0.1, 0.2], [1.0, 2.0])
    assert list(check_transfer_learning_evaluations(SPACE, {"a": good}, "loss")) == ["a"]
    missing = TransferLearningTaskEvaluations(
        {"x": uniform(0, 1)}, pd.DataFrame({"x": [0.1]}), ["loss"], np.ones((1, 1, 1, 1))
    )
    with pytest.raises(ValueError, match="task 'b' lacks hyperparameter 'act'"):
        check_transfer_learning_evaluations(SPACE, {"a": good, "b": missing}, "loss")
    extra_space = {**SPACE, "lr": loguniform(1e-4, 1e-1)}
    extra = TransferLearningTaskEvaluations(
        extra_space,
        pd.DataFrame({"x": [0.1], "act": ["relu"], "lr": [0.01]}),
        ["loss"],
        np.ones((1, 1, 1, 1)),
    )
    with pytest.raises(ValueError, match="task 'c' has hyperparameter 'lr'"):
        check_transfer_learning_evaluations(SPACE, {"c": extra}, "loss")
    retyped = make_task([1, 2], [1.0, 2.0], space={**SPACE, "x": randint(0, 5)})
    with pytest.raises(ValueError, match="task 'd': hyperparameter 'x' is int"):
        check_transfer_learning_evaluations(SPACE, {"d": retyped}, "loss")
    with pytest.raises(ValueError, match="task 'a' has no objective 'acc'"):
        check_transfer_learning_evaluations(SPACE, {"a": good}, "acc")


def test_check_skips_empty_and_all_nan_tasks_and_drops_nan_rows(caplog):
    empty = make_task([], [])
    all_nan = make_task([0.1, 0.2], [np.nan, np.nan])
    partial = make_task([0.1, 0.2, 0.3], [np.nan, 2.0, 1.0])
    with caplog.at_level(logging.WARNING, logger="synetune_sdk.transfer"):
        out = check_transfer_learning_evaluations(
            SPACE, {"empty": empty, "nan": all_nan, "partial": partial}, "loss"
        )
    assert list(out) == ["partial"]
    assert out["partial"].hyperparameters["x"].tolist() == [0.2, 0.3]
    text = caplog.text
    assert "task 'empty' skipped" in text and "task 'nan' skipped" in text
    assert "task 'partial': 1 of 3 configurations" in text


def test_from_blackboxes_uses_the_table():
    space = {"x": uniform(0.0, 1.0), "act": choice(["relu", "tanh"])}
    hps = pd.DataFrame({"x": [0.1, 0.9], "act": ["relu", "tanh"]})
    values = np.arange(2 * 3 * 4 * 2, dtype=float).reshape(2, 3, 4, 2)
    blackbox = SimpleNamespace(
        configuration_space=space,
        hyperparameters=hps,
        objectives_names=["loss", "time"],
        objectives_evaluations=values,
    )
    out = from_blackboxes({"t1": blackbox, "t2": blackbox}, objectives=["time"])
    assert list(out) == ["t1", "t2"]
    assert out["t1"].objectives_names == ["time"]
    assert out["t1"].objectives_evaluations.shape == (2, 3, 4, 1)
    assert out["t1"].objectives_evaluations[1, 2, 3, 0] == values[1, 2, 3, 1]
    with pytest.raises(ValueError, match="task 't1' has no objectives \\['acc'\\]"):
        from_blackboxes({"t1": blackbox}, objectives=["acc"])
    with pytest.raises(TypeError, match="not tabular"):
        from_blackboxes({"t1": SimpleNamespace(objectives_names=["loss"])})


def results_frame():
    rows = []
    for trial_id, (x, act, curve) in enumerate(
        [(0.2, "relu", [3.0, 2.0, 1.0]), (0.7, "tanh", [4.0]), (0.5, "relu", [2.5, 2.4])]
    ):
        for epoch, loss in enumerate(curve, start=1):
            rows.append(
                {
                    "trial_id": trial_id,
                    "epoch": epoch,
                    "loss": loss,
                    "config_x": x,
                    "config_act": act,
                    "config_epochs": 3,
                    "st_tuner_time": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_from_experiments_one_row_per_trial():
    experiment = SimpleNamespace(results=results_frame(), metadata={})
    out = from_experiments({"old": experiment}, SPACE, "loss")
    evals = out["old"]
    assert evals.hyperparameters.to_dict("records") == [
        {"x": 0.2, "act": "relu"},
        {"x": 0.7, "act": "tanh"},
        {"x": 0.5, "act": "relu"},
    ]
    assert evals.objectives_evaluations[:, 0, 0, 0].tolist() == [1.0, 4.0, 2.4]  # last values
    by_epoch = from_experiments({"old": experiment}, SPACE, "loss", resource_attr="epoch")["old"]
    assert by_epoch.objectives_evaluations.shape == (3, 1, 3, 1)
    assert np.isnan(by_epoch.objectives_evaluations[1, 0, 1:, 0]).all()
    assert by_epoch.top_k_hyperparameter_configurations(1, "min", "loss") == [
        {"x": 0.2, "act": "relu"}
    ]


def test_from_experiments_bad_runs():
    df = results_frame()
    with pytest.raises(ValueError, match="task 'old': its results have no column config_act"):
        from_experiments({"old": df.drop(columns=["config_act"])}, SPACE, "loss")
    with pytest.raises(ValueError, match="task 'old': its results hold hyperparameter 'lr'"):
        from_experiments({"old": df.assign(config_lr=0.1)}, SPACE, "loss")
    with pytest.raises(ValueError, match="task 'old': trial 0: hyperparameter 'act'"):
        from_experiments({"old": df.assign(config_act=1.5)}, SPACE, "loss")
    with pytest.raises(ValueError, match="no column 'acc'"):
        from_experiments({"old": df}, SPACE, "acc")
    empty = from_experiments({"none": SimpleNamespace(results=pd.DataFrame())}, SPACE, "loss")
    assert len(empty["none"].hyperparameters) == 0
    assert check_transfer_learning_evaluations(SPACE, empty, "loss") == {}


def test_import_is_standard_library_only():
    code = (
        "import sys, synetune_sdk.transfer; print('numpy' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
