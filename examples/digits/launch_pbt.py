"""Tune the digits MLP's learning rate and dropout with population based training.

Members that fall into the bottom quantile are replaced by a mutated copy of a top member,
which continues from a copy of that member's checkpoint.

    python examples/digits/launch_pbt.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import loguniform, uniform

CONFIG_SPACE = {
    "lr": loguniform(1e-4, 1e-1),
    "dropout": uniform(0.0, 0.5),
    "hidden": 128,
    "layers": 2,
    "epochs": 30,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-wallclock-time", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=CONFIG_SPACE["epochs"])
    args = parser.parse_args()

    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "local", entry_point=str(Path(__file__).with_name("train_digits.py"))
        ),
        scheduler=synetune.schedulers.create(
            "pbt",
            config_space={**CONFIG_SPACE, "epochs": args.epochs},
            metric="val_acc",
            mode="max",
            resource_attr="epoch",
            max_t=args.epochs,
            population_size=4,
            perturbation_interval=5,
            random_seed=args.seed,
        ),
        stop_criterion=StoppingCriterion(max_wallclock_time=args.max_wallclock_time),
        n_workers=2,
        tuner_name="digits-pbt",
        print_update_interval=15,
    )
    tuner.run()
    trial_id, config = tuner.best_config()
    print(f"\nbest trial {trial_id}: {config}\nresults: {tuner.tuner_path}")


if __name__ == "__main__":
    main()
