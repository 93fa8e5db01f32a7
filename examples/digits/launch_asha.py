"""Tune the digits MLP with ASHA on 2 local workers (early stopping, or pause-and-resume).

python examples/digits/launch_asha.py                      # type="stopping"
python examples/digits/launch_asha.py --type promotion     # pause at rungs, resume from checkpoints
"""

from __future__ import annotations

import argparse
from pathlib import Path

from launch_random_search import CONFIG_SPACE

import synetune
from synetune import StoppingCriterion, Tuner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--type", choices=["stopping", "promotion"], default="stopping")
    parser.add_argument("--max-wallclock-time", type=float, default=180.0)
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=CONFIG_SPACE["epochs"])
    parser.add_argument("--max-trials", type=int, default=None)
    args = parser.parse_args()

    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "local", entry_point=str(Path(__file__).with_name("train_digits.py"))
        ),
        scheduler=synetune.schedulers.create(
            "asha",
            config_space={**CONFIG_SPACE, "epochs": args.epochs},
            metric="val_acc",
            mode="max",
            resource_attr="epoch",
            max_resource_attr="epochs",
            type=args.type,
            grace_period=1,
            reduction_factor=3,
            random_seed=args.seed,
        ),
        stop_criterion=StoppingCriterion(
            max_wallclock_time=args.max_wallclock_time, max_num_trials_started=args.max_trials
        ),
        n_workers=args.n_workers,
        tuner_name=f"digits-asha-{args.type}",
        print_update_interval=15,
    )
    tuner.run()
    trial_id, config = tuner.best_config()
    print(f"\nbest trial {trial_id}: {config}\nresults: {tuner.tuner_path}")


if __name__ == "__main__":
    main()
