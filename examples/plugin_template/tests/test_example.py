"""synetune-plugin-example, as installed: it passes the scheduler contract and is listed.

Run after installing the plugin (``pip install -e ".[test]"``): both tests find the scheduler
through the entry point, as users do.
"""

from __future__ import annotations

import json
import subprocess
import sys

import synetune
from synetune_sdk.testing import SchedulerContract

DISTRIBUTION = "synetune-plugin-example"
SCHEDULER = "example"


class TestSchedulerContract(SchedulerContract):
    def make_scheduler(self, config_space, metric, mode, random_seed):
        return synetune.schedulers.create(
            SCHEDULER, config_space=config_space, metric=metric, mode=mode, random_seed=random_seed
        )


def test_listed_by_synetune_plugins():
    out = subprocess.run(
        [sys.executable, "-m", "synetune", "plugins", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    listed = {plugin["name"]: plugin for plugin in json.loads(out.stdout)}
    assert DISTRIBUTION in listed, f"{DISTRIBUTION} is not installed: {sorted(listed)}"
    assert "error" not in listed[DISTRIBUTION], listed[DISTRIBUTION]["error"]
    assert listed[DISTRIBUTION]["provides"] == {"schedulers": [SCHEDULER]}
