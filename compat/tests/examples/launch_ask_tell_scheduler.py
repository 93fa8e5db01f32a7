"""Syne Tune's ask/tell examples: the user runs the evaluations, the scheduler suggests
configurations (random search, Bayesian optimisation, and ASHA with intermediate results)."""

import logging

import numpy as np
from syne_tune.backend.trial_status import Trial, TrialResult
from syne_tune.config_space import uniform
from syne_tune.optimizer.baselines import ASHA, BayesianOptimization, RandomSearch
from syne_tune.optimizer.scheduler import SchedulerDecision
from syne_tune.optimizer.schedulers.ask_tell_scheduler import AskTellScheduler


def target_function(x, step: int = None, noise: bool = True):
    fx = x * x + np.sin(x)
    if noise:
        sigma = np.cos(x) ** 2 + 0.01
        noise = 0.1 * np.random.normal(loc=x, scale=sigma)
        fx = fx + noise
    if step is not None:
        fx += step * 0.01
    return fx


def get_objective():
    metric = "mean_loss"
    mode = "min"
    max_iterations = 20
    config_space = {
        "x": uniform(-1, 1),
    }
    return metric, mode, config_space, max_iterations


def tune(scheduler_cls) -> TrialResult:
    metric, mode, config_space, max_iterations = get_objective()
    scheduler = AskTellScheduler(
        base_scheduler=scheduler_cls(config_space, metric=metric, mode=mode, random_seed=0)
    )
    for _ in range(max_iterations):
        trial_suggestion = scheduler.ask()
        test_result = target_function(**trial_suggestion.config)
        scheduler.tell(trial_suggestion, {metric: test_result})
    return scheduler.best_trial(metric)


def run_hyperband_step(scheduler: AskTellScheduler, trial_suggestion: Trial, max_steps, metric):
    for step in range(1, max_steps):
        test_result = target_function(**trial_suggestion.config, step=step)
        decision = scheduler.bscheduler.on_trial_result(
            trial_suggestion, {metric: test_result, "epoch": step}
        )
        if decision == SchedulerDecision.STOP:
            break
    return step, test_result


def tune_with_hyperband() -> TrialResult:
    metric, mode, config_space, max_iterations = get_objective()
    max_steps = 10
    scheduler = AskTellScheduler(
        base_scheduler=ASHA(
            config_space, metric=metric, resource_attr="epoch", max_t=max_steps, mode=mode
        )
    )
    for _ in range(max_iterations):
        trial_suggestion = scheduler.ask()
        final_step, test_result = run_hyperband_step(scheduler, trial_suggestion, max_steps, metric)
        scheduler.tell(trial_suggestion, {metric: test_result, "epoch": final_step})
    return scheduler.best_trial(metric)


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.WARN)
    print("Random:", tune(RandomSearch))
    print("GP:", tune(BayesianOptimization))
    print("Hyperband:", tune_with_hyperband())
