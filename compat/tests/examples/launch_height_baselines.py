"""Syne Tune's launch_height_baselines example: each baseline on the height script for a few
trials, two workers."""

import logging
from pathlib import Path

from syne_tune import StoppingCriterion, Tuner
from syne_tune.backend import LocalBackend
from syne_tune.config_space import randint
from syne_tune.optimizer.baselines import (
    ASHA,
    MOBSTER,
    BayesianOptimization,
    PopulationBasedTraining,
    RandomSearch,
)

random_seed = 31415927
max_steps = 5
n_workers = 2

config_space = {
    "steps": max_steps,
    "width": randint(0, 20),
    "height": randint(-100, 100),
}
entry_point = Path(__file__).parent / "train_height.py"
checkpoint_entry_point = Path(__file__).parent / "train_height_checkpoint.py"
mode = "min"
metric = "mean_loss"


def make_scheduler(name: str):
    if name == "RandomSearch":
        return RandomSearch(config_space, metric=metric, mode=mode, random_seed=random_seed)
    if name == "BayesianOptimization":
        # example of setting additional kwargs arguments
        return BayesianOptimization(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            search_options={"num_init_random": n_workers + 1},
        )
    if name == "ASHA":
        return ASHA(
            config_space,
            metric=metric,
            resource_attr="epoch",
            max_t=max_steps,
            mode=mode,
            random_seed=random_seed,
        )
    if name == "ASHA-promotion":
        return ASHA(
            config_space,
            metric=metric,
            resource_attr="epoch",
            max_resource_attr="steps",
            type="promotion",
            grace_period=1,
            reduction_factor=2,
            mode=mode,
            random_seed=random_seed,
        )
    if name == "MOBSTER":
        return MOBSTER(
            config_space,
            metric=metric,
            resource_attr="epoch",
            max_t=max_steps,
            mode=mode,
            random_seed=random_seed,
        )
    if name == "PopulationBasedTraining":
        # trials run past max_t, so that one started from a copied checkpoint has epochs left,
        # and slowly enough to be compared with each other at each perturbation
        return PopulationBasedTraining(
            config_space=dict(config_space, steps=2 * max_steps, sleep_time=0.25),
            metric=metric,
            resource_attr="epoch",
            max_t=max_steps,
            population_size=2,
            perturbation_interval=1,
            quantile_fraction=0.5,
            mode=mode,
            random_seed=random_seed,
        )
    raise ValueError(name)


def run(name: str, max_num_trials_started: int = 4):
    scheduler = make_scheduler(name)
    # promotion-type ASHA and PBT resume trials from checkpoints
    script = (
        entry_point
        if name in ("RandomSearch", "BayesianOptimization", "ASHA", "MOBSTER")
        else checkpoint_entry_point
    )
    trial_backend = LocalBackend(entry_point=str(script))
    stop_criterion = StoppingCriterion(
        max_num_trials_started=max_num_trials_started, max_wallclock_time=60
    )
    tuner = Tuner(
        trial_backend=trial_backend,
        scheduler=scheduler,
        stop_criterion=stop_criterion,
        n_workers=n_workers,
        sleep_time=0.05,
        wait_trial_completion_when_stopping=True,
    )
    tuner.run()
    return tuner


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    for name in ["RandomSearch", "BayesianOptimization", "ASHA", "MOBSTER"]:
        print(f"running scheduler {name}")
        run(name)
