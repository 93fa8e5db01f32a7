"""Training script used by ``BackendContract``: reports ``loss`` for ``epochs`` epochs.

Arguments: --epochs N, --sleep S (seconds per epoch), --fail_at E (exit 3 at that epoch),
--st_checkpoint_dir D (the epoch reached is stored there, so a resumed trial continues).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from synetune_sdk.reporter import Reporter

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--sleep", type=float, default=0.0)
parser.add_argument("--fail_at", type=int, default=-1)
parser.add_argument("--x", type=float, default=0.5)
parser.add_argument("--st_checkpoint_dir", type=str, default=None)
args, _ = parser.parse_known_args()

start = 0
state_file = os.path.join(args.st_checkpoint_dir, "state.json") if args.st_checkpoint_dir else None
if state_file and os.path.exists(state_file):
    with open(state_file) as f:
        start = json.load(f)["epoch"]

report = Reporter()
for epoch in range(start + 1, args.epochs + 1):
    if epoch == args.fail_at:
        print(f"contract script fails at epoch {epoch} on purpose", file=sys.stderr)
        sys.exit(3)
    time.sleep(args.sleep)
    if state_file:
        os.makedirs(args.st_checkpoint_dir, exist_ok=True)
        with open(state_file + ".tmp", "w") as f:
            json.dump({"epoch": epoch}, f)
        os.replace(state_file + ".tmp", state_file)
    report(epoch=epoch, loss=(args.x - 0.3) ** 2 + 1.0 / epoch)
