"""A Syne Tune launcher for BOHB, REA and MOASHA on the simulated ``branin-lc`` blackbox
(learning curves over 81 epochs, ``elapsed_time`` per epoch), written against Syne Tune 0.13's
API only: MOASHA trades off the objective ``y`` against the cost ``elapsed_time``."""

import logging

from syne_tune import StoppingCriterion, Tuner
from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
from syne_tune.blackbox_repository import BlackboxRepositoryBackend, load_blackbox
from syne_tune.optimizer.baselines import BOHB, MOASHA, REA

n_workers = 4
blackbox_name = "branin-lc"
max_resource_attr = "epochs"
random_seed = 31415927


def make_scheduler(name: str, blackbox):
    config_space = blackbox.configuration_space_with_max_resource_attr(max_resource_attr)
    resource_attr = blackbox.fidelity_name()
    if name == "BOHB":
        return BOHB(
            config_space,
            metric="y",
            resource_attr=resource_attr,
            max_resource_attr=max_resource_attr,
            mode="min",
            random_seed=random_seed,
        )
    if name == "REA":
        return REA(
            config_space,
            metric="y",
            population_size=8,
            sample_size=3,
            mode="min",
            random_seed=random_seed,
        )
    if name == "MOASHA":
        return MOASHA(
            config_space,
            metrics=["y", "elapsed_time"],
            mode=["min", "min"],
            time_attr=resource_attr,
            max_t=int(max(blackbox.fidelity_values())),
            grace_period=1,
            reduction_factor=3,
        )
    raise ValueError(name)


def run(name: str, max_wallclock_time: float = 300):
    blackbox = load_blackbox(blackbox_name)
    trial_backend = BlackboxRepositoryBackend(
        blackbox_name=blackbox_name, elapsed_time_attr="elapsed_time"
    )
    tuner = Tuner(
        trial_backend=trial_backend,
        scheduler=make_scheduler(name, blackbox),
        stop_criterion=StoppingCriterion(max_wallclock_time=max_wallclock_time),
        n_workers=n_workers,
        sleep_time=0,
        callbacks=[SimulatorCallback()],
    )
    tuner.run()
    return tuner


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    for name in ("BOHB", "REA", "MOASHA"):
        run(name)
