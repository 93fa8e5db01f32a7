"""Syne Tune's launch_simulated_benchmark example on synetune's analytic ``branin-lc``
blackbox (learning curves over 81 epochs, ``elapsed_time`` per epoch): ASHA on simulated time,
once by name (BlackboxRepositoryBackend) and once with the blackbox object
(UserBlackboxBackend)."""

import logging

from syne_tune import StoppingCriterion, Tuner
from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
from syne_tune.blackbox_repository import (
    BlackboxRepositoryBackend,
    UserBlackboxBackend,
    load_blackbox,
)
from syne_tune.optimizer.baselines import ASHA

n_workers = 4


def simulate_benchmark(blackbox, trial_backend, metric, max_wallclock_time=600):
    # Asynchronous successive halving
    max_resource_attr = "epochs"
    scheduler = ASHA(
        config_space=blackbox.configuration_space_with_max_resource_attr(max_resource_attr),
        max_resource_attr=max_resource_attr,
        resource_attr=blackbox.fidelity_name(),
        metric=metric,
        random_seed=31415927,
    )

    stop_criterion = StoppingCriterion(max_wallclock_time=max_wallclock_time)

    # Syne Tune needs ``sleep_time=0`` and the SimulatorCallback here; on synetune both are
    # accepted and the simulator keeps the time itself
    tuner = Tuner(
        trial_backend=trial_backend,
        scheduler=scheduler,
        stop_criterion=stop_criterion,
        n_workers=n_workers,
        sleep_time=0,
        callbacks=[SimulatorCallback()],
    )
    tuner.run()
    return tuner


def by_name(max_wallclock_time=600):
    blackbox_name, metric = "branin-lc", "y"
    elapsed_time_attr = "elapsed_time"
    blackbox = load_blackbox(blackbox_name)
    trial_backend = BlackboxRepositoryBackend(
        blackbox_name=blackbox_name,
        elapsed_time_attr=elapsed_time_attr,
    )
    return simulate_benchmark(blackbox, trial_backend, metric, max_wallclock_time)


def user_blackbox(max_wallclock_time=600):
    blackbox = load_blackbox("branin-lc")
    trial_backend = UserBlackboxBackend(blackbox=blackbox, elapsed_time_attr="elapsed_time")
    return simulate_benchmark(blackbox, trial_backend, "y", max_wallclock_time)


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    by_name()
    user_blackbox()
