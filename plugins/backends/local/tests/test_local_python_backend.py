"""PythonBackend: tuning a function ``f(**config)`` run in a subprocess per trial."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from synetune_plugin_local.function_runner import parse_arguments, parse_value
from synetune_plugin_local.python_backend import PythonBackend

from synetune_sdk.config_space import choice, loguniform, randint, uniform
from synetune_sdk.testing import run_to_end
from synetune_sdk.trial import TrialStatus


def launcher_function(source: str, name: str = "train"):
    """A function as if defined in the user's launcher script (module ``__main__``)."""
    namespace = {"__name__": "__main__"}
    exec(textwrap.dedent(source), namespace)
    return namespace[name]


TYPED_TRAIN = """
    def train(lr, layers, opt, epochs, st_checkpoint_dir):
        import os
        from synetune_sdk import Reporter
        assert isinstance(lr, float) and isinstance(layers, int), (lr, layers)
        assert opt in ("sgd", "adam") and isinstance(epochs, int), (opt, epochs)
        assert os.path.isdir(st_checkpoint_dir)
        report = Reporter()
        for epoch in range(1, epochs + 1):
            report(epoch=epoch, loss=lr * layers / epoch)
"""


@pytest.mark.parametrize("as_json", [False, True])
def test_python_backend_tunes_a_function_with_typed_config(tmp_path, as_json):
    config_space = {
        "lr": loguniform(1e-3, 1.0),
        "layers": randint(1, 4),
        "opt": choice(["sgd", "adam"]),
        "epochs": 3,
    }
    backend = PythonBackend(launcher_function(TYPED_TRAIN), config_space, pass_args_as_json=as_json)
    backend.set_path(tmp_path)
    assert (tmp_path / "tune_function" / "tune_function.dill").exists()
    assert (tmp_path / "tune_function" / "configspace.json").exists()

    backend.start_trial({"lr": 0.5, "layers": 2, "opt": "adam", "epochs": 3})
    results = run_to_end(backend, [0])

    assert backend.status[0] == TrialStatus.COMPLETED, backend.errors.get(0)
    assert [r["epoch"] for _, r in results] == [1, 2, 3]
    assert [r["loss"] for _, r in results] == pytest.approx([1.0, 0.5, 1.0 / 3])
    assert (tmp_path / "0" / "std.out").exists()


def test_python_backend_without_config_space_parses_literals(tmp_path):
    train = launcher_function(
        """
        def train(**config):
            from synetune_sdk import Reporter
            expected = {"n": 3, "x": 0.5, "flag": True, "name": "adam", "sizes": [1, 2]}
            for key, value in expected.items():
                assert config[key] == value and type(config[key]) is type(value), (key, config)
            assert "st_checkpoint_dir" in config  # **kwargs receives the checkpoint folder
            Reporter()(epoch=1)
        """
    )
    backend = PythonBackend(train)
    backend.set_path(tmp_path)
    backend.start_trial({"n": 3, "x": 0.5, "flag": True, "name": "adam", "sizes": [1, 2]})
    run_to_end(backend, [0])
    assert backend.status[0] == TrialStatus.COMPLETED, backend.errors.get(0)


def test_python_backend_function_raising_fails_the_trial(tmp_path):
    train = launcher_function(
        """
        def train(lr):
            raise ValueError(f"lr={lr} diverged")
        """
    )
    backend = PythonBackend(train, {"lr": loguniform(1e-3, 1.0)})
    backend.set_path(tmp_path)
    backend.start_trial({"lr": 0.5})
    run_to_end(backend, [0])
    assert backend.status[0] == TrialStatus.FAILED
    assert "ValueError: lr=0.5 diverged" in backend.errors[0]
    assert "synetune_plugin_local.function_runner" in backend.errors[0]


def test_python_backend_pickles_with_its_function(tmp_path):
    import dill

    train = launcher_function(
        """
        def train(epochs):
            from synetune_sdk import Reporter
            for epoch in range(1, epochs + 1):
                Reporter()(epoch=epoch)
        """
    )
    backend = PythonBackend(train, {"epochs": 2})
    backend.set_path(tmp_path)
    backend.start_trial({"epochs": 2})
    run_to_end(backend, [0])

    restored = dill.loads(dill.dumps(backend))
    assert restored.status == {0: TrialStatus.COMPLETED}
    restored.start_trial({"epochs": 3})
    assert [r["epoch"] for _, r in run_to_end(restored, [1])] == [1, 2, 3]


def test_function_runner_argument_parsing():
    assert parse_arguments(["--a", "-1", "--b=x y", "--c", "--d"]) == {
        "a": "-1",
        "b": "x y",
        "c": "--d",
    }
    assert parse_value("3") == 3 and parse_value("true") is True and parse_value("abc") == "abc"
    assert parse_value("2.0", randint(1, 4), True) == 2
    assert (
        parse_value("7", "7", True) == "7"
    )  # a string constant of the config space stays a string


def test_python_backend_rejects_non_callables():
    with pytest.raises(TypeError, match="tune_function"):
        PythonBackend("train.py")


def test_the_entry_point_is_the_tuned_functions_name(tmp_path):
    """metadata.json, ``synetune experiments show`` and the default tuner name show the function,
    not the runner script every trial runs."""
    import functools

    from click.testing import CliRunner

    from synetune import StoppingCriterion, Tuner, load_experiment
    from synetune.plugin_api import cli
    from synetune_sdk.testing import RandomScheduler

    train = launcher_function(
        """
        def train_mlp(x):
            from synetune_sdk import Reporter
            Reporter()(epoch=1, loss=x)
        """,
        name="train_mlp",
    )
    backend = PythonBackend(train)
    assert backend.entrypoint_path() == Path("train_mlp")
    assert PythonBackend(functools.partial(train, x=1)).entrypoint_path() == Path("partial")
    tuner = Tuner(
        trial_backend=backend,
        scheduler=RandomScheduler({"x": uniform(0.0, 1.0)}, metric="loss", seed=0),
        stop_criterion=StoppingCriterion(max_num_trials_started=1),
        n_workers=1,
        verbose="quiet",
    )
    assert tuner.name.startswith("train-mlp-")
    tuner.run()
    exp = load_experiment(tuner.name)
    assert exp.metadata["entrypoint"] == "train_mlp" and exp.entrypoint_name() == "train_mlp"
    out = CliRunner().invoke(cli(), ["experiments", "show", tuner.name])
    assert out.exit_code == 0, out.output
    assert "entrypoint: train_mlp\n" in out.output and "function_runner" not in out.output
