#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job: random search over a PyTorch MLP on the digits
# data set with 2 local workers for 3 minutes. Extra arguments go to the launcher.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python examples/digits/launch_random_search.py "$@"
