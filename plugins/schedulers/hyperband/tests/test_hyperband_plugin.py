"""The plugin as users meet it: registered names, baselines, the conformance kit, a Tuner run."""

from __future__ import annotations

import collections
import subprocess
import sys

import pytest
from synetune_plugin_hyperband.baselines import ASHA, PASHA
from synetune_plugin_hyperband.dehb import GeometricDifferentialEvolutionHyperbandScheduler
from synetune_plugin_hyperband.scheduler import HyperbandScheduler
from synetune_plugin_hyperband.synchronous import SynchronousGeometricHyperbandScheduler

import synetune
from synetune_sdk.config_space import randint, uniform
from synetune_sdk.testing import SchedulerContract

NAMES = {
    "hyperband": HyperbandScheduler,
    "asha": ASHA,
    "pasha": PASHA,
    "sync_hyperband": SynchronousGeometricHyperbandScheduler,
    "dehb": GeometricDifferentialEvolutionHyperbandScheduler,
}


def test_names_are_registered_with_summaries():
    names = synetune.schedulers.names()
    summaries = synetune.schedulers.summaries()
    for name, cls in NAMES.items():
        assert name in names
        assert synetune.schedulers.get(name) is cls
        assert summaries[name]


def test_create_by_name_with_the_random_searcher():
    space = {"x": uniform(0, 1), "epochs": 9}
    asha = synetune.schedulers.create(
        "asha",
        config_space=space,
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=1,
    )
    assert isinstance(asha, ASHA) and asha.type == "stopping" and asha.searcher_name == "random"
    first = asha.suggest(0)
    assert first.config == {"x": 0.5, "epochs": 9}  # points_to_evaluate=None: the midpoint first
    meta = asha.metadata()
    assert (
        meta["scheduler_name"] == "ASHA"
        and meta["rung_levels"] == [1, 3]
        and meta["random_seed"] == 1
    )


def test_baselines_fix_their_type():
    space = {"x": uniform(0, 1), "epochs": 9}
    assert ASHA(space, "loss", "epoch", type="promotion").type == "promotion"
    assert PASHA(space, "loss", "epoch").type == "pasha"
    with pytest.raises(ValueError, match="PASHA"):
        ASHA(space, "loss", "epoch", type="pasha")
    with pytest.raises(TypeError, match="type"):
        PASHA(space, "loss", "epoch", type="promotion")
    with pytest.raises(TypeError):
        ASHA(space, "loss")  # resource_attr is required, as in Syne Tune


def test_search_options_reach_the_searcher_and_clashes_are_refused():
    space = {"x": uniform(0, 1), "epochs": 9}
    hb = HyperbandScheduler(space, "loss", search_options={"allow_duplicates": True}, random_seed=0)
    assert hb.searcher.allow_duplicates is True
    with pytest.raises(ValueError, match="search_options"):
        HyperbandScheduler(space, "loss", search_options={"mode": "max"})


def test_plugin_import_stays_cheap():
    code = "import sys, synetune_plugin_hyperband; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the conformance kit ----------------------------------------------------------------------
class TestASHAStoppingContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return ASHA(
            config_space,
            metric,
            "epoch",
            mode=mode,
            max_resource_attr="epochs",
            random_seed=random_seed,
        )


class TestASHAPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return ASHA(
            config_space,
            metric,
            "epoch",
            mode=mode,
            type="promotion",
            max_resource_attr="epochs",
            random_seed=random_seed,
        )


class TestPASHAContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return PASHA(
            config_space,
            metric,
            "epoch",
            mode=mode,
            max_resource_attr="epochs",
            random_seed=random_seed,
        )


class TestHyperbandBracketsContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return HyperbandScheduler(
            config_space,
            metric,
            mode=mode,
            brackets=3,
            max_resource_attr="epochs",
            random_seed=random_seed,
        )


class TestSyncHyperbandContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return SynchronousGeometricHyperbandScheduler(
            config_space, metric, mode=mode, max_resource_attr="epochs", random_seed=random_seed
        )


class TestDEHBContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return GeometricDifferentialEvolutionHyperbandScheduler(
            config_space, metric, mode=mode, max_resource_attr="epochs", random_seed=random_seed
        )


# -- with the Tuner ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kwargs",
    [("asha", {"type": "promotion"}), ("sync_hyperband", {}), ("dehb", {})],
)
def test_tuner_run_on_the_simulator(tmp_path, monkeypatch, name, kwargs):
    from synetune_plugin_blackbox_repository import from_function

    from synetune import StoppingCriterion, Tuner

    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))

    def evaluate(config, epoch, seed):
        x = config["x"]
        return {"loss": (x - 0.3) ** 2 + 1.0 / epoch, "time": epoch * (1.0 + 10.0 * x)}

    blackbox = from_function(
        {"x": uniform(0.0, 1.0)}, evaluate, {"epoch": randint(1, 9)}, ["loss", "time"]
    )
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    scheduler = synetune.schedulers.create(
        name,
        config_space=space,
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=3,
        **kwargs,
    )
    backend = synetune.backends.create(
        "simulator", blackbox=blackbox, elapsed_time_attr="time", max_resource_attr="epochs"
    )
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_wallclock_time=400),
        n_workers=4,
        sleep_time=0.0,
        tuner_name=f"hb-{name.replace('_', '-')}",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    statuses = collections.Counter(tuner.tuning_status.trial_status.values())
    assert statuses["Completed"] >= 1  # some trial was promoted all the way to max_t
    assert statuses["Paused"] >= 1 and statuses["Failed"] == 0
    best = tuner.best_result()
    assert best is not None and best[2] < 1.0 / 9 + 0.05
