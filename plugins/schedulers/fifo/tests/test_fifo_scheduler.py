"""FIFO scheduler and its baselines, driven by hand (ask/tell) without a backend."""

from __future__ import annotations

import dill
import pytest
from synetune_plugin_fifo.baselines import GridSearch, RandomSearch
from synetune_plugin_fifo.scheduler import FIFOScheduler

import synetune
from synetune_sdk import SchedulerDecision, Searcher, Trial
from synetune_sdk.config_space import choice, randint, uniform

SPACE = {"x": uniform(0.0, 1.0), "n": randint(1, 4), "c": choice(["a", "b"]), "epochs": 9}


@pytest.fixture(autouse=True)
def fresh_plugins():
    synetune.plugins.reset()
    yield
    synetune.plugins.reset()


class RecordingSearcher(Searcher):
    """Suggests fixed configurations and records what the scheduler tells it."""

    def __init__(self, configs, **kwargs):
        super().__init__(config_space=kwargs.pop("config_space", SPACE), metric="loss", **kwargs)
        self.configs = list(configs)
        self.events: list[tuple] = []
        self.scheduler = None

    def configure_scheduler(self, scheduler):
        self.scheduler = scheduler

    def suggest(self, trial_id, **kwargs):
        return self.configs.pop(0) if self.configs else None

    def register_pending(self, trial_id, config=None, milestone=None):
        self.events.append(("pending", trial_id))

    def on_trial_result(self, trial_id, config, result, update):
        self.events.append(("result", trial_id, result["loss"], update))

    def on_trial_complete(self, trial_id, config, result):
        self.events.append(("complete", trial_id, result["loss"]))

    def on_trial_error(self, trial_id):
        self.events.append(("error", trial_id))


def run_trial(
    scheduler, trial_id: int, losses: list[float], extra: dict | None = None
) -> Trial | None:
    """Ask for a trial, report ``losses`` epoch by epoch, complete it; None when exhausted."""
    suggestion = scheduler.suggest(trial_id)
    if suggestion is None:
        return None
    assert suggestion.spawn_new_trial_id and suggestion.checkpoint_trial_id is None
    trial = Trial(trial_id=trial_id, config=suggestion.config)
    scheduler.on_trial_add(trial)
    result = {}
    for epoch, loss in enumerate(losses, start=1):
        result = {"epoch": epoch, "loss": loss, **(extra or {})}
        assert scheduler.on_trial_result(trial, result) == SchedulerDecision.CONTINUE
    scheduler.on_trial_complete(trial, result)
    return trial


def test_points_to_evaluate_come_first_then_random_search_by_name():
    points = [{"x": 0.25, "n": 3, "c": "b"}, {"x": 0.75}]
    scheduler = FIFOScheduler(SPACE, metric="loss", points_to_evaluate=points, random_seed=0)
    assert type(scheduler.searcher).__name__ == "RandomSearcher"
    trials = [run_trial(scheduler, i, [1.0, 0.5]) for i in range(6)]
    assert trials[0].config == {"x": 0.25, "n": 3, "c": "b", "epochs": 9}
    assert trials[1].config == {
        "x": 0.75,
        "n": 2,
        "c": "a",
        "epochs": 9,
    }  # completed with midpoints
    keys = {tuple(sorted(t.config.items())) for t in trials}
    assert len(keys) == 6
    for trial in trials:
        assert 0.0 <= trial.config["x"] <= 1.0 and trial.config["epochs"] == 9


def test_default_points_to_evaluate_is_the_midpoint_configuration():
    scheduler = FIFOScheduler(SPACE, metric="loss", random_seed=1)
    assert scheduler.suggest(0).config == {"x": 0.5, "n": 2, "c": "a", "epochs": 9}


def test_same_seed_same_trials():
    def configs(seed):
        scheduler = RandomSearch(SPACE, metric="loss", random_seed=seed)
        return [run_trial(scheduler, i, [0.1]).config for i in range(8)]

    assert configs(3) == configs(3)
    assert configs(3) != configs(4)


def test_searcher_instance_is_used_and_told_everything():
    config = {"x": 0.1, "n": 1, "c": "a"}  # constant "epochs" left out: the scheduler adds it
    searcher = RecordingSearcher([config, dict(config, x=0.2)])
    scheduler = FIFOScheduler(SPACE, metric="loss", searcher=searcher, random_seed=0)
    assert scheduler.searcher is searcher and searcher.scheduler is scheduler
    assert scheduler.max_t == 9  # inferred from the "epochs" constant

    trial = run_trial(scheduler, 0, [3.0, 2.0])
    assert trial.config == {**config, "epochs": 9}
    second = Trial(1, scheduler.suggest(1).config)
    scheduler.on_trial_add(second)
    scheduler.on_trial_error(second)
    assert scheduler.suggest(2) is None
    assert searcher.events == [
        ("pending", 0),
        ("result", 0, 3.0, False),
        ("result", 0, 2.0, False),
        ("complete", 0, 2.0),
        ("pending", 1),
        ("error", 1),
    ]
    assert scheduler.metadata()["searcher"] == "RecordingSearcher"


def test_results_at_max_t_still_continue():
    scheduler = FIFOScheduler(
        SPACE, metric="loss", max_resource_attr="epochs", resource_attr="epoch", random_seed=0
    )
    assert scheduler.max_t == 9
    trial = Trial(0, scheduler.suggest(0).config)
    scheduler.on_trial_add(trial)
    assert scheduler.on_trial_result(trial, {"epoch": 9, "loss": 0.1}) == SchedulerDecision.CONTINUE


def test_max_t_inference_order():
    assert FIFOScheduler({"x": uniform(0, 1)}, metric="loss").max_t is None
    assert (
        FIFOScheduler({"x": uniform(0, 1), "max_epochs": 7, "max_t": 5}, metric="loss").max_t == 5
    )
    assert FIFOScheduler({"x": uniform(0, 1), "max_epochs": 7}, metric="loss").max_t == 7
    assert FIFOScheduler(SPACE, metric="loss", max_t=4).max_t == 4
    space = dict(SPACE, budget=27)
    assert FIFOScheduler(space, metric="loss", max_resource_attr="budget").max_t == 27
    # the one rule of synetune_sdk.max_resource, shared with Hyperband: the config-space constant
    # named by max_resource_attr comes first, and an explicit max_t may not contradict it
    assert FIFOScheduler(space, metric="loss", max_resource_attr="budget", max_t=27).max_t == 27
    with pytest.raises(ValueError, match="max_t=4 contradicts config_space\\['budget'\\] = 27"):
        FIFOScheduler(space, metric="loss", max_resource_attr="budget", max_t=4)
    with pytest.raises(ValueError, match="must name a constant positive integer"):
        FIFOScheduler(SPACE, metric="loss", max_resource_attr="n")  # a searched hyperparameter


def test_grid_search_ends_with_none_when_exhausted():
    space = {"c": choice(["a", "b", "c"]), "n": randint(1, 2), "epochs": 2}
    scheduler = GridSearch(space, metric="loss", mode="max", random_seed=0)
    trials = []
    while (trial := run_trial(scheduler, len(trials), [0.3])) is not None:
        trials.append(trial)
    assert len(trials) == 6  # the midpoint configuration is on the grid and runs only once
    assert trials[0].config == {"c": "a", "n": 1, "epochs": 2}
    assert len({tuple(sorted(t.config.items())) for t in trials}) == 6
    assert scheduler.suggest(len(trials)) is None


def test_search_options_reach_the_searcher():
    space = {"x": uniform(0.0, 1.0)}
    scheduler = FIFOScheduler(
        space,
        metric="loss",
        searcher="grid",
        search_options={"num_samples": 3},
        points_to_evaluate=[],
    )
    configs = []
    while (suggestion := scheduler.suggest(len(configs))) is not None:
        configs.append(suggestion.config["x"])
    assert sorted(configs) == [0.0, 0.5, 1.0]

    with pytest.raises(ValueError, match="random_seed"):
        FIFOScheduler(space, metric="loss", search_options={"random_seed": 1})
    with pytest.raises(ValueError, match="only used when searcher is given by name"):
        FIFOScheduler(
            SPACE, metric="loss", searcher=RecordingSearcher([]), search_options={"num_samples": 3}
        )


def test_multi_metric_modes_reach_the_searcher():
    scheduler = FIFOScheduler(SPACE, metric=["loss", "latency"], mode="min", random_seed=0)
    assert scheduler.metric_names() == ["loss", "latency"]
    assert scheduler.metric_mode() == ["min", "min"]
    assert scheduler.is_multiobjective_scheduler()
    assert scheduler.searcher.metric == ["loss", "latency"]
    assert scheduler.searcher.mode == ["min", "min"]
    run_trial(scheduler, 0, [0.5], extra={"latency": 3.0})

    mixed = FIFOScheduler(SPACE, metric=["loss", "acc"], mode=["min", "max"], random_seed=0)
    assert mixed.metric_mode() == ["min", "max"] and mixed.searcher.mode == ["min", "max"]
    with pytest.raises(ValueError, match="mode has 1 entries but metric has 2"):
        FIFOScheduler(SPACE, metric=["loss", "acc"], mode=["min"])

    single = FIFOScheduler(SPACE, metric="loss", mode="max", random_seed=0)
    assert single.metric_names() == ["loss"] and single.metric_mode() == "max"
    assert single.searcher.metric == "loss" and single.searcher.mode == "max"
    assert not single.is_multiobjective_scheduler()


def test_missing_metric_error_names_metric_and_reported_keys():
    scheduler = FIFOScheduler(SPACE, metric=["loss", "latency"], random_seed=0)
    trial = Trial(0, scheduler.suggest(0).config)
    scheduler.on_trial_add(trial)
    with pytest.raises(ValueError, match=r"\['latency'\].*reported keys: \['epoch', 'loss'\]"):
        scheduler.on_trial_result(trial, {"epoch": 1, "loss": 0.3})


def test_unknown_argument_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="grace_period"):
        FIFOScheduler(SPACE, metric="loss", grace_period=1)
    with pytest.raises(TypeError, match="reduction_factr"):
        RandomSearch(SPACE, metric="loss", reduction_factr=3)


def test_bad_mode_and_bad_config_space_errors():
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        FIFOScheduler(SPACE, metric="loss", mode="minimize")
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        FIFOScheduler(SPACE, metric=["a", "b"], mode=["min", "up"])
    with pytest.raises(ValueError, match="'lr'"):
        FIFOScheduler({"lr": uniform(1.0, 0.0)}, metric="loss")
    with pytest.raises(TypeError, match="searcher must be"):
        FIFOScheduler(SPACE, metric="loss", searcher=42)


def test_unknown_searcher_name_is_reported():
    with pytest.raises(ValueError, match="unknown searcher 'randm'.*'random'"):
        FIFOScheduler(SPACE, metric="loss", searcher="randm")


def test_pickle_round_trip_keeps_the_search_going():
    scheduler = RandomSearch(SPACE, metric="loss", random_seed=11)
    for i in range(3):
        run_trial(scheduler, i, [0.2, 0.1])
    clone = dill.loads(dill.dumps(scheduler))
    assert clone.metadata() == scheduler.metadata()
    assert [clone.suggest(i).config for i in range(3, 8)] == [
        scheduler.suggest(i).config for i in range(3, 8)
    ]


def test_metadata_content():
    scheduler = GridSearch(SPACE, metric="loss", mode="max", random_seed=5)
    meta = scheduler.metadata()
    assert meta["metric_names"] == ["loss"]
    assert meta["metric_mode"] == "max"
    assert meta["scheduler_name"] == "GridSearch"
    assert meta["searcher"] == "grid"
    assert meta["random_seed"] == 5
    assert meta["config_space"]["epochs"] == 9
    assert meta["config_space"]["x"] == {
        "domain_cls": "Float",
        "domain_kwargs": {"lower": 0.0, "upper": 1.0, "log": False},
    }
    import json

    json.dumps(meta)  # metadata.json must be able to hold it


def test_random_seed_is_drawn_and_recorded_when_not_given():
    seeds = {FIFOScheduler(SPACE, metric="loss").random_seed for _ in range(5)}
    assert all(isinstance(s, int) for s in seeds) and len(seeds) > 1
    drawn = FIFOScheduler(SPACE, metric="loss")
    replay = FIFOScheduler(SPACE, metric="loss", random_seed=drawn.metadata()["random_seed"])
    assert [drawn.suggest(i).config for i in range(5)] == [
        replay.suggest(i).config for i in range(5)
    ]


def test_schedulers_are_registered_by_name():
    assert {"fifo", "random_search", "grid_search"} <= set(synetune.schedulers.names())
    fifo = synetune.schedulers.create("fifo", config_space=SPACE, metric="loss", searcher="grid")
    assert type(fifo) is FIFOScheduler and fifo.searcher_name == "grid"
    assert isinstance(
        synetune.schedulers.create("random_search", config_space=SPACE, metric="loss"), RandomSearch
    )
    assert isinstance(
        synetune.schedulers.create("grid_search", config_space=SPACE, metric="loss"), GridSearch
    )
