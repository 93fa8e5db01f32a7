"""The BoTorch searcher: conformance kit, a few model-based steps, pending points, laziness."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from synetune_plugin_botorch.searcher import BoTorchSearcher

import synetune
from synetune_sdk.config_space import choice, uniform
from synetune_sdk.testing import SchedulerContract, SearcherContract


@pytest.fixture(autouse=True)
def one_torch_thread():
    # Tiny models: threads only add overhead, and on a busy machine a lot of it.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SMALL = {"num_restarts": 2, "raw_samples": 64, "input_warping": False}


class TestBoTorchSearcherContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        # model-based from the 6th suggestion: the kit's runs of 6 and 8 reach the model
        return BoTorchSearcher(
            config_space,
            metric,
            mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            num_init_random=5,
            **SMALL,
        )


class TestBoTorchBaselineContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        # the scheduler-level checks exercise the plumbing; keep the model out of most of them
        return synetune.schedulers.create(
            "botorch",
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            search_options={"num_init_random": 10, **SMALL},
        )


@pytest.mark.parametrize(
    "options",
    [{}, {"input_warping": True, "acquisition": "qlognei"}],
    ids=["logei", "warp-qlognei"],
)
def test_model_based_suggestions_with_pending(options):
    space = {"x": uniform(-5.0, 10.0), "y": uniform(0.0, 15.0), "c": choice(["a", "b"])}
    searcher = BoTorchSearcher(
        space, "loss", random_seed=0, num_init_random=3, num_restarts=2, raw_samples=64, **options
    )
    configs = []
    for trial_id in range(5):
        config = searcher.suggest(trial_id)
        searcher.register_pending(trial_id, config)
        configs.append(config)
        if trial_id < 4:  # the last one stays pending
            loss = (config["x"] - 1) ** 2 + (config["y"] - 2) ** 2 + (config["c"] == "b")
            searcher.on_trial_complete(trial_id, config, {"loss": loss})
    assert configs[0] == {"x": 2.5, "y": 7.5, "c": "a"}  # the midpoint comes first
    config = searcher.suggest(5)  # a model-based suggestion with one pending configuration
    configs.append(config)
    assert len({(c["x"], c["y"], c["c"]) for c in configs}) == len(configs)
    for c in configs:
        assert -5.0 <= c["x"] <= 10.0 and 0.0 <= c["y"] <= 15.0 and c["c"] in ("a", "b")


def test_logei_homes_in_on_a_deterministic_optimum():
    # the low-noise prior lets the model interpolate: 20 evaluations of a smooth 2-d bowl get
    # far closer to its minimum than the random initial points do
    searcher = BoTorchSearcher(
        {"x": uniform(0.0, 1.0), "y": uniform(0.0, 1.0)}, "loss", random_seed=1, **SMALL
    )
    losses = []
    for trial_id in range(20):
        config = searcher.suggest(trial_id)
        loss = (config["x"] - 0.3) ** 2 + (config["y"] - 0.7) ** 2
        losses.append(loss)
        searcher.on_trial_complete(trial_id, config, {"loss": loss})
    assert min(losses[10:]) < 1e-3 < min(losses[:4])


def test_unknown_acquisition_is_refused():
    with pytest.raises(ValueError, match="acquisition='ei' is not supported: use one of"):
        BoTorchSearcher({"x": uniform(0.0, 1.0)}, "loss", acquisition="ei")


def test_nan_results_and_constant_objective():
    searcher = BoTorchSearcher(
        {"x": uniform(0.0, 1.0)},
        "loss",
        random_seed=0,
        num_init_random=2,
        points_to_evaluate=[],
        **SMALL,
    )
    for trial_id, value in enumerate([math.nan, 1.0, 1.0, math.inf, 1.0]):
        config = searcher.suggest(trial_id)
        assert config is not None
        searcher.on_trial_complete(trial_id, config, {"loss": value})
    assert len(searcher._observed) == 3


def test_plugin_import_leaves_torch_alone():
    code = (
        "import sys, synetune_plugin_botorch, synetune;"
        "synetune.searchers.names();"
        "assert 'torch' not in sys.modules and 'botorch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_init_random"):
        BoTorchSearcher({"x": uniform(0, 1)}, "loss", num_init_random=-1)
    with pytest.warns(UserWarning, match="num_restart"):
        BoTorchSearcher({"x": uniform(0, 1)}, "loss", num_restart=2)
