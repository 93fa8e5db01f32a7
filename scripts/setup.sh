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
# the dashboard plugin's tests drive Debian's headless Chromium (DevTools protocol)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: chromium is missing; install it as root: apt-get install -y chromium" >&2
    exit 1
  fi
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
