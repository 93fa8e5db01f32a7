"""The ``syne_tune`` surface: what maps onto synetune, what raises ``NotInSynetuneError``, the
cheap training-script side, the refusal to share the package with a real syne-tune."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from syne_tune._missing import NotInSynetuneError

import synetune
import synetune_sdk.config_space as sdk_config_space

EXAMPLES = Path(__file__).parent / "examples"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


# ------------------------------------------------------------------------ training-script side
def test_training_script_side_imports_only_the_sdk():
    out = run_python(
        "import json, sys\n"
        "from syne_tune import Reporter\n"
        "import syne_tune.report, syne_tune.constants, syne_tune.utils\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    assert out.returncode == 0, out.stderr
    modules = json.loads(out.stdout)
    heavy = [
        m
        for m in modules
        if m.split(".")[0] in ("numpy", "pandas", "synetune", "dill", "pluggy")
        or m.startswith("synetune_plugin")
        or m == "importlib.metadata"
    ]
    assert heavy == []


def test_reporter_prints_the_wire_protocol(capsys):
    from syne_tune import Reporter
    from syne_tune.report import Reporter as ReportReporter

    from synetune_sdk import Reporter as SdkReporter

    assert Reporter is ReportReporter is SdkReporter
    Reporter()(epoch=1, loss=0.5)
    line = capsys.readouterr().out
    assert line.startswith("[tune-metric]: ") and '"loss": 0.5' in line


def test_utils_are_the_sdk_helpers():
    from syne_tune import utils

    import synetune_sdk.checkpoint as checkpoint

    for name in (
        "add_checkpointing_to_argparse",
        "resume_from_checkpointed_model",
        "checkpoint_model_at_rung_level",
        "pytorch_load_save_functions",
        "add_config_json_to_argparse",
        "load_config_json",
    ):
        assert getattr(utils, name) is getattr(checkpoint, name)
    assert utils.parse_bool("True") is True and utils.parse_bool("0") is False
    with pytest.raises(ValueError):
        utils.parse_bool("maybe")


# ---------------------------------------------------------------------------------- launchers
def test_top_level_names():
    import syne_tune

    assert syne_tune.Tuner is synetune.Tuner
    assert syne_tune.StoppingCriterion is synetune.StoppingCriterion
    assert syne_tune.__version__ == "0.13.0"
    from syne_tune.stopping_criterion import StoppingCriterion
    from syne_tune.tuner import Tuner

    assert Tuner is synetune.Tuner and StoppingCriterion is synetune.StoppingCriterion


def test_config_space_is_the_sdks():
    import syne_tune.config_space as cs

    for name in sdk_config_space.__all__:
        assert getattr(cs, name) is getattr(sdk_config_space, name), name
    assert cs.cast_config_values is sdk_config_space.cast_config
    assert cs.non_constant_hyperparameter_keys is sdk_config_space.hyperparameter_keys
    space = {"lr": cs.loguniform(1e-4, 1e-1), "n": cs.randint(1, 3), "epochs": 5}
    assert cs.config_space_from_json_dict(cs.config_space_to_json_dict(space)) == space
    assert cs.non_constant_hyperparameter_keys(space) == ["lr", "n"]


@pytest.mark.parametrize(
    "name", ["quniform", "qloguniform", "qrandint", "qlograndint", "reverseloguniform"]
)
def test_sdk_domains_are_reexported_or_refused_clearly(name, monkeypatch):
    import syne_tune.config_space as cs

    if hasattr(sdk_config_space, name):
        assert getattr(cs, name) is getattr(sdk_config_space, name)
        monkeypatch.delattr(sdk_config_space, name)
        monkeypatch.delitem(vars(cs), name, raising=False)
    with pytest.raises(NotInSynetuneError, match=f"{name}.*upgrade it"):
        getattr(cs, name)


def syne_tune_classes() -> dict[str, type]:
    """Every stand-in class of the compat package, by the synetune name it builds."""
    from syne_tune._facade import Component

    modules = [
        "syne_tune.optimizer.baselines",
        "syne_tune.optimizer.schedulers",
        "syne_tune.optimizer.schedulers.synchronous",
        "syne_tune.optimizer.schedulers.multiobjective",
        "syne_tune.optimizer.schedulers.transfer_learning",
    ]
    found = {}
    for module in modules:
        for value in vars(importlib.import_module(module)).values():
            if isinstance(value, type) and issubclass(value, Component) and value.registered:
                found.setdefault(value.registered, value)
    return found


# synetune schedulers that Syne Tune 0.13 has no class for (so no compat class can carry one of
# its names): TPE (Syne Tune's tree-structured Parzen estimator is KDE, mapped to ``kde``) and the
# quantile-based CTS searcher under FIFO (Syne Tune only has it as a searcher object).
SYNETUNE_ONLY = {"tpe", "quantile_based"}


def test_every_synetune_scheduler_has_its_syne_tune_class():
    entries = [synetune.schedulers.entry(name) for name in synetune.schedulers.names()]
    first_party = {e.name for e in entries if str(e.target).startswith("synetune_plugin_")}
    assert sorted(set(first_party) - set(syne_tune_classes()) - SYNETUNE_ONLY) == []
    # the exemptions stay honest: registered, and without a compat class
    assert SYNETUNE_ONLY <= first_party and not SYNETUNE_ONLY & set(syne_tune_classes())


@pytest.mark.parametrize(
    "name, parameters",
    [
        ("RandomSearch", ["config_space", "metric", "kwargs"]),
        ("GridSearch", ["config_space", "metric", "kwargs"]),
        ("BayesianOptimization", ["config_space", "metric", "kwargs"]),
        (
            "ConstrainedBayesianOptimization",
            ["config_space", "metric", "constraint_attr", "kwargs"],
        ),
        ("BoTorch", ["config_space", "metric", "random_seed", "kwargs"]),
        ("ASHA", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("MOBSTER", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("HyperTune", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("PASHA", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("SyncHyperband", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("SyncMOBSTER", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("DEHB", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("PopulationBasedTraining", ["config_space", "custom_explore_fn", "kwargs"]),
        # the baselines of the newer plugins, copied from Syne Tune 0.13.0
        ("KDE", ["config_space", "metric", "kwargs"]),
        ("BOHB", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("SyncBOHB", ["config_space", "metric", "resource_attr", "kwargs"]),
        ("BORE", ["config_space", "metric", "random_seed", "kwargs"]),
        ("ASHABORE", ["config_space", "metric", "resource_attr", "random_seed", "kwargs"]),
        ("CQR", ["config_space", "metric", "mode", "random_seed", "kwargs"]),
        (
            "ASHACQR",
            ["config_space", "metric", "resource_attr", "mode", "random_seed", "kwargs"],
        ),
        (
            "REA",
            ["config_space", "metric", "population_size", "sample_size", "random_seed", "kwargs"],
        ),
        ("DyHPO", ["config_space", "metric", "resource_attr", "probability_sh", "kwargs"]),
        (
            "MOASHA",
            [
                "config_space",
                "metrics",
                "mode",
                "time_attr",
                "multiobjective_priority",
                "max_t",
                "grace_period",
                "reduction_factor",
                "brackets",
            ],
        ),
        ("NSGA2", ["config_space", "metric", "mode", "population_size", "random_seed", "kwargs"]),
        (
            "MOREA",
            [
                "config_space",
                "metric",
                "mode",
                "population_size",
                "sample_size",
                "random_seed",
                "kwargs",
            ],
        ),
        (
            "MORandomScalarizationBayesOpt",
            ["config_space", "metric", "mode", "random_seed", "estimators", "kwargs"],
        ),
        (
            "MOLinearScalarizationBayesOpt",
            ["config_space", "metric", "scalarization_weights", "kwargs"],
        ),
        (
            "ZeroShotTransfer",
            [
                "config_space",
                "transfer_learning_evaluations",
                "metric",
                "mode",
                "sort_transfer_learning_evaluations",
                "use_surrogates",
                "random_seed",
                "kwargs",
            ],
        ),
        (
            "ASHACTS",
            [
                "config_space",
                "metric",
                "resource_attr",
                "transfer_learning_evaluations",
                "mode",
                "random_seed",
                "kwargs",
            ],
        ),
    ],
)
def test_baselines_have_syne_tunes_signatures(name, parameters):
    from syne_tune.optimizer import baselines

    assert list(inspect.signature(getattr(baselines, name)).parameters) == parameters


def test_baselines_build_synetune_schedulers_with_syne_tunes_arguments():
    from syne_tune.config_space import randint
    from syne_tune.optimizer.baselines import (
        ASHA,
        DEHB,
        PASHA,
        ConstrainedBayesianOptimization,
        GridSearch,
        HyperTune,
        SyncHyperband,
        SyncMOBSTER,
    )
    from syne_tune.optimizer.schedulers import (
        FIFOScheduler,
        HyperbandScheduler,
        MedianStoppingRule,
    )
    from syne_tune.optimizer.schedulers.synchronous import (
        GeometricDifferentialEvolutionHyperbandScheduler,
        SynchronousGeometricHyperbandScheduler,
    )

    space = {"epochs": 9, "x": randint(0, 10)}
    common = dict(metric="loss", mode="max", random_seed=3)
    multi_fidelity = dict(common, resource_attr="epoch", max_resource_attr="epochs")
    asha = ASHA(space, type="promotion", **multi_fidelity)
    assert isinstance(asha, ASHA) and isinstance(asha, HyperbandScheduler)
    assert asha.metric_mode() == "max" and not isinstance(asha, PASHA)
    for cls in (PASHA, HyperTune):
        assert isinstance(cls(space, **multi_fidelity), HyperbandScheduler)
    for cls in (SyncHyperband, SyncMOBSTER):
        assert isinstance(cls(space, **multi_fidelity), SynchronousGeometricHyperbandScheduler)
    dehb = DEHB(space, **multi_fidelity)
    assert isinstance(dehb, GeometricDifferentialEvolutionHyperbandScheduler)
    grid = GridSearch(space, search_options={"num_samples": 2}, **common)
    assert isinstance(grid, GridSearch) and isinstance(grid, FIFOScheduler)
    constrained = ConstrainedBayesianOptimization(space, constraint_attr="c", **common)
    assert isinstance(constrained, FIFOScheduler)
    median = MedianStoppingRule(grid, resource_attr="epoch", grace_population=2)
    assert isinstance(median, MedianStoppingRule) and median.metric_names() == ["loss"]
    with pytest.raises(ValueError, match="ASHA must have searcher='random'"):
        ASHA(space, searcher="bayesopt", **multi_fidelity)
    assert isinstance(ASHA(space, searcher="random", **multi_fidelity), ASHA)


def test_new_baselines_build_synetune_schedulers_with_syne_tunes_arguments():
    from syne_tune.config_space import randint, uniform
    from syne_tune.optimizer import baselines as b
    from syne_tune.optimizer.schedulers import FIFOScheduler, HyperbandScheduler
    from syne_tune.optimizer.schedulers.multiobjective import MOASHA
    from syne_tune.optimizer.schedulers.synchronous import SynchronousGeometricHyperbandScheduler

    space = {"epochs": 9, "x": randint(0, 10), "y": uniform(0, 1)}
    single = dict(metric="loss", mode="max", random_seed=3)
    multi_fidelity = dict(single, resource_attr="epoch", max_resource_attr="epochs")
    for cls in (b.KDE, b.BORE, b.CQR):
        scheduler = cls(space, **single)
        assert isinstance(scheduler, FIFOScheduler) and scheduler.metric_mode() == "max"
    for cls in (b.BOHB, b.ASHABORE, b.ASHACQR):
        assert isinstance(cls(space, **multi_fidelity), HyperbandScheduler), cls
    assert isinstance(b.SyncBOHB(space, **multi_fidelity), SynchronousGeometricHyperbandScheduler)
    assert isinstance(b.DyHPO(space, probability_sh=0.5, **multi_fidelity), b.DyHPO)
    # same seed, same suggestions: Syne Tune's arguments reach the searcher
    configs = [
        [b.REA(space, population_size=2, sample_size=1, **single).suggest(i) for i in range(3)]
        for _ in range(2)
    ]
    assert [s.config for s in configs[0]] == [s.config for s in configs[1]]
    with pytest.raises(ValueError, match="searcher"):
        b.BOHB(space, searcher="random", **multi_fidelity)

    moasha = b.MOASHA(space, metrics=["a", "b"], mode=["min", "max"], time_attr="epoch", max_t=9)
    assert isinstance(moasha, MOASHA) and MOASHA is b.MOASHA
    assert moasha.metric_names() == ["a", "b"]
    with pytest.raises(TypeError):
        b.MOASHA(space, metrics=["a", "b"], random_seed=1)  # not Syne Tune's argument
    for cls in (b.NSGA2, b.MOREA, b.MORandomScalarizationBayesOpt):
        scheduler = cls(space, metric=["a", "b"], mode=["min", "max"], random_seed=1)
        assert scheduler.metric_names() == ["a", "b"], cls
    linear = b.MOLinearScalarizationBayesOpt(
        space, metric=["a", "b"], scalarization_weights=[0.2, 0.8], random_seed=1
    )
    assert isinstance(linear, b.MOLinearScalarizationBayesOpt)
    with pytest.raises(NotInSynetuneError, match="estimators"):
        b.MORandomScalarizationBayesOpt(space, metric=["a", "b"], estimators={"a": object()})


def earlier_tasks(space: dict, best: list[float]) -> dict:
    """Two earlier tasks on ``x``: loss ``(x - best)**2`` at 11 points."""
    import numpy as np
    import pandas as pd
    from syne_tune.optimizer.schedulers.transfer_learning import TransferLearningTaskEvaluations

    xs = np.linspace(0, 10, 11)
    return {
        f"task{i}": TransferLearningTaskEvaluations(
            configuration_space=space,
            hyperparameters=pd.DataFrame({"x": xs}),
            objectives_names=["loss"],
            objectives_evaluations=((xs - x0) ** 2).reshape(-1, 1, 1, 1),
        )
        for i, x0 in enumerate(best)
    }


def test_transfer_baselines_use_earlier_tasks():
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import ASHACTS, RandomSearch, ZeroShotTransfer
    from syne_tune.optimizer.schedulers.transfer_learning import BoundingBox, RUSHScheduler

    space = {"epochs": 3, "x": uniform(0, 10)}
    tasks = earlier_tasks(space, best=[2.0, 4.0])
    zero_shot = ZeroShotTransfer(space, tasks, metric="loss", mode="min", random_seed=1)
    # zero-shot: the best average rank over the earlier tasks (x=3 is second on both) first
    assert zero_shot.suggest(0).config["x"] == 3.0
    box = BoundingBox(
        lambda cs, mode, metric: RandomSearch(cs, metric=metric, mode=mode, random_seed=1),
        space,
        "loss",
        tasks,
        mode="min",
    )
    assert isinstance(box, BoundingBox)
    assert all(2.0 <= box.suggest(i).config["x"] <= 4.0 for i in range(5))
    cts = ASHACTS(space, "loss", "epoch", tasks, max_resource_attr="epochs", random_seed=1)
    assert 0 <= cts.suggest(0).config["x"] <= 10
    rush = RUSHScheduler(space, tasks, "loss", resource_attr="epoch", max_resource_attr="epochs")
    assert rush.suggest(0).config["x"] in (2.0, 4.0)  # RUSH runs the earlier best first


def test_backends_map_syne_tunes_arguments(tmp_path, monkeypatch):
    from syne_tune.backend import LocalBackend, PythonBackend, SageMakerBackend

    script = EXAMPLES / "train_height.py"
    local = LocalBackend(entry_point=str(script), gpus_to_use=[1, 2], delete_checkpoints=True)
    assert isinstance(local, LocalBackend) and local.gpus == ["1", "2"]
    assert isinstance(PythonBackend(tune_function=print, config_space={}), PythonBackend)

    # SageMaker: script, folder, role and image from the estimator; no AWS call at construction
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    estimator = SimpleNamespace(
        entry_point=script.name,
        source_dir=str(script.parent),
        role="arn:aws:iam::123456789012:role/SageMakerRole",
        image_uri="image:1",
        instance_type="ml.c5.xlarge",
        instance_count=1,
        dependencies=[],
    )
    backend = SageMakerBackend(sm_estimator=estimator, metrics_names=["mean_loss"])
    assert isinstance(backend, SageMakerBackend)
    assert backend.entry_point == str(script) and backend.instance_type == "ml.c5.xlarge"
    assert backend.metrics_names == ["mean_loss"]


def test_tensorboard_callback():
    from syne_tune.callbacks import TensorboardCallback

    callback = TensorboardCallback(target_metric="loss", mode="min")
    assert isinstance(callback, TensorboardCallback)


def test_simulator_callback_is_a_no_op():
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback

    from synetune_sdk import Callback

    callback = SimulatorCallback()
    assert isinstance(callback, Callback)
    assert "needs no callback" in SimulatorCallback.__doc__
    with pytest.raises(ValueError, match="Tuner\\(extra_results_composer"):
        SimulatorCallback(extra_results_composer=lambda tuner: {})


def test_blackbox_backend_arguments():
    from syne_tune.blackbox_repository import blackbox_list, load_blackbox
    from syne_tune.blackbox_repository.simulated_tabular_backend import _simulator

    assert _simulator("KNeighborsRegressor", None, None, {})["surrogate"] == "knn"
    assert _simulator("random_forest", None, None, {})["surrogate"] == "random_forest"
    ignored = {"simulator_config": object(), "tuner_sleep_time": 5.0, "seed_extra": 1}
    assert _simulator(None, None, None, ignored) == {"surrogate": None, "seed_extra": 1}
    with pytest.raises(NotInSynetuneError, match="KNeighborsRegressor"):
        _simulator("XGBRegressor", None, None, {})
    with pytest.raises(NotInSynetuneError, match="surrogate_kwargs"):
        _simulator(None, {"predict_curves": True}, None, {})
    assert "branin-lc" in blackbox_list()
    blackbox = load_blackbox("branin", skip_if_present=True, ignore_hash=True)
    assert blackbox.objectives_names[0] == "y"


def test_ask_tell_scheduler_has_syne_tunes_semantics():
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import RandomSearch
    from syne_tune.optimizer.schedulers.ask_tell_scheduler import AskTellScheduler

    scheduler = RandomSearch({"x": uniform(0, 1)}, metric="y", mode="max", random_seed=1)
    ask_tell = AskTellScheduler(base_scheduler=scheduler)
    assert ask_tell.base_scheduler is scheduler and ask_tell.bscheduler is scheduler
    values = {}
    for _ in range(5):
        trial = ask_tell.ask()
        values[trial.trial_id] = trial.config["x"]
        ask_tell.tell(trial, {"y": trial.config["x"]})
    best = ask_tell.best_trial("y")
    assert best.metrics["y"] == max(values.values()) and best.trial_id == max(
        values, key=values.get
    )


# ------------------------------------------------------------------------------ missing names
@pytest.mark.parametrize(
    "module, name, equivalent",
    [
        ("syne_tune.optimizer.baselines", "SMAC", "BayesianOptimization"),
        ("syne_tune.optimizer.baselines", "baselines_dict", "synetune.schedulers.names()"),
        (
            "syne_tune.optimizer.schedulers",
            "LinearScalarizedScheduler",
            "MOLinearScalarizationBayesOpt",
        ),
        ("syne_tune.optimizer.schedulers", "MOASHA", "syne_tune.optimizer.baselines.MOASHA"),
        ("syne_tune.optimizer.schedulers", "BoundingBox", "transfer_learning.BoundingBox"),
        ("syne_tune.optimizer.schedulers.multiobjective", "NSGA2Searcher", "baselines.NSGA2"),
        (
            "syne_tune.optimizer.schedulers.multiobjective",
            "LinearScalarizedScheduler",
            "base_scheduler='asha'",
        ),
        ("syne_tune.optimizer.schedulers.transfer_learning", "TransferLearningMixin", "sdk"),
        ("syne_tune.optimizer.scheduler", "TrialScheduler", "synetune_sdk.Scheduler"),
        ("syne_tune.backend", "TrialBackend", "synetune_sdk.TrialBackend"),
        ("syne_tune.blackbox_repository", "add_surrogate", "synetune_plugin_blackbox_repository"),
        ("syne_tune.experiments", "ComparativeResults", "compare_experiments"),
        ("syne_tune.utils", "streamline_config_space", "config space"),
        ("syne_tune.stopping_criterion", "PlateauStopper", "StoppingCriterion"),
        ("syne_tune.callbacks", "StoreResultsCallback", "always records results"),
        ("syne_tune.backend.simulator_backend.simulator_backend", "SimulatorConfig", "latency"),
    ],
)
def test_missing_syne_tune_names_say_so_and_name_the_equivalent(module, name, equivalent):
    with pytest.raises(NotInSynetuneError) as info:
        exec(f"from {module} import {name}", {})
    message = str(info.value)
    assert f"{module}.{name} is Syne Tune's and not in synetune" in message
    assert equivalent in message
    assert isinstance(info.value, ImportError)


@pytest.mark.parametrize(
    "statement, equivalent",
    [
        ("import syne_tune.optimizer.schedulers.searchers", "searcher='random'"),
        ("from syne_tune.optimizer.schedulers.searchers.bayesopt import x", "search_options"),
        (
            "from syne_tune.optimizer.schedulers.multiobjective.multiobjective_priority import x",
            "MOASHA(multiobjective_priority=",
        ),
        (
            "import syne_tune.optimizer.schedulers.transfer_learning.quantile_based",
            "ZeroShotTransfer or ASHACTS",
        ),
        ("from syne_tune.backend.python_backend import PythonBackend", "backend.PythonBackend"),
        ("from syne_tune.remote.remote_launcher import RemoteLauncher", "RemoteLauncher"),
        ("import syne_tune.experiments.visualization", "compare_experiments"),
    ],
)
def test_missing_syne_tune_modules_say_so_and_name_the_equivalent(statement, equivalent):
    with pytest.raises(NotInSynetuneError, match="is Syne Tune's and not in synetune") as info:
        exec(statement, {})
    assert equivalent in str(info.value)


def test_unknown_modules_are_left_to_the_import_system():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("syne_tune.no_such_module")
    assert importlib.util.find_spec("syne_tune.backend.no_such_module") is None


@pytest.mark.parametrize(
    "module, name, closest",
    [
        ("syne_tune.optimizer.baselines", "Asha", "ASHA"),
        ("syne_tune.optimizer.baselines", "RandomSearcher", "RandomSearch"),
        ("syne_tune.optimizer.schedulers", "FifoScheduler", "FIFOScheduler"),
        ("syne_tune", "Tunr", "Tuner"),
        ("syne_tune.backend", "LocalBackEnd", "LocalBackend"),
    ],
)
def test_unknown_names_get_the_closest_match(module, name, closest):
    with pytest.raises(NotInSynetuneError, match=f"Closest: {closest}"):
        getattr(importlib.import_module(module), name)


def test_private_names_and_submodules_behave_as_usual():
    import syne_tune.optimizer.baselines as baselines
    from syne_tune import backend

    assert not hasattr(baselines, "__path__") and not hasattr(baselines, "_nothing")
    assert backend.trial_status.Status.completed == "Completed"  # submodule via __getattr__
    from syne_tune.optimizer.legacy_baselines import ASHA

    assert ASHA is baselines.ASHA


# --------------------------------------------------------------------------- a real syne-tune
def fake_distribution(folder: Path, dirname: str, name: str = "syne-tune") -> None:
    info = folder / dirname
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.13.0\n")


def test_refuses_to_share_the_package_with_a_real_syne_tune(tmp_path):
    fake_distribution(tmp_path, "syne_tune-0.13.0.dist-info")
    out = run_python("import syne_tune", PYTHONPATH=str(tmp_path))
    assert out.returncode != 0
    assert "ImportError: both syne-tune 0.13.0 (Syne Tune itself) and synetune-compat" in out.stderr
    assert "pip uninstall -y syne-tune synetune-compat" in out.stderr


def test_other_distributions_are_not_mistaken_for_syne_tune(tmp_path):
    fake_distribution(tmp_path, "syne_tune_extras-1.0.dist-info", name="syne-tune-extras")
    out = run_python("import syne_tune", PYTHONPATH=str(tmp_path))
    assert out.returncode == 0, out.stderr


# ------------------------------------------------------------------------------- boundaries
ALLOWED_SYNETUNE = {"synetune", "synetune.config_space", "synetune.plugin_api"}


def test_compat_imports_only_the_public_synetune_api():
    """What import-linter would check: syne_tune imports synetune, synetune.config_space,
    synetune.plugin_api and synetune_sdk, never a plugin or a private kernel module."""
    import ast

    source = Path(__file__).parents[1] / "src" / "syne_tune"
    files = sorted(source.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                base = node.module or ""
                modules = [base] + [f"{base}.{alias.name}" for alias in node.names]
                if base == "synetune":  # `from synetune import Tuner` is the user API
                    modules = [base] + [f"{base}.{a.name}" for a in node.names if a.name.islower()]
            else:
                continue
            for module in modules:
                root = module.split(".")[0]
                assert not root.startswith("synetune_plugin"), f"{path.name}: {module}"
                if root == "synetune":
                    assert module in ALLOWED_SYNETUNE, f"{path.name} imports {module}"
