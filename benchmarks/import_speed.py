"""Import and listing costs of the kernel (issue: microkernel speed targets).

Measures, as the median of N fresh interpreters:
* ``python -c "import synetune"`` minus a bare ``python -c "pass"`` (target: <= 0.1 s), and
  checks that numpy, pandas and dill stay out of ``sys.modules``;
* ``from synetune_sdk import Reporter`` minus bare (target: <= 0.03 s);
* ``synetune plugins --json`` wall time with every in-repo plugin installed (target: < 0.5 s),
  and which heavy modules it imported (target: none).

Usage: python benchmarks/import_speed.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

HEAVY = (
    "numpy",
    "pandas",
    "dill",
    "torch",
    "botorch",
    "boto3",
    "sklearn",
    "tensorboardX",
    "ray",
    "scipy",
)


def timed(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    bare = timed([py, "-c", "pass"], args.repeat)
    kernel = timed([py, "-c", "import synetune"], args.repeat)
    sdk = timed([py, "-c", "from synetune_sdk import Reporter"], args.repeat)
    listing = timed([py, "-m", "synetune.cli", "plugins", "--json"], args.repeat)
    probe = (
        "import sys, json, synetune; from synetune import plugins; plugins.list(); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    heavy_after_listing = json.loads(
        subprocess.run([py, "-c", probe], check=True, capture_output=True, text=True).stdout
    )
    heavy_after_import = json.loads(
        subprocess.run(
            [
                py,
                "-c",
                f"import sys, json, synetune; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    n_plugins = len(
        json.loads(
            subprocess.run(
                [py, "-m", "synetune.cli", "plugins", "--json"], capture_output=True, text=True
            ).stdout
        )
    )
    print(f"bare interpreter                       {bare * 1000:7.1f} ms")
    print(
        f"import synetune (over bare)            {(kernel - bare) * 1000:7.1f} ms   target <= 100 ms; heavy modules: {heavy_after_import}"
    )
    print(f"from synetune_sdk import Reporter      {(sdk - bare) * 1000:7.1f} ms   target <= 30 ms")
    print(
        f"synetune plugins --json ({n_plugins} plugins)   {listing * 1000:7.1f} ms   target < 500 ms; heavy modules: {heavy_after_listing}"
    )


if __name__ == "__main__":
    main()
