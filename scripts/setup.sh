#!/usr/bin/env bash
# Create .venv (if missing) and install torch (CPU), the sdk, the kernel, every in-repo plugin
# and the test tools from requirements-dev.txt. Safe to run again: pip skips what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
.venv/bin/python -m pip install -q -r requirements-dev.txt
# the third-party example is installed like any user's package (not editable)
.venv/bin/python -m pip install -q ./examples/third_party_scheduler
