"""DyHPO: conformance, the model, the decisions, reproducibility, and an end-to-end run on the
digits-mlp table with the simulator backend."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from synetune_plugin_dyhpo.searcher import DyHPOSearcher
from synetune_plugin_hyperband.rung_types import Choice, PausedTrial

import synetune
from synetune_sdk.config_space import choice, randint, uniform
from synetune_sdk.testing import (
    SchedulerContract,
    SearcherContract,
    Workload,
    contract_config_space,
)

# small and quick settings for the tests
FAST = {"num_fit_steps_initial": 30, "num_fit_steps": 5, "num_init_candidates": 20}


def make_dyhpo(config_space, metric="loss", mode="min", random_seed=0, **kwargs):
    kwargs.setdefault("search_options", dict(FAST))
    return synetune.schedulers.create(
        "dyhpo",
        config_space=config_space,
        metric=metric,
        mode=mode,
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=random_seed,
        **kwargs,
    )


class TestDyHPOContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return make_dyhpo(config_space, metric, mode, random_seed)


class TestDyHPOSearcherContract(SearcherContract):
    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        scheduler = make_dyhpo(
            config_space, metric, mode, random_seed, points_to_evaluate=points_to_evaluate
        )
        return scheduler.searcher


SPACE = {"x": uniform(0.0, 1.0), "k": randint(1, 8), "c": choice(["a", "b"]), "epochs": 9}


def curve(config, epoch):
    """Learning curves whose final value is best near x = 0.3, k = 2, c = "a"."""
    final = (config["x"] - 0.3) ** 2 + 0.05 * abs(config["k"] - 2) + 0.1 * (config["c"] == "b")
    return final + 1.0 / epoch


def test_registered_and_type_dyhpo_resolves_through_hyperband():
    scheduler = make_dyhpo(SPACE)
    assert isinstance(scheduler.searcher, DyHPOSearcher)
    assert scheduler.rung_levels == [1, 3, 5, 7]  # rung_increment=2, as Syne Tune's DyHPO
    assert scheduler.rung_system_kwargs["probability_sh"] == 0.25
    plain = synetune.schedulers.create(
        "hyperband",
        config_space=SPACE,
        metric="loss",
        max_resource_attr="epochs",
        type="dyhpo",
        rung_increment=1,
        search_options=dict(FAST),
    )
    assert plain.searcher_name == "dyhpo" and plain.does_pause_resume()
    assert synetune.schedulers.create("DyHPO", config_space=SPACE, metric="loss",
                                      resource_attr="epoch", probability_sh=0.5
                                      ).rung_system_kwargs["probability_sh"] == 0.5  # fmt: skip


def test_searcher_needs_type_dyhpo():
    with pytest.raises(ValueError, match="type='dyhpo'"):
        synetune.schedulers.create(
            "hyperband", config_space=SPACE, metric="loss", type="promotion", searcher="dyhpo"
        )
    with pytest.raises(ValueError, match="DyHPO's type"):
        make_dyhpo(SPACE, type="promotion")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"num_init_random": -1}, "num_init_random"),
        ({"opt_skip_period": 0}, "opt_skip_period"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"max_size_data_for_model": 1}, "max_size_data_for_model"),
        ({"max_size_data_for_fit": 0}, "max_size_data_for_fit"),
    ],
)
def test_bad_options_are_named(options, match):
    with pytest.raises(ValueError, match=match):
        make_dyhpo(SPACE, search_options={**FAST, **options})


def feed(searcher, n_trials, seed=0):
    """Trials with curves at the rung levels up to a random depth; returns them as paused."""
    rng = np.random.default_rng(seed)
    levels = [1, 3, 5, 7]
    paused = []
    for trial_id in range(n_trials):
        config = {k: d.sample(random_state=rng) for k, d in SPACE.items() if k != "epochs"}
        config["epochs"] = 9
        depth = int(rng.integers(1, 4))
        for level in levels[:depth]:
            result = {"loss": curve(config, level), "epoch": level}
            searcher.on_trial_result(trial_id, config, result, update=True)
        paused.append(
            PausedTrial(trial_id, config, levels[depth - 1], levels[depth], curve(config, 1))
        )
    return paused


def test_the_model_learns_the_curves():
    searcher = make_dyhpo(SPACE, search_options={"num_fit_steps_initial": 300}).searcher
    feed(searcher, 40)
    data, shift, scale = searcher._training_data()
    from synetune_plugin_dyhpo import model

    net = model.make_model(searcher.encoder.dim, len(searcher.levels), 0)
    assert model.fit(net, data, 300, 0.01)
    rng = np.random.default_rng(7)
    queries, truth = [], []
    for _ in range(30):
        config = {k: d.sample(random_state=rng) for k, d in SPACE.items() if k != "epochs"}
        queries.append(searcher.encoder.encode(config)[0])
        truth.append((curve(config, 3) - shift) / scale)
    query = {
        "x": np.array(queries),
        "budget": np.full(30, 3 / 9),
        "curve": np.zeros((30, 2, len(searcher.levels))),
    }
    mean, std, _ = model.predict(net, data, query)
    assert np.corrcoef(mean, truth)[0, 1] > 0.8
    assert np.all(std > 0)


def test_choose_starts_random_configurations_first_then_scores(monkeypatch):
    searcher = make_dyhpo(SPACE, points_to_evaluate=[]).searcher
    for trial_id in range(6):
        choice_ = searcher.choose(trial_id, [], 1)
        assert choice_.config is not None
        searcher.on_trial_result(trial_id, choice_.config, {"loss": 1.0, "epoch": 1}, True)
    assert searcher.schedule_records["started"] == 6
    paused = [PausedTrial(t, {}, 1, 3, 1.0) for t in range(6)]
    answer = searcher.choose(6, paused, 1)
    assert isinstance(answer, Choice)
    assert searcher.schedule_records["started"] == 6  # the model decided this time
    assert sum(searcher.schedule_records.values()) == 7


def test_choose_resumes_a_paused_trial_whose_curve_is_best():
    searcher = make_dyhpo(SPACE, points_to_evaluate=[], random_seed=3).searcher
    paused = feed(searcher, 30)
    searcher._started = 30
    good = {"x": 0.3, "k": 2, "c": "a", "epochs": 9}  # the optimum, paused after rung 1
    searcher.on_trial_result(99, good, {"loss": curve(good, 1), "epoch": 1}, True)
    # last in the list, so that a tie (argmax picks the first) cannot pick it
    everyone = paused + [PausedTrial(99, good, 1, 3, curve(good, 1))]
    resumed = [searcher.choose(100 + i, everyone, 1).resume for i in range(3)]
    assert 99 in resumed


def test_incumbent_is_the_lowest_posterior_mean_at_the_level(monkeypatch):
    """EI's bar at a level is the lowest posterior mean at the points observed there (Syne
    Tune's current_best), not the luckiest raw observation."""
    from synetune_plugin_dyhpo import model

    searcher = make_dyhpo(SPACE, points_to_evaluate=[], random_seed=1).searcher
    paused = feed(searcher, 30)
    searcher._started = 30
    lucky = {"x": 0.9, "k": 7, "c": "b", "epochs": 9}  # a bad configuration, one lucky value
    searcher.on_trial_result(77, lucky, {"loss": -5.0, "epoch": 3}, True)
    seen = {}
    original_predict, original_ei = model.predict, model.expected_improvement

    def predict(net, data, query):
        mean, std, fitted = original_predict(net, data, query)
        seen["fitted"], seen["data"] = fitted, data
        return mean, std, fitted

    def expected_improvement(mean, std, best):
        seen["best"] = best
        return original_ei(mean, std, best)

    monkeypatch.setattr(model, "predict", predict)
    monkeypatch.setattr(model, "expected_improvement", expected_improvement)
    searcher.choose(200, paused, 1)
    data, fitted = seen["data"], seen["fitted"]
    # the posterior mean at the observed points, recomputed as a plain prediction there
    query = {k: data[k] for k in ("x", "budget", "curve")}
    again, _, _ = original_predict(searcher._net, data, query)
    np.testing.assert_allclose(fitted, again, atol=1e-6)
    at_3 = data["budget"] == 3 / 9
    bars = {
        round(level / 9, 6): bar for level, bar in zip([p.next_level for p in paused], seen["best"])
    }
    assert bars[round(3 / 9, 6)] == pytest.approx(fitted[at_3].min())
    assert bars[round(3 / 9, 6)] > data["y"][at_3].min()  # above the lucky raw value


def run_workload(seed, n_trials=20):
    scheduler = make_dyhpo(contract_config_space(), random_seed=seed)
    workload = Workload()
    workload.run(scheduler, n_workers=3, max_trials=n_trials)
    return [(t, trial.config) for t, trial in workload.trials.items()], workload.counts


def test_same_seed_same_decisions():
    first, counts = run_workload(5)
    second, _ = run_workload(5)
    third, _ = run_workload(6)
    assert first == second
    assert first != third
    assert counts["resumed"] > 0


def test_torch_is_imported_on_creation_only():
    code = (
        "import sys, synetune_plugin_dyhpo, synetune_plugin_dyhpo.searcher, "
        "synetune_plugin_dyhpo.baselines; assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- end to end --------------------------------------------------------------------------------
def simulate(tmp_path, seed, budget=2.0):
    from synetune import StoppingCriterion, Tuner, load_experiment

    blackbox = synetune.blackboxes.load("digits-mlp")
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    scheduler = synetune.schedulers.create(
        "dyhpo",
        config_space=space,
        metric="val_error",
        mode="min",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=seed,
        search_options={"num_fit_steps_initial": 50, "num_fit_steps": 10},
    )
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr="epochs",
            random_seed=seed,
        ),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_wallclock_time=budget),
        n_workers=4,
        sleep_time=0.0,
        tuner_name=f"dyhpo-digits-{seed}",
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    return load_experiment(tuner.tuner_path).results, scheduler


def test_end_to_end_on_digits_mlp_with_the_simulator(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    df, scheduler = simulate(tmp_path, seed=0)
    records = scheduler.searcher.schedule_records
    assert records["promoted_by_dyhpo"] + records["started_by_dyhpo"] > 0  # the model decided
    per_trial = df.groupby("trial_id")["epoch"].max()
    assert per_trial.max() > 1  # trials were resumed beyond the first rung
    assert set(df["st_decision"]) >= {"PAUSE"}
    again, _ = simulate(tmp_path, seed=0)
    columns = ["trial_id", "epoch", "val_error"]
    assert df[columns].reset_index(drop=True).equals(again[columns].reset_index(drop=True))
