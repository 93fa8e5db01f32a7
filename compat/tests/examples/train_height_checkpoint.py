"""The height example with checkpointing (for pause/resume and PBT), with syne_tune.utils."""

import json
import os
import time
from argparse import ArgumentParser

from syne_tune import Reporter
from syne_tune.constants import ST_CHECKPOINT_DIR
from syne_tune.utils import (
    add_checkpointing_to_argparse,
    checkpoint_model_at_rung_level,
    resume_from_checkpointed_model,
)


def load_model_fn(local_path: str) -> int:
    with open(os.path.join(local_path, "checkpoint.json")) as f:
        return json.load(f)["epoch"]


def save_model_fn(local_path: str, epoch: int) -> None:
    os.makedirs(local_path, exist_ok=True)
    with open(os.path.join(local_path, "checkpoint.json"), "w") as f:
        json.dump({"epoch": epoch}, f)


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("--steps", type=int)
    parser.add_argument("--width", type=float)
    parser.add_argument("--height", type=float)
    parser.add_argument("--sleep_time", type=float, default=0.01)
    add_checkpointing_to_argparse(parser)

    args, _ = parser.parse_known_args()
    config = vars(args)
    assert ST_CHECKPOINT_DIR in config
    report = Reporter()

    resume_from = resume_from_checkpointed_model(config, load_model_fn)
    for epoch in range(resume_from + 1, args.steps + 1):
        dummy_score = (0.1 + args.width * epoch / 100) ** (-1) + args.height * 0.1
        checkpoint_model_at_rung_level(config, save_model_fn, epoch)
        report(epoch=epoch, mean_loss=dummy_score, resumed_from=resume_from)
        time.sleep(args.sleep_time)
