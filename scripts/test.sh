#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every test of the sdk, the kernel, the plugins and the
# examples, with plugin errors re-raised (SYNETUNE_STRICT_PLUGINS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SYNETUNE_STRICT_PLUGINS=1
exec .venv/bin/python -m pytest -q "$@"
