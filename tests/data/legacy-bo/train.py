import argparse, time
from synetune_sdk import Reporter
p = argparse.ArgumentParser()
p.add_argument("--x", type=float); p.add_argument("--epochs", type=int)
p.add_argument("--st_checkpoint_dir", default=None)
a, _ = p.parse_known_args()
r = Reporter()
for e in range(1, a.epochs + 1):
    r(epoch=e, loss=(a.x - 0.3) ** 2 + 1.0 / e)
