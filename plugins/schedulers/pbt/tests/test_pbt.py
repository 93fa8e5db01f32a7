"""Decisions of Population Based Training, driven by hand with hand-built result sequences."""

from __future__ import annotations

import pickle

import pytest
from synetune_plugin_pbt.scheduler import PopulationBasedTraining

import synetune
import synetune_sdk
from synetune_sdk import SchedulerDecision, Searcher, Trial
from synetune_sdk.config_space import (
    choice,
    finrange,
    is_valid_config,
    loguniform,
    ordinal,
    randint,
    uniform,
)
from synetune_sdk.testing import SchedulerContract

CONTINUE, PAUSE, STOP = SchedulerDecision.CONTINUE, SchedulerDecision.PAUSE, SchedulerDecision.STOP

SPACE = {
    "lr": loguniform(1e-4, 1.0),
    "wd": uniform(0.0, 1.0),
    "layers": randint(1, 8),
    "act": choice(["relu", "tanh", "gelu", "elu", "selu"]),
    "bs": ordinal([16, 32, 64, 128]),
    "drop": finrange(0.0, 0.5, 6),
    "epochs": 20,
}


class ListSearcher(Searcher):
    """Hands out numbered copies of a base config, so tests know every initial config."""

    def __init__(self, base=None):
        super().__init__({}, metric="loss")
        self.base = dict(
            base
            or {
                "lr": 0.01,
                "wd": 0.5,
                "layers": 4,
                "act": "gelu",
                "bs": 32,
                "drop": 0.2,
                "epochs": 20,
            }
        )
        self.suggested: list[int] = []
        self.completed: list[int] = []

    def suggest(self, trial_id, **kwargs):
        self.suggested.append(trial_id)
        return {**self.base, "wd": round(0.1 * (trial_id % 10), 1)}

    def on_trial_complete(self, trial_id, config, result):
        self.completed.append(trial_id)


def make_pbt(**kwargs) -> PopulationBasedTraining:
    args = {
        "config_space": SPACE,
        "metric": "loss",
        "resource_attr": "epoch",
        "max_t": 100,
        "population_size": 4,
        "perturbation_interval": 2,
        "searcher": ListSearcher(),
        "random_seed": 3,
    }
    return PopulationBasedTraining(**{**args, **kwargs})


def start(pbt, trial_id) -> Trial:
    """Ask for a suggestion and 'start' it as the backend would; returns the trial."""
    suggestion = pbt.suggest(trial_id)
    assert suggestion is not None and suggestion.spawn_new_trial_id
    trial = Trial(trial_id=trial_id, config=dict(suggestion.config))
    pbt.on_trial_add(trial)
    return trial


def report(pbt, trial, epoch, loss, metric="loss"):
    return pbt.on_trial_result(trial, {"epoch": epoch, metric: loss})


def population(pbt, losses=(1.0, 2.0, 3.0, 4.0)) -> list[Trial]:
    trials = [start(pbt, i) for i in range(len(losses))]
    for trial, loss in zip(trials, losses):
        assert report(pbt, trial, 1, loss) == CONTINUE
    return trials


def test_population_starts_from_the_searcher():
    searcher = ListSearcher()
    pbt = make_pbt(searcher=searcher)
    suggestions = [pbt.suggest(i) for i in range(4)]
    assert [s.checkpoint_trial_id for s in suggestions] == [None] * 4
    assert [s.config["wd"] for s in suggestions] == [0.0, 0.1, 0.2, 0.3]
    assert searcher.suggested == [0, 1, 2, 3]


def test_bottom_trial_is_replaced_by_a_mutated_copy_of_the_top_trial():
    pbt = make_pbt()
    trials = population(pbt)
    # below the perturbation interval nothing is ranked, even the worst trial
    assert report(pbt, trials[3], 1, 9.0) == CONTINUE
    assert report(pbt, trials[0], 2, 1.0) == CONTINUE  # top: keeps training
    assert report(pbt, trials[1], 2, 2.0) == CONTINUE  # middle
    assert report(pbt, trials[3], 2, 4.0) == PAUSE  # bottom quarter of four: replaced
    suggestion = pbt.suggest(4)
    assert suggestion.spawn_new_trial_id
    assert suggestion.checkpoint_trial_id == 0  # the only top-quantile trial
    new_config = suggestion.config
    assert is_valid_config(new_config, SPACE)
    assert new_config["epochs"] == 20
    assert new_config != trials[0].config
    assert report(pbt, trials[3], 3, 0.1) == PAUSE  # a late result does not revive it
    # the next suggestion, with no replacement pending, comes from the searcher
    assert pbt.suggest(5).checkpoint_trial_id is None


def test_replaced_trial_leaves_the_population():
    pbt = make_pbt()
    trials = population(pbt)
    assert report(pbt, trials[3], 2, 4.0) == PAUSE
    clone = start(pbt, 4)
    pbt.on_trial_remove(trials[3])
    # population now: 0, 1, 2 ranked; the clone has no score yet. Trial 2 is the worst of three.
    assert report(pbt, trials[2], 2, 3.0) == PAUSE
    assert pbt.suggest(5).checkpoint_trial_id == 0
    assert report(pbt, clone, 3, 0.5) == CONTINUE  # the clone is ranked from now on
    assert pbt._quantiles() == ([1], [4])


def test_mode_max_replaces_the_lowest_value():
    pbt = make_pbt(mode="max")
    trials = population(pbt, losses=(1.0, 2.0, 3.0, 4.0))
    assert report(pbt, trials[3], 2, 4.0) == CONTINUE  # the best when maximising
    assert report(pbt, trials[0], 2, 1.0) == PAUSE
    assert pbt.suggest(4).checkpoint_trial_id == 3


def test_quantile_fraction_half_replaces_the_bottom_half_from_the_top_half():
    pbt = make_pbt(quantile_fraction=0.5, random_seed=0)
    trials = population(pbt)
    assert report(pbt, trials[2], 2, 3.0) == PAUSE  # bottom half of four: trials 2 and 3
    assert pbt.suggest(4).checkpoint_trial_id in {0, 1}
    # three left running: quantiles of one trial each, so trial 1 (middle) keeps training
    assert report(pbt, trials[1], 2, 2.0) == CONTINUE
    assert report(pbt, trials[3], 2, 4.0) == PAUSE


def test_sources_are_drawn_among_the_top_quantile():
    seen = set()
    for seed in range(20):
        pbt = make_pbt(quantile_fraction=0.5, population_size=6, random_seed=seed)
        trials = population(pbt, losses=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
        assert report(pbt, trials[5], 2, 6.0) == PAUSE
        seen.add(pbt.suggest(6).checkpoint_trial_id)
    assert seen == {0, 1, 2}


def test_clone_is_ranked_one_interval_after_the_checkpoint_it_copied():
    pbt = make_pbt()
    trials = population(pbt)
    for trial, loss in zip(trials, (1.0, 2.0, 3.0)):
        report(pbt, trial, 2, loss)  # trial 0 ranked at epoch 2: its checkpoint is at epoch 2
    assert report(pbt, trials[3], 2, 4.0) == PAUSE
    clone = start(pbt, 4)
    pbt.on_trial_remove(trials[3])
    # resumed from the epoch-2 checkpoint: epoch 3 is within the interval, epoch 4 is ranked
    assert report(pbt, clone, 3, 99.0) == CONTINUE
    assert report(pbt, clone, 4, 99.0) == PAUSE


def test_clone_whose_resource_restarts_gets_a_full_interval_of_its_own():
    pbt = make_pbt()
    trials = population(pbt)
    for trial, loss in zip(trials, (1.0, 2.0, 3.0)):
        report(pbt, trial, 6, loss)
    assert report(pbt, trials[3], 6, 4.0) == PAUSE
    clone = start(pbt, 4)
    pbt.on_trial_remove(trials[3])
    assert report(pbt, clone, 1, 99.0) == CONTINUE
    assert report(pbt, clone, 2, 99.0) == PAUSE


def test_initial_population_fills_before_replacements_start():
    pbt = make_pbt(population_size=4)
    a, b = start(pbt, 0), start(pbt, 1)  # two workers only
    report(pbt, a, 2, 1.0)
    assert report(pbt, b, 2, 2.0) == PAUSE  # worse of two: replaced
    assert pbt.suggest(2).checkpoint_trial_id is None  # population not full yet
    pbt.on_trial_add(Trial(2, {}))
    assert pbt.suggest(3).checkpoint_trial_id is None
    pbt.on_trial_add(Trial(3, {}))
    assert pbt.suggest(4).checkpoint_trial_id == 0  # now the pending replacement


def test_max_t_stops_and_frees_a_worker_for_the_searcher():
    searcher = ListSearcher()
    pbt = make_pbt(max_t=5, perturbation_interval=100, searcher=searcher)
    trials = population(pbt)
    assert report(pbt, trials[0], 4, 1.0) == CONTINUE
    assert report(pbt, trials[0], 5, 1.0) == STOP
    pbt.on_trial_remove(trials[0])
    suggestion = pbt.suggest(4)
    assert suggestion.checkpoint_trial_id is None and searcher.suggested[-1] == 4
    # a stopped trial is never a source
    for trial, loss in zip(trials[1:], (2.0, 3.0, 4.0)):
        report(pbt, trial, 4, loss)
    assert pbt._quantiles()[1] == [1]


def test_a_source_that_finished_before_its_clone_starts_is_not_copied():
    """Copying a finished trial's checkpoint would leave the clone nothing to train."""
    pbt = make_pbt(max_t=6)
    trials = population(pbt)
    assert report(pbt, trials[3], 2, 4.0) == PAUSE  # replacement queued, copying trial 0
    assert pbt._queue[0].source_trial_id == 0
    assert report(pbt, trials[0], 6, 1.0) == STOP  # trial 0 finishes before a worker is free
    pbt.on_trial_remove(trials[0])
    report(pbt, trials[1], 3, 2.0)  # the ranking is now 1 < 2
    suggestion = pbt.suggest(4)
    assert suggestion.checkpoint_trial_id == 1  # the current top trial instead
    assert pbt._pending[4].source_resource == 3


def test_max_resource_attr_reads_the_limit_from_the_config():
    pbt = make_pbt(max_t=None, max_resource_attr="epochs", perturbation_interval=100)
    trial = start(pbt, 0)
    assert report(pbt, trial, 19, 1.0) == CONTINUE
    assert report(pbt, trial, 20, 1.0) == STOP


def test_explore_perturbs_within_the_domain():
    pbt = make_pbt(resample_probability=0.0)
    config = {
        "lr": 0.01,
        "wd": 0.9,
        "layers": 8,
        "act": "gelu",
        "bs": 32,
        "drop": 0.2,
        "epochs": 20,
    }
    seen = {name: set() for name in config}
    for _ in range(200):
        new = pbt.explore(config)
        assert is_valid_config(new, SPACE)
        for name, value in new.items():
            seen[name].add(round(value, 9) if isinstance(value, float) else value)
    assert seen["lr"] == {0.008, 0.012}
    assert seen["wd"] == {0.72, 1.0}  # 0.9 * 1.2 is clipped to the upper bound
    assert seen["layers"] == {6, 8}  # 8 * 1.2 clipped; 8 * 0.8 rounds to 6
    assert seen["act"] == {"tanh", "elu"}  # neighbours of "gelu"
    assert seen["bs"] == {16, 64}
    assert seen["drop"] == {0.1, 0.3}
    assert seen["epochs"] == {20}


def test_explore_moves_small_integers_and_clips_categories_at_the_ends():
    pbt = make_pbt(resample_probability=0.0)
    config = {
        "lr": 1.0,
        "wd": 0.0,
        "layers": 1,
        "act": "relu",
        "bs": 128,
        "drop": 0.5,
        "epochs": 20,
    }
    news = [pbt.explore(config) for _ in range(100)]
    assert {n["layers"] for n in news} == {1, 2}  # 1 * 1.2 would round back to 1
    assert {n["act"] for n in news} == {"relu", "tanh"}
    assert {n["bs"] for n in news} == {64, 128}
    assert {round(n["lr"], 9) for n in news} == {0.8, 1.0}
    assert {n["wd"] for n in news} == {0.0}


def test_resample_probability_one_resamples_every_hyperparameter():
    pbt = make_pbt(resample_probability=1.0)
    config = {
        "lr": 0.01,
        "wd": 0.5,
        "layers": 4,
        "act": "gelu",
        "bs": 32,
        "drop": 0.2,
        "epochs": 20,
    }
    news = [pbt.explore(config) for _ in range(300)]
    assert all(is_valid_config(n, SPACE) for n in news)
    wd = [n["wd"] for n in news]
    assert not {round(v, 9) for v in wd} & {0.4, 0.6}  # never a perturbation
    assert min(wd) < 0.1 and max(wd) > 0.9
    assert {n["act"] for n in news} == {
        "relu",
        "tanh",
        "gelu",
        "elu",
        "selu",
    }  # not only neighbours
    assert {n["layers"] for n in news} == set(range(1, 9))


def test_custom_explore_fn_replaces_the_built_in_explore():
    calls = []

    def explore(config):
        calls.append(dict(config))
        return {**config, "wd": 0.123}

    pbt = make_pbt(custom_explore_fn=explore)
    trials = population(pbt)
    assert report(pbt, trials[3], 2, 4.0) == PAUSE
    suggestion = pbt.suggest(4)
    assert calls == [trials[0].config]
    assert suggestion.config == {**trials[0].config, "wd": 0.123}
    assert suggestion.checkpoint_trial_id == 0


def test_same_seed_same_decisions():
    def run(seed):
        pbt = make_pbt(quantile_fraction=0.5, random_seed=seed)
        trials = population(pbt)
        report(pbt, trials[3], 2, 4.0)
        suggestion = pbt.suggest(4)
        return suggestion.checkpoint_trial_id, suggestion.config

    assert run(7) == run(7)


def test_searcher_hears_about_completed_trials():
    searcher = ListSearcher()
    pbt = make_pbt(searcher=searcher)
    trials = population(pbt)
    pbt.on_trial_complete(trials[1], {"epoch": 1, "loss": 2.0})
    pbt.on_trial_error(trials[2])
    assert searcher.completed == [1]
    assert pbt._quantiles() == ([3], [0])  # finished trials left the population


def test_default_random_searcher_by_registered_name_and_pickling():
    assert "random" in synetune.searchers.names()
    pbt = synetune.schedulers.create(
        "pbt",
        config_space=SPACE,
        metric="loss",
        resource_attr="epoch",
        perturbation_interval=2,
        random_seed=1,
    )
    assert isinstance(pbt, PopulationBasedTraining)
    trials = population(pbt)
    assert all(is_valid_config(t.config, SPACE) for t in trials)
    clone = pickle.loads(pickle.dumps(pbt))
    assert report(clone, trials[3], 2, 4.0) == PAUSE
    assert clone.suggest(4).checkpoint_trial_id == 0
    assert pbt.metric_names() == ["loss"] and pbt.metric_mode() == "min"


def test_missing_keys_in_a_result_are_reported_clearly():
    pbt = make_pbt()
    trial = start(pbt, 0)
    with pytest.raises(ValueError, match="'epoch'.*resource_attr"):
        pbt.on_trial_result(trial, {"loss": 1.0})
    with pytest.raises(ValueError, match="'loss'.*metric"):
        pbt.on_trial_result(trial, {"epoch": 1})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "maximise"}, "mode"),
        ({"metric": ["a", "b"]}, "metric"),
        ({"population_size": 0}, "population_size"),
        ({"perturbation_interval": 0}, "perturbation_interval"),
        ({"quantile_fraction": 0.6}, "quantile_fraction"),
        ({"resample_probability": 1.5}, "resample_probability"),
        ({"custom_explore_fn": 3}, "custom_explore_fn"),
        ({"max_resource_attr": "nope"}, "max_resource_attr"),
        ({"max_t": None}, "max_t"),
        ({"config_space": {"x": uniform(1, 0)}}, "'x'"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_pbt(**kwargs)


class TestPopulationBasedTrainingContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return PopulationBasedTraining(
            config_space,
            metric=metric,
            mode=mode,
            resource_attr="epoch",
            max_resource_attr="epochs",
            population_size=3,
            perturbation_interval=2,
            random_seed=random_seed,
        )


TRAIN_COUNTER = """
import argparse, json, os, time
from pathlib import Path
from synetune_sdk import Reporter

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--epochs", type=int)
parser.add_argument("--st_checkpoint_dir", type=str)
args = parser.parse_args()
checkpoint = Path(args.st_checkpoint_dir) / "counter.json"
me = int(Path(args.st_checkpoint_dir).parent.name)  # <path>/<trial_id>/checkpoints
state = {"epoch": 0, "written_by": me}
if checkpoint.exists():
    state = json.loads(checkpoint.read_text())
start_epoch, loaded_from = state["epoch"], state["written_by"]
report = Reporter()
for epoch in range(start_epoch + 1, args.epochs + 1):
    time.sleep(0.05)
    os.makedirs(args.st_checkpoint_dir, exist_ok=True)
    tmp = checkpoint.with_suffix(".tmp")
    tmp.write_text(json.dumps({"epoch": epoch, "written_by": me}))
    os.replace(tmp, checkpoint)
    report(epoch=epoch, loss=(args.lr - 0.7) ** 2, start_epoch=start_epoch, loaded_from=loaded_from)
"""


class RecordingPBT(PopulationBasedTraining):
    """Remembers which checkpoint each suggestion asked the backend to copy."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sources: dict[int, int | None] = {}

    def suggest(self, trial_id):
        suggestion = super().suggest(trial_id)
        if suggestion is not None:
            self.sources[trial_id] = suggestion.checkpoint_trial_id
        return suggestion


class ResultLog(synetune_sdk.Callback):
    def __init__(self):
        self.results: dict[int, list[dict]] = {}

    def on_trial_result(self, trial, status, result, decision):
        self.results.setdefault(trial.trial_id, []).append(dict(result))


def test_new_member_really_starts_from_the_copied_checkpoint(tmp_path, monkeypatch):
    """End to end with the local backend: a replaced trial's successor resumes the top trial's counter."""
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "runs"))
    script = tmp_path / "train_counter.py"
    script.write_text(TRAIN_COUNTER)
    pbt = RecordingPBT(
        config_space={"lr": uniform(0.0, 1.0), "epochs": 12},
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        population_size=2,
        perturbation_interval=2,
        points_to_evaluate=[{"lr": 0.7}, {"lr": 0.05}],
        random_seed=0,
    )
    log = ResultLog()
    tuner = synetune.Tuner(
        trial_backend=synetune.backends.create("local", entry_point=str(script), rotate_gpus=False),
        scheduler=pbt,
        stop_criterion=synetune.StoppingCriterion(max_num_trials_started=4, max_wallclock_time=60),
        n_workers=2,
        sleep_time=0.1,
        callbacks=[log],
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    clones = {trial_id: source for trial_id, source in pbt.sources.items() if source is not None}
    assert clones, f"no trial was replaced; results: {log.results}"
    assert (
        pbt.sources[0] is None and pbt.sources[1] is None
    )  # the population came from the searcher
    for trial_id, source in clones.items():
        first = log.results[trial_id][0]
        # the script found the source's checkpoint in its own folder and went on counting from it
        assert first["loaded_from"] == source
        assert first["start_epoch"] >= 1
        assert first["epoch"] == first["start_epoch"] + 1
        assert first["start_epoch"] <= max(r["epoch"] for r in log.results[source])
        assert tuner.trials[trial_id].config["lr"] != tuner.trials[source].config["lr"]
    # the bad initial trial (lr=0.05) was paused early and replaced by a copy of the good one
    assert clones[min(clones)] == 0
    assert log.results[1][-1]["epoch"] < 12
