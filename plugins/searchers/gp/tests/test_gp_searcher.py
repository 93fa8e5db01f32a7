"""Behaviour of the GP searchers: optimisation quality, constraints, cost, pending fantasies,
multi-fidelity models, bad input, and the baselines built through the registries."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from synetune_plugin_gp.hypertune import HyperTuneSearcher
from synetune_plugin_gp.searcher import ConstrainedGPSearcher, CostAwareGPSearcher, GPSearcher

import synetune
from synetune_sdk.config_space import choice, loguniform, randint, uniform
from synetune_sdk.testing import drive_scheduler

HARTMANN6_MIN = -3.32237
_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN6_SPACE = {f"x{i}": uniform(0.0, 1.0) for i in range(6)}


def hartmann6(config):
    x = np.array([config[f"x{i}"] for i in range(6)])
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_A * (x - _P) ** 2, axis=1))))


def branin(x1, x2):
    return (
        (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1)
        + 10
    )


BRANIN_SPACE = {"x1": uniform(-5.0, 10.0), "x2": uniform(0.0, 15.0)}


def run_sequential(searcher, objective, n, metric="y"):
    """Suggest and evaluate ``n`` configurations one after another; the best value seen."""
    best = math.inf
    for trial_id in range(n):
        config = searcher.suggest(trial_id)
        searcher.register_pending(trial_id, config)
        value = objective(config)
        best = min(best, value)
        searcher.on_trial_complete(trial_id, config, {metric: value})
    return best


def test_bayesopt_beats_random_search_on_hartmann6():
    seeds = range(5)
    bo, rs = [], []
    for seed in seeds:
        searcher = GPSearcher(HARTMANN6_SPACE, "y", random_seed=seed, points_to_evaluate=[])
        bo.append(run_sequential(searcher, hartmann6, 30) - HARTMANN6_MIN)
        rng = np.random.default_rng(seed)
        rs.append(
            min(
                hartmann6({f"x{i}": v for i, v in enumerate(rng.uniform(size=6))})
                for _ in range(30)
            )
            - HARTMANN6_MIN
        )
    wins = sum(b < r for b, r in zip(bo, rs))
    # a sign test: 5 wins out of 5 has probability 1/32 if both were equally good
    assert wins == len(seeds), (bo, rs)
    assert np.median(bo) < 0.3 * np.median(rs)


def test_mode_max_maximises():
    searcher = GPSearcher(HARTMANN6_SPACE, "y", mode="max", random_seed=0, points_to_evaluate=[])
    values = []
    for trial_id in range(25):
        config = searcher.suggest(trial_id)
        values.append(-hartmann6(config))
        searcher.on_trial_complete(trial_id, config, {"y": values[-1]})
    assert max(values) > 2.5  # the maximum of -hartmann6 is 3.32; random search gets ~1.9
    assert searcher.best_config() is not None
    assert -hartmann6(searcher.best_config()) == pytest.approx(max(values))


def test_pending_fantasies_make_concurrent_suggestions_distinct():
    space = {"x": uniform(0.0, 1.0), "y": uniform(0.0, 1.0)}

    def spread(no_fantasizing):
        searcher = GPSearcher(
            space, "loss", random_seed=1, points_to_evaluate=[], no_fantasizing=no_fantasizing
        )
        rng = np.random.default_rng(0)
        for trial_id in range(8):
            config = {"x": float(rng.uniform()), "y": float(rng.uniform())}
            searcher.on_trial_complete(
                trial_id, config, {"loss": (config["x"] - 0.3) ** 2 + (config["y"] - 0.6) ** 2}
            )
        rows = []
        for trial_id in range(8, 12):  # four busy workers
            config = searcher.suggest(trial_id)
            searcher.register_pending(trial_id, config)
            rows.append([config["x"], config["y"]])
        rows = np.array(rows)
        distances = np.sqrt(((rows[:, None] - rows[None]) ** 2).sum(-1))
        return distances[np.triu_indices(4, 1)].min()

    with_fantasies, without = spread(False), spread(True)
    # without fantasies the four workers get (almost) the same point, only kept apart by the
    # duplicate check; with them, the suggestions spread out
    assert without < 1e-4
    assert with_fantasies > 0.005


def test_constrained_bo_recommends_feasible_and_finds_the_constrained_optimum():
    # minimise (x - 0.8)^2 + (y - 0.8)^2 subject to x + y <= 1: optimum at (0.5, 0.5), value 0.18
    space = {"x": uniform(0.0, 1.0), "y": uniform(0.0, 1.0)}
    searcher = ConstrainedGPSearcher(
        space, "loss", constraint_attr="c", random_seed=0, points_to_evaluate=[{"x": 0.9, "y": 0.9}]
    )
    feasible_values, infeasible_suggestions = [], 0
    for trial_id in range(25):
        config = searcher.suggest(trial_id)
        loss = (config["x"] - 0.8) ** 2 + (config["y"] - 0.8) ** 2
        c = config["x"] + config["y"] - 1.0
        if c <= 0:
            feasible_values.append(loss)
        elif trial_id >= 10 and c > 0.02:
            infeasible_suggestions += 1  # the optimum lies on the boundary: count clear misses
        searcher.on_trial_complete(trial_id, config, {"loss": loss, "c": c})
        best = searcher.best_config()
        if feasible_values:
            assert best is not None and best["x"] + best["y"] <= 1.0
        else:
            assert best is None
    assert min(feasible_values) < 0.19
    assert infeasible_suggestions <= 2


def test_cost_aware_bo_prefers_cheap_configurations():
    space = {"x": uniform(0.0, 1.0), "size": loguniform(1.0, 1000.0)}

    def evaluate(config):
        # the objective does not depend on size, the cost grows with it
        return (config["x"] - 0.5) ** 2, config["size"]

    def sizes(searcher):
        out = []
        for trial_id in range(20):
            config = searcher.suggest(trial_id)
            loss, cost = evaluate(config)
            searcher.on_trial_complete(trial_id, config, {"loss": loss, "elapsed_time": cost})
            if trial_id >= 6:
                out.append(config["size"])
        return np.median(out)

    cheap = sizes(CostAwareGPSearcher(space, "loss", random_seed=0, points_to_evaluate=[]))
    plain = sizes(GPSearcher(space, "loss", random_seed=0, points_to_evaluate=[]))
    assert cheap < 5.0
    assert cheap < plain / 3


def test_points_to_evaluate_then_no_duplicates_on_a_categorical_space():
    space = {"a": choice(["x", "y", "z"]), "b": choice([1, 2]), "epochs": 3}
    searcher = GPSearcher(space, "loss", random_seed=0, points_to_evaluate=[{"a": "z", "b": 2}])
    seen = []
    for trial_id in range(7):
        config = searcher.suggest(trial_id)
        if config is None:
            break
        seen.append((config["a"], config["b"]))
        assert config["epochs"] == 3
        searcher.on_trial_complete(trial_id, config, {"loss": len(config["a"]) + config["b"]})
    assert seen[0] == ("z", 2)
    assert len(seen) == 6 and len(set(seen)) == 6  # all six configurations, then None


def test_single_point_space_suggests_it_once():
    searcher = GPSearcher({"a": 1, "b": choice(["only"])}, "loss", random_seed=0)
    assert searcher.suggest(0) == {"a": 1, "b": "only"}
    searcher.on_trial_complete(0, {"a": 1, "b": "only"}, {"loss": 1.0})
    assert searcher.suggest(1) is None


def test_all_failed_nan_and_infinite_metrics_do_not_break_the_searcher():
    space = {"lr": loguniform(1e-4, 1e-1), "layers": randint(1, 4), "act": choice(["relu", "tanh"])}
    searcher = GPSearcher(space, "loss", random_seed=0)
    configs = []
    for trial_id in range(6):  # every trial fails
        config = searcher.suggest(trial_id)
        searcher.register_pending(trial_id, config)
        searcher.evaluation_failed(trial_id)
        configs.append(config)
    for trial_id, value in zip(
        range(6, 12), [math.nan, math.inf, -math.inf, "oops", None, math.nan]
    ):
        config = searcher.suggest(trial_id)
        configs.append(config)
        searcher.on_trial_complete(trial_id, config, {"loss": value})
    assert searcher.dataset_size() == 0
    for trial_id in range(12, 20):  # now real values arrive and the model takes over
        config = searcher.suggest(trial_id)
        configs.append(config)
        searcher.on_trial_complete(trial_id, config, {"loss": math.log10(config["lr"]) ** 2})
    assert searcher.dataset_size() == 8
    keys = {(c["lr"], c["layers"], c["act"]) for c in configs}
    assert len(keys) == len(configs)  # failed configurations were not suggested again


def test_constant_objective_keeps_suggesting_new_configurations():
    space = {"x": uniform(0.0, 1.0), "k": randint(0, 5)}
    searcher = GPSearcher(space, "loss", random_seed=0)
    configs = []
    for trial_id in range(12):
        config = searcher.suggest(trial_id)
        configs.append((config["x"], config["k"]))
        searcher.on_trial_complete(trial_id, config, {"loss": 1.0})
    assert len(set(configs)) == 12


def test_bad_arguments_say_what_to_fix():
    space = {"x": uniform(0.0, 1.0)}
    with pytest.raises(ValueError, match="constraint_attr"):
        ConstrainedGPSearcher(space, "loss")
    with pytest.raises(ValueError, match="model"):
        GPSearcher(space, "loss", model="gp_magic")
    with pytest.raises(ValueError, match="num_fantasy_samples"):
        GPSearcher(space, "loss", num_fantasy_samples=0)
    with pytest.raises(ValueError, match="single objective"):
        GPSearcher(space, ["a", "b"])
    with pytest.warns(UserWarning, match="num_init_randm"):
        GPSearcher(space, "loss", num_init_randm=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GPSearcher(space, "loss", debug_log=False, opt_warmstart=True)  # Syne Tune options
        GPSearcher(space, "loss", input_warping=False)  # Syne Tune's default: nothing to say
    with pytest.warns(UserWarning, match="input_warping=True is not implemented"):
        GPSearcher(space, "loss", input_warping=True)
    with pytest.raises(ValueError, match="multi-fidelity"):
        HyperTuneSearcher(space, "loss").configure_scheduler(SimpleNamespace(max_t=None))
    with pytest.raises(ValueError, match=r"acq_function in \['ei', 'lcb'\], got 'pi'"):
        GPSearcher(space, "loss", acq_function="pi")
    with pytest.raises(ValueError, match=r"acq_function in \['ei'\], got 'lcb'"):
        ConstrainedGPSearcher(space, "loss", constraint_attr="c", acq_function="lcb")
    with pytest.raises(ValueError, match="kappa"):
        GPSearcher(space, "loss", acq_function="lcb", acq_function_kwargs={"kappa": -1.0})
    with pytest.raises(ValueError, match=r"gp_base_kernel must be one of"):
        GPSearcher(space, "loss", gp_base_kernel="rbf")
    with pytest.raises(ValueError, match="not understood"):
        GPSearcher(space, "loss", acq_function="lcb", acq_function_kwargs={"beta": 1.0})


def test_noard_kernel_shares_one_lengthscale_and_finds_the_branin_minimum():
    searcher = GPSearcher(BRANIN_SPACE, "y", gp_base_kernel="matern52-noard", random_seed=0)
    best = run_sequential(searcher, lambda c: branin(c["x1"], c["x2"]), 30)
    assert best < 0.397887 + 0.05
    (params,) = searcher._fits.params.values()
    assert params.lengthscales[0] == params.lengthscales[1]


def test_lcb_finds_the_branin_minimum_and_kappa_sets_exploration():
    spread = {}
    for kappa in (0.0, 1.0, 5.0):
        searcher = GPSearcher(
            BRANIN_SPACE,
            "y",
            acq_function="lcb",
            acq_function_kwargs={"kappa": kappa},
            random_seed=0,
        )
        values, configs = [], []
        for trial_id in range(30):
            config = searcher.suggest(trial_id)
            values.append(branin(config["x1"], config["x2"]))
            configs.append([config["x1"], config["x2"]])
            searcher.on_trial_complete(trial_id, config, {"y": values[-1]})
        spread[kappa] = np.std(np.array(configs[10:]), axis=0).sum()
        if kappa == 1.0:  # the default
            assert min(values) < 0.397887 + 0.05
    # kappa=0 exploits (evaluations bunch up), a large kappa explores more widely
    assert spread[5.0] > spread[0.0]


# -- multi-fidelity ----------------------------------------------------------------------------
def _curve(config, epoch):
    """A learning curve whose ranking at epoch 1 matches the final one."""
    return (config["x"] - 0.3) ** 2 + 0.5 / epoch


def _feed_levels(searcher, n, levels=(1, 3, 9)):
    rng = np.random.default_rng(0)
    for trial_id in range(n):
        config = {"x": float(rng.uniform())}
        reached = levels if trial_id % 2 == 0 else levels[:1]
        for epoch in reached:
            searcher.on_trial_result(
                trial_id, config, {"loss": _curve(config, epoch), "epoch": epoch}, True
            )


@pytest.mark.parametrize("kernel", ["exp-decay-sum", "matern52"])
def test_mobster_joint_model_learns_from_every_level(kernel):
    searcher = GPSearcher(
        {"x": uniform(0.0, 1.0)}, "loss", gp_resource_kernel=kernel, random_seed=0
    )
    searcher.configure_scheduler(
        SimpleNamespace(resource_attr="epoch", max_t=9, rung_levels=[1, 3])
    )
    assert searcher.multi_fidelity and searcher.num_init_random == 6
    _feed_levels(searcher, 14)
    assert searcher.dataset_size() == 7 * 3 + 7
    assert searcher._target_resource() == 9  # 7 observations at the top level
    for trial_id in range(100, 104):
        config = searcher.suggest(trial_id, bracket=0, milestone=1)
        searcher.register_pending(trial_id, config, milestone=1)
    assert abs(config["x"] - 0.3) < 0.3
    searcher.remove_case(0, loss=0.0, epoch=9)
    assert searcher.dataset_size() == 7 * 3 + 6
    fitted = searcher._fits.params[("objective", None)]
    assert (fitted.decay is not None) == (kernel == "exp-decay-sum")


def test_exp_decay_model_predicts_final_values_from_early_ones():
    """Configurations seen only at epoch 1 get final-value predictions shaped by the curves
    of configurations that went on: MOBSTER's point of learning a joint model."""
    searcher = GPSearcher({"x": uniform(0.0, 1.0)}, "loss", random_seed=0)
    searcher.configure_scheduler(
        SimpleNamespace(resource_attr="epoch", max_t=9, rung_levels=[1, 3])
    )
    _feed_levels(searcher, 20)
    problem = searcher._acquisition(9)
    assert problem is not None
    posterior = searcher._objective_posterior(
        ("objective", None),
        searcher._inputs(list(searcher._data.values()), True),
        np.array([o.values["objective"] for o in searcher._data.values()]),
        np.zeros((0, 2)),
        joint=True,
    )[0]
    xs = np.array([[0.3, 1.0], [0.9, 1.0], [0.3, 1.0 / 9]])
    mean = posterior.predict(xs)[0][:, 0]
    # the final value at the optimum x=0.3 beats a poor x=0.9, and is below its epoch-1 value
    assert mean[0] < mean[1] and mean[0] < mean[2]


def test_unsupported_resource_kernel_names_the_supported_ones():
    with pytest.raises(ValueError, match=r"\['exp-decay-sum', 'matern52'\]"):
        GPSearcher({"x": uniform(0.0, 1.0)}, "loss", gp_resource_kernel="freeze-thaw")


def test_hypertune_weights_and_bracket_distribution():
    searcher = HyperTuneSearcher({"x": uniform(0.0, 1.0)}, "loss", random_seed=0)
    searcher.configure_scheduler(
        SimpleNamespace(resource_attr="epoch", max_t=9, rung_levels=[1, 3])
    )
    assert searcher.bracket_distribution(3) is None  # nothing learned yet
    _feed_levels(searcher, 16)
    weights = searcher.ensemble_weights()
    assert set(weights) == {1, 3, 9}
    assert sum(weights.values()) == pytest.approx(1.0)
    # the low levels rank configurations exactly like the top level: they must get weight
    assert weights[1] + weights[3] > 0.3
    probs = searcher.bracket_distribution(3)
    assert len(probs) == 3 and sum(probs) == pytest.approx(1.0) and min(probs) >= 0
    assert searcher.bracket_distribution(2) is not None
    config = searcher.suggest(200, bracket=0, milestone=1)
    assert 0.0 <= config["x"] <= 1.0


@pytest.mark.parametrize("searcher", ["bayesopt", "hypertune"])
def test_hyperband_with_gp_searchers(searcher):
    scheduler = synetune.schedulers.create(
        "hyperband",
        config_space={
            "x": uniform(0.0, 1.0),
            "y": randint(1, 4),
            "c": choice(["a", "b"]),
            "epochs": 9,
        },
        metric="loss",
        mode="min",
        resource_attr="epoch",
        max_resource_attr="epochs",
        searcher=searcher,
        brackets=3,
        random_seed=0,
    )
    assert scheduler.searcher.multi_fidelity
    counts = drive_scheduler(scheduler, n_workers=4, max_trials=30)
    assert counts["started"] == 30
    levels = {obs.resource for obs in scheduler.searcher._data.values()}
    assert levels == {1, 3, 9}
    if searcher == "hypertune":
        assert scheduler.searcher.bracket_distribution(3) is not None


def test_registries_and_baselines():
    assert {"bayesopt", "bayesopt_constrained", "bayesopt_cost", "hypertune"} <= set(
        synetune.searchers.names()
    )
    space = {"x": uniform(0.0, 1.0), "epochs": 9}
    fifo = synetune.schedulers.create(
        "fifo", config_space=space, metric="loss", searcher="bayesopt"
    )
    assert isinstance(fifo.searcher, GPSearcher) and not fifo.searcher.multi_fidelity
    baseline = synetune.schedulers.create(
        "bayesian_optimization",
        config_space=space,
        metric="loss",
        search_options={"num_init_random": 5},
    )
    assert baseline.searcher.num_init_random == 5
    constrained = synetune.schedulers.create(
        "constrained_bayesian_optimization", config_space=space, metric="loss", constraint_attr="c"
    )
    assert constrained.searcher.constraint_attr == "c"
    mobster = synetune.schedulers.create(
        "mobster",
        config_space=space,
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
    )
    assert mobster.searcher.multi_fidelity and mobster.searcher.model == "gp_multitask"
    sync = synetune.schedulers.create(
        "sync_mobster",
        config_space=space,
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
    )
    assert sync.searcher.model == "gp_independent"
    with pytest.raises(ValueError, match="FIFO"):
        synetune.schedulers.create(
            "hyperband",
            config_space=space,
            metric="loss",
            resource_attr="epoch",
            max_resource_attr="epochs",
            searcher="bayesopt_constrained",
            search_options={"constraint_attr": "c"},
        )


def test_bayesian_optimization_in_an_ask_tell_loop_finds_branin_minimum():
    from synetune_sdk.ask_tell import AskTellScheduler

    scheduler = synetune.schedulers.create(
        "bayesian_optimization",
        config_space=BRANIN_SPACE,
        metric="y",
        random_seed=0,
    )
    ask_tell = AskTellScheduler(scheduler)
    for _ in range(30):
        trial = ask_tell.ask()
        ask_tell.tell(trial, {"y": branin(trial.config["x1"], trial.config["x2"])})
        ask_tell.complete(trial)
    _, result = ask_tell.best_trial()
    assert result["y"] - 0.397887 < 0.05


def test_cost_aware_searcher_under_hyperband():
    space = {"x": uniform(0.0, 1.0), "size": loguniform(1.0, 100.0), "epochs": 9}
    scheduler = synetune.schedulers.create(
        "hyperband",
        config_space=space,
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        searcher="bayesopt_cost",
        search_options={"cost_attr": "cost"},
        random_seed=0,
    )
    from datetime import datetime

    from synetune_sdk.trial import SchedulerDecision, Trial

    for trial_id in range(16):
        suggestion = scheduler.suggest(trial_id)
        trial = Trial(trial_id, suggestion.config, datetime.now())
        scheduler.on_trial_add(trial)
        for epoch in range(1, 10):
            config = suggestion.config
            result = {
                "loss": (config["x"] - 0.4) ** 2 + 1.0 / epoch,
                "epoch": epoch,
                "cost": epoch * config["size"],
            }
            if scheduler.on_trial_result(trial, result) != SchedulerDecision.CONTINUE:
                break
        else:
            scheduler.on_trial_complete(trial, result)
    searcher = scheduler.searcher
    assert searcher.multi_fidelity and searcher.dataset_size() >= 16
    assert {"log_cost", "objective"} <= set(next(iter(searcher._data.values())).values)


def test_constrained_run_records_its_constraint_and_its_best_is_feasible():
    """The best loss is at x = 0, but only x >= 0.6 is feasible (c = 0.6 - x <= 0): the
    experiment's best configuration is the best feasible one."""
    from synetune_plugin_gp.baselines import ConstrainedBayesianOptimization

    from synetune import StoppingCriterion, Tuner, load_experiment
    from synetune_sdk.testing import ThreadBackend

    def objective(config, report, start_epoch=0):
        report(epoch=1, loss=config["x"], c=0.6 - config["x"])

    space = {"x": uniform(0.0, 1.0)}
    scheduler = synetune.schedulers.create(
        "ConstrainedBayesianOptimization",
        config_space=space,
        metric="loss",
        constraint_attr="c",
        random_seed=3,
        points_to_evaluate=[{"x": 0.0}, {"x": 0.9}, {"x": 0.7}],
        search_options={"num_init_random": 2},
    )
    assert isinstance(scheduler, ConstrainedBayesianOptimization)
    meta = scheduler.metadata()
    assert meta["constraint_attr"] == "c" and meta["searcher"] == "bayesopt_constrained"
    assert meta["scheduler_name"] == "ConstrainedBayesianOptimization"
    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=6),
        n_workers=1,
        verbose="quiet",
    )
    tuner.run()
    exp = load_experiment(tuner.name)
    assert exp.metadata["constraint_attr"] == "c"
    assert exp.results["loss"].min() == 0.0  # the infeasible x = 0 ran and is best unconstrained
    best = exp.best_config()
    assert best["x"] >= 0.6 and best["loss"] == exp.results.query("c <= 0")["loss"].min()
    assert exp.best_so_far()["loss"].min() == best["loss"]


def test_tuner_best_config_of_a_constrained_run_is_feasible():
    from synetune import StoppingCriterion, Tuner
    from synetune_sdk.testing import ThreadBackend

    def objective(config, report, start_epoch=0):
        report(epoch=1, loss=config["x"], c=0.6 - config["x"])

    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=synetune.schedulers.create(
            "ConstrainedBayesianOptimization",
            config_space={"x": uniform(0.0, 1.0)},
            metric="loss",
            constraint_attr="c",
            random_seed=3,
            points_to_evaluate=[{"x": 0.0}, {"x": 0.9}, {"x": 0.7}],
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=5),
        n_workers=1,
        verbose="quiet",
    )
    tuner.run()
    trial_id, config = tuner.best_config()
    assert config["x"] >= 0.6 and trial_id != 0  # trial 0 (x = 0) has the lowest loss
    assert tuner.best_result()[2] == min(
        t.config["x"] for t in tuner.trials.values() if t.config["x"] >= 0.6
    )
