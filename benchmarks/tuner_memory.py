"""Memory per result: how the tuner's resident memory grows over a long simulated run.

Replays the digits-mlp table on the simulator (4 workers, random search by default, so that the
scheduler keeps almost nothing per result and the growth is the tuner's own) and prints the
resident memory before and after, the growth per result, and what a million results would take.
Target: a million-result simulation fits in 500 MB.

    python benchmarks/tuner_memory.py --trials 20000
    python benchmarks/tuner_memory.py --trials 20000 --scheduler asha
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20000)
    parser.add_argument("--scheduler", default="random_search")
    args = parser.parse_args()
    os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="synetune-memory-"))
    import synetune
    from synetune import StoppingCriterion, Tuner

    blackbox = synetune.blackboxes.load("digits-mlp")
    space = blackbox.configuration_space_with_max_resource_attr("epochs")
    options = {"resource_attr": "epoch", "max_resource_attr": "epochs"}
    if args.scheduler == "random_search":
        options = {}
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="elapsed_time",
            max_resource_attr="epochs",
        ),
        scheduler=synetune.schedulers.create(
            args.scheduler,
            config_space=space,
            metric="val_error",
            mode="min",
            search_options={"allow_duplicates": True},
            random_seed=0,
            **options,
        ),
        stop_criterion=StoppingCriterion(max_num_trials_started=args.trials),
        n_workers=4,
        sleep_time=0.0,
        tuner_name="memory",
        save_tuner=False,
        results_update_interval=3600,
        print_update_interval=3600,
        verbose="quiet",
    )
    before = rss_bytes()
    start = time.perf_counter()
    tuner.run()
    seconds = time.perf_counter() - start
    after = rss_bytes()
    results = tuner.tuning_status.num_results
    per_result = (after - before) / max(results, 1)
    print(
        json.dumps(
            {
                "scheduler": args.scheduler,
                "results": results,
                "seconds": round(seconds, 1),
                "rss_before_mb": round(before / 2**20),
                "rss_after_mb": round(after / 2**20),
                "bytes_per_result": round(per_result),
                "projected_mb_at_1m_results": round((before + per_result * 1e6) / 2**20),
            }
        )
    )


if __name__ == "__main__":
    main()
