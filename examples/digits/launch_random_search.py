"""The main job: tune the digits MLP with random search on 2 local workers.

Run it from the repository root (``bash examples/run_main.sh`` sets everything up first)::

    python examples/digits/launch_random_search.py --max-wallclock-time 180
"""

from __future__ import annotations

import argparse
from pathlib import Path

import synetune
from synetune import StoppingCriterion, Tuner
from synetune.config_space import choice, loguniform, randint, uniform

CONFIG_SPACE = {
    "lr": loguniform(1e-4, 1e-1),
    "hidden": choice([16, 32, 64, 128, 256]),
    "layers": randint(1, 3),
    "dropout": uniform(0.0, 0.5),
    "batch_size": choice([16, 32, 64, 128]),
    "weight_decay": loguniform(1e-6, 1e-2),
    "epochs": 15,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-wallclock-time", type=float, default=180.0)
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--max-trials", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=CONFIG_SPACE["epochs"])
    args = parser.parse_args()

    entry_point = Path(__file__).with_name("train_digits.py")
    tuner = Tuner(
        trial_backend=synetune.backends.create("local", entry_point=str(entry_point)),
        scheduler=synetune.schedulers.create(
            "random_search",
            config_space=CONFIG_SPACE,
            metric="val_acc",
            mode="max",
            random_seed=args.seed,
        ),
        stop_criterion=StoppingCriterion(
            max_wallclock_time=args.max_wallclock_time, max_num_trials_started=args.max_trials
        ),
        n_workers=args.n_workers,
        tuner_name="digits-random-search",
        print_update_interval=15,
    )
    tuner.run()
    trial_id, config = tuner.best_config()
    best = synetune.load_experiment(tuner.tuner_path).best_trial()
    print(f"\nbest trial: {trial_id} with val_acc={best['val_acc']:.4f}")
    print("best configuration:", {k: v for k, v in config.items()})
    print(
        f"results: {tuner.tuner_path}/results.csv.zip (load with synetune.load_experiment({tuner.name!r}))"
    )


if __name__ == "__main__":
    main()
