"""--executor ray: each combination as a Ray task, on a local Ray cluster of this process."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from synetune_plugin_study import run_study

ray = pytest.importorskip("ray")


@pytest.fixture
def ray_cluster(monkeypatch):
    # a cluster owned by this process (ray.shutdown stops it and nothing else on the machine)
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    started = not ray.is_initialized()
    if started:  # a short temp dir: Ray's socket paths must stay under 108 bytes
        with tempfile.TemporaryDirectory(prefix="ray-") as folder:
            ray.init(num_cpus=2, include_dashboard=False, logging_level="warning", _temp_dir=folder)
            yield ray
            ray.shutdown()
    else:
        yield ray


def test_study_runs_as_ray_tasks(tmp_path, synetune_folder, ray_cluster):
    path = tmp_path / "ray.toml"
    path.write_text(
        'name = "on-ray"\nseeds = [0, 1]\nbenchmarks = ["branin"]\n'
        '[methods]\nRS = "random_search"\nREA = "rea"\n[stop]\nmax_num_trials_finished = 5\n'
    )
    run = run_study(path, executor="ray")
    assert run.finished == 4 and not run.failed, run.failed
    pids = set()
    for name in run.markers:
        marker = json.loads((synetune_folder / name / "study.json").read_text())
        assert marker["status"] == "finished"
        metadata = json.loads((synetune_folder / name / "metadata.json").read_text())
        assert metadata["study"] == "on-ray"
        pids.add(marker.get("pid"))
    assert os.getpid() not in pids  # ran in Ray's worker processes, not in this one
    again = run_study(path, executor="ray")
    assert again.skipped == 4 and again.finished == 0
