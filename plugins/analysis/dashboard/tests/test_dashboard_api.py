"""The dashboard's JSON endpoints against real runs: the experiments list and statuses, the trial
table against results.csv.zip, incremental reads from a byte offset, the analyses, comparison,
trial files, and that no crafted path reads anything outside the folder."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def get(base: str, path: str) -> tuple[int, bytes]:
    """Status and body of GET ``path`` sent exactly as written (no normalisation of ``..``)."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get_json(base: str, path: str):
    status, body = get(base, path)
    assert status == 200, (path, status, body[:200])
    return json.loads(body)


def results_of(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / name / "results.csv.zip")


def copy_experiment(root: Path, name: str, new_name: str) -> Path:
    target = root / new_name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(root / name, target, ignore=shutil.ignore_patterns(".synetune.lock"))
    return target


def test_experiments_list_has_status_method_best_and_counts(experiments_root, dashboard):
    root, names = experiments_root
    listed = {row["name"]: row for row in get_json(dashboard, "/api/experiments")["experiments"]}
    assert {names["asha"], names["random"], "live-run"} <= set(listed)
    assert "blackbox-repository" not in listed  # a folder without an experiment
    assert listed["live-run"]["status"] == "running"
    for key, method in (("asha", "asha"), ("random", "fifo")):
        row = listed[names[key]]
        df = results_of(root, names[key])
        assert row["status"] == "finished"
        assert row["method"] == method
        assert row["metrics"] == ["val_error"] and row["modes"] == ["min"]
        assert row["best"] == pytest.approx(df["val_error"].min())
        assert row["results"] == len(df)
        assert row["trials"] == df["trial_id"].nunique()
        assert row["metadata"]["seed"] in (1, 2)


def test_trial_table_matches_results_csv(experiments_root, dashboard):
    root, names = experiments_root
    name = names["asha"]
    df = results_of(root, name)
    table = get_json(dashboard, f"/api/experiments/{name}/trials")["trials"]
    by_id = {row["trial_id"]: row for row in table}
    assert set(by_id) == set(df["trial_id"])
    for trial_id, group in df.groupby("trial_id"):
        row = by_id[trial_id]
        assert row["results"] == len(group)
        assert row["last"]["val_error"] == pytest.approx(group["val_error"].iloc[-1])
        assert row["best"]["val_error"] == pytest.approx(group["val_error"].min())
        assert row["resource"] == group["epoch"].max()
        assert row["runtime"] == pytest.approx(group["st_worker_time"].iloc[-1])
        assert row["config"]["batch_size"] == group["config_batch_size"].iloc[0]
    statuses = {row["status"] for row in table}
    assert statuses <= {"Completed", "Stopped"} and "Stopped" in statuses  # ASHA stopped some


def test_snapshot_then_incremental_reads_from_an_offset(experiments_root, dashboard):
    root, names = experiments_root
    folder = copy_experiment(root, names["random"], "appended")
    snapshot = get_json(dashboard, "/api/experiments/appended/data")
    events = folder / "events.jsonl"
    assert snapshot["offset"] == events.stat().st_size
    assert len(snapshot["results"]["trial"]) == len(results_of(root, "appended"))
    nothing = get_json(dashboard, f"/api/experiments/appended/events?since={snapshot['offset']}")
    assert nothing["results"]["trial"] == [] and nothing["offset"] == snapshot["offset"]

    new_trial = {"event": "trial", "trial_id": 999, "config": {"batch_size": 64}}
    result = {
        "val_error": 0.001,
        "st_worker_iter": 0,
        "st_worker_time": 1.5,
        "st_worker_cost": 0.25,
    }
    new_result = {
        "event": "result",
        "seq": 10**6,
        "trial_id": 999,
        "run": 1,
        "result": result,
        "st_tuner_time": 12.5,
    }
    with open(events, "a") as f:
        f.write(json.dumps(new_trial) + "\n" + json.dumps(new_result) + "\n")
        f.write('{"event": "status", "trial_id": 999, "sta')  # a line still being written
    delta = get_json(dashboard, f"/api/experiments/appended/events?since={snapshot['offset']}")
    assert delta["trials"] == [[999, {"batch_size": 64}, None]]
    assert delta["results"]["trial"] == [999]
    assert delta["results"]["metrics"]["val_error"] == [0.001]
    assert delta["results"]["cost"] == [0.25] and delta["results"]["resource"] == [1.0]
    assert delta["status"] == []  # the torn line waits until it is complete
    assert delta["experiment"]["best"] == 0.001
    with open(events, "a") as f:
        f.write('tus": "Completed", "st_tuner_time": 13.0}\n')
    rest = get_json(dashboard, f"/api/experiments/appended/events?since={delta['offset']}")
    assert rest["status"] == [[999, "Completed", 13.0, None]]
    assert rest["offset"] == events.stat().st_size
    # an offset inside a line is refused rather than parsed from the middle
    status, _ = get(dashboard, f"/api/experiments/appended/events?since={delta['offset'] + 3}")
    assert status == 404
    rows = {
        r["trial_id"]: r for r in get_json(dashboard, "/api/experiments/appended/trials")["trials"]
    }
    assert rows[999]["status"] == "Completed" and rows[999]["cost"] == 0.25


def test_interrupted_when_trials_were_left_in_progress(experiments_root, dashboard):
    root, names = experiments_root
    folder = copy_experiment(root, names["random"], "killed")
    events = folder / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    last_status = max(i for i, line in enumerate(lines) if b'"event": "status"' in line)
    events.write_bytes(b"".join(lines[:last_status]))  # as if killed before the trial ended
    assert get_json(dashboard, "/api/experiments/killed")["status"] == "interrupted"


@pytest.mark.parametrize(
    "path",
    [
        "/api/experiments/../../../etc/passwd",
        "/api/experiments/..%2F..%2F..%2Fetc%2Fpasswd/data",
        "/api/experiments/%2e%2e/data",
        "/api/experiments/..",
        "/api/experiments/.hidden/data",
        "/api/experiments/%2Fetc/data",
        "/api/experiments/{asha}/trials/../../../../etc/passwd",
        "/api/experiments/{asha}/trials/..%2F..%2F..%2Fetc/std.out",
        "/api/experiments/{asha}/trials/0/..%2Fmetadata.json",
        "/api/experiments/{asha}/trials/0/tuner.dill",
        "/api/experiments/{asha}/trials/-1/std.out",
        "/api/experiments/{asha}/events?since=abc",
        "/static/../server.py",
        "/static/..%2Fserver.py",
        "/api/experiments/outside/data",
        "/nothing",
    ],
)
def test_crafted_paths_get_404(experiments_root, dashboard, path):
    root, names = experiments_root
    outside = root.parent / "outside-experiment"
    outside.mkdir(exist_ok=True)
    (outside / "metadata.json").write_text("{}")
    if not (root / "outside").exists():
        (root / "outside").symlink_to(outside)  # a link out of the folder is not followed
    status, body = get(dashboard, path.replace("{asha}", names["asha"]))
    assert status == 404, body[:200]
    assert b"root:" not in body


def test_trial_files_of_a_local_run_and_logged_configs_of_a_simulated_one(
    experiments_root, dashboard
):
    root, names = experiments_root
    status, body = get(dashboard, "/api/experiments/live-run/trials/0/std.out")
    assert status == 200 and b"training with lr" in body
    config = get_json(dashboard, "/api/experiments/live-run/trials/0/config.json")
    assert set(config) >= {"lr", "epochs"}
    simulated = get_json(dashboard, f"/api/experiments/{names['asha']}/trials/0/config.json")
    df = results_of(root, names["asha"])
    assert simulated["batch_size"] == df[df.trial_id == 0]["config_batch_size"].iloc[0]
    status, _ = get(dashboard, f"/api/experiments/{names['asha']}/trials/0/std.out")
    assert status == 404  # the simulator writes no trial files


def test_analysis_rungs_and_importance(experiments_root, dashboard):
    root, names = experiments_root
    analysis = get_json(dashboard, f"/api/experiments/{names['asha']}/analysis")
    df = results_of(root, names["asha"])
    rungs = analysis["rungs"]
    top = df.groupby("trial_id")["epoch"].max()
    assert rungs["levels"][-1] == 27
    assert rungs["reached"] == [int((top >= level).sum()) for level in rungs["levels"]]
    assert sum(rungs["at"]) == len(top)
    importance = analysis["importance"]["importance"]
    assert {row["name"] for row in importance} == {
        "learning_rate_init",
        "alpha",
        "batch_size",
        "num_layers",
        "num_units",
        "activation",
    }
    assert all(0.0 <= row["importance"] <= 1.0 for row in importance)
    assert analysis["pareto"] is None  # one metric
    random = get_json(dashboard, f"/api/experiments/{names['random']}/analysis")
    assert random["rungs"] is None  # FIFO has no rungs


def test_importance_finds_the_hyperparameter_that_matters():
    from synetune_plugin_dashboard.analysis import importance
    from synetune_plugin_dashboard.state import ExperimentState, parse_events

    rng = np.random.default_rng(0)
    state = ExperimentState(Path("unused"))
    state.metadata = {"metric_names": ["loss"], "metric_mode": "min"}
    lines = []
    for trial_id in range(300):
        config = {
            "x": float(rng.uniform()),
            "noise": float(rng.uniform()),
            "c": ["a", "b"][trial_id % 2],
        }
        loss = 10 * config["x"] + 0.1 * rng.normal()
        lines.append({"event": "trial", "trial_id": trial_id, "config": config})
        lines.append(
            {
                "event": "result",
                "seq": trial_id,
                "trial_id": trial_id,
                "result": {"loss": loss},
                "st_tuner_time": float(trial_id),
            }
        )
    delta = parse_events("\n".join(map(json.dumps, lines)).encode() + b"\n", ["loss"], None)
    state.data = delta
    state._summarise(delta, ["min"])
    rows = {row["name"]: row for row in importance(state)["importance"]}
    assert rows["x"]["importance"] > 0.8 > 0.1 > rows["noise"]["importance"]
    assert rows["x"]["spearman"] > 0.9
    assert rows["c"]["spearman"] is None and rows["c"]["importance"] < 0.1


def test_pareto_front_and_hypervolume_against_brute_force():
    from synetune_plugin_dashboard.analysis import _hypervolume_2d, _pareto_mask

    rng = np.random.default_rng(1)
    y = rng.uniform(size=(200, 2))
    mask = _pareto_mask(y)
    dominated = [
        any((y[j] <= y[i]).all() and (y[j] < y[i]).any() for j in range(len(y)))
        for i in range(len(y))
    ]
    assert list(mask) == [not d for d in dominated]
    reference = np.array([1.1, 1.1])
    grid = np.stack(np.meshgrid(*[np.linspace(0, 1.1, 400)] * 2), -1).reshape(-1, 2)
    covered = (grid[:, None, :] >= y[mask][None, :, :]).all(-1).any(-1).mean() * 1.1**2
    assert _hypervolume_2d(y[mask], reference) == pytest.approx(covered, rel=0.02)


def test_compare_groups_by_method(experiments_root, dashboard):
    _, names = experiments_root
    both = f"{names['asha']},{names['random']}"
    data = get_json(dashboard, f"/api/compare?names={both}")
    assert data["metric"] == "val_error" and data["time_label"] == "simulated time (s)"
    assert sorted(m["method"] for m in data["methods"]) == ["asha", "fifo"]
    for method in data["methods"]:
        assert method["runs"] == 1 and len(method["times"]) == len(method["center"])
        finite = [v for v in method["center"] if v is not None]
        assert finite == sorted(finite, reverse=True)  # best so far never gets worse
    status, _ = get(dashboard, "/api/compare?names=../etc")
    assert status == 404


def test_command_line(experiments_root, tmp_path):
    from click.testing import CliRunner

    from synetune.plugin_api import cli

    runner = CliRunner()
    help_text = runner.invoke(cli(), ["dashboard", "--help"]).output
    for option in ("--folder", "--host", "--port", "--open"):
        assert option in help_text
    missing = runner.invoke(cli(), ["dashboard", "--folder", str(tmp_path / "missing")])
    assert missing.exit_code != 0 and "is not a folder" in missing.output


def test_requests_naming_another_host_are_refused(dashboard):
    parts = urllib.parse.urlsplit(dashboard)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", "/api/experiments", headers={"Host": "evil.example:80"})
        assert connection.getresponse().status == 403  # DNS rebinding
    finally:
        connection.close()
    assert get(dashboard, "/api/experiments")[0] == 200


def test_pareto_front_of_a_two_metric_experiment(experiments_root, dashboard):
    root, _ = experiments_root
    folder = root / "two-metrics"
    folder.mkdir(exist_ok=True)
    metadata = {"metric_names": ["error", "latency"], "metric_mode": ["min", "max"]}
    (folder / "metadata.json").write_text(json.dumps(metadata))
    points = {0: (0.1, 5.0), 1: (0.2, 9.0), 2: (0.3, 4.0), 3: (0.05, 1.0), 4: (0.2, 8.0)}
    lines = []
    for seq, (trial_id, (error, latency)) in enumerate(points.items()):
        lines.append({"event": "trial", "trial_id": trial_id, "config": {"x": trial_id}})
        result = {"error": error, "latency": latency}
        lines.append(
            {
                "event": "result",
                "seq": seq,
                "trial_id": trial_id,
                "result": result,
                "st_tuner_time": float(seq),
            }
        )
    (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    pareto = get_json(dashboard, "/api/experiments/two-metrics/analysis")["pareto"]
    # minimise error, maximise latency: 2 is dominated by 0, 4 by 1
    assert sorted(pareto["front"]) == [0, 1, 3]
    assert pareto["modes"] == ["min", "max"] and len(pareto["points"]) == 5
    assert pareto["hypervolume"] > 0


def test_synetune_dashboard_command_serves_until_interrupted(experiments_root):
    root, names = experiments_root
    synetune = Path(sys.executable).with_name("synetune")
    process = subprocess.Popen(
        [str(synetune), "dashboard", "--folder", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SYNETUNE_STRICT_PLUGINS": "1"},
    )
    try:
        line = process.stdout.readline()
        assert f"synetune dashboard: {root} at http://127.0.0.1:" in line
        url = line.split(" at ")[1].split()[0]
        listed = [row["name"] for row in get_json(url, "/api/experiments")["experiments"]]
        assert names["asha"] in listed
        assert get(url, "/")[1].startswith(b"<!doctype html>")
        assert b"class Axes" in get(url, "/static/charts.js")[1]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        process.stdout.close()
