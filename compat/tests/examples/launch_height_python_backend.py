"""Syne Tune's launch_height_python_backend example: tune a Python function."""

import logging

from syne_tune import StoppingCriterion, Tuner
from syne_tune.backend import PythonBackend
from syne_tune.config_space import randint
from syne_tune.optimizer.baselines import RandomSearch


def train_height(steps: int, width: float, height: float):
    """Imports go inside the function: it runs in its own process."""
    import time

    from syne_tune import Reporter

    reporter = Reporter()
    for step in range(steps):
        dummy_score = (0.1 + width * step / 100) ** (-1) + height * 0.1
        reporter(step=step, mean_loss=dummy_score, epoch=step + 1)
        time.sleep(0.01)


def run(max_num_trials_started: int = 3):
    max_steps = 5
    n_workers = 2
    config_space = {
        "steps": max_steps,
        "width": randint(0, 20),
        "height": randint(-100, 100),
    }
    scheduler = RandomSearch(config_space, metric="mean_loss", mode="min")
    trial_backend = PythonBackend(tune_function=train_height, config_space=config_space)
    tuner = Tuner(
        trial_backend=trial_backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=max_num_trials_started),
        n_workers=n_workers,
        sleep_time=0.05,
        wait_trial_completion_when_stopping=True,
    )
    tuner.run()
    return tuner


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    run()
