"""The dashboard in headless Chromium (DevTools protocol): the experiments list, the trial table
against results.csv.zip, results appearing without a reload (appended to a log, and from a
tuner still running), a crafted ``../`` path answered 404, comparison, and a screenshot kept as
a test artifact."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from synetune_plugin_dashboard.browser import Browser

TABLE = """[...document.querySelectorAll('#trials tbody tr')].map(
    tr => [...tr.cells].slice(0, 5).map(td => td.dataset.v))"""


@pytest.fixture(scope="module")
def browser():
    with Browser(width=1400, height=1000) as b:
        yield b


def open_experiment(browser: Browser, base: str, name: str) -> None:
    browser.goto(f"{base}#/exp/{name}")
    browser.wait_for(
        f"window.__dash && window.__dash.page === 'experiment' && window.__dash.drawn > 0 "
        f"&& document.querySelector('#exp-name').textContent === {json.dumps(name)}"
    )


def show(capsys: pytest.CaptureFixture, path) -> None:
    with capsys.disabled():  # printed even when pytest captures output
        print(f"\nscreenshot: {path}")


def test_experiments_list(browser, experiments_root, dashboard, artifact_dir, capsys):
    _, names = experiments_root
    browser.goto(dashboard)
    browser.wait_for(
        "window.__dash && window.__dash.experiments && window.__dash.experiments.length >= 3"
    )
    rows = browser.evaluate(
        """Object.fromEntries([...document.querySelectorAll('#experiments tbody tr')].map(
            tr => [tr.dataset.name, [...tr.cells].slice(2, 4).map(td => td.textContent.trim())]))"""
    )
    assert rows[names["asha"]] == ["finished", "asha"]
    assert rows[names["random"]] == ["finished", "fifo"]
    assert rows["live-run"] == ["running", "fifo"]
    # the filter matches metadata too
    browser.evaluate(
        "(() => { const f = document.querySelector('#filter'); f.value = 'seed=2'; "
        "f.dispatchEvent(new Event('input')); })()"
    )
    shown = browser.evaluate("window.__dash.experiments")
    assert names["random"] in shown and names["asha"] not in shown and "live-run" not in shown
    browser.evaluate(
        "(() => { const f = document.querySelector('#filter'); f.value = 'sim'; "
        "f.dispatchEvent(new Event('input')); })()"
    )
    # select both simulated runs and compare them by method
    for name in (names["asha"], names["random"]):
        browser.evaluate(f"document.querySelector('input[data-name={json.dumps(name)}]').click()")
    browser.evaluate("document.querySelector('#compare').click()")
    assert sorted(browser.wait_for("window.__dash.compared")) == ["asha", "fifo"]
    shot = browser.screenshot(artifact_dir / "dashboard-experiments.png")
    show(capsys, shot)
    assert shot.stat().st_size > 10_000


def test_trial_table_matches_results_csv(
    browser, experiments_root, dashboard, artifact_dir, capsys
):
    root, names = experiments_root
    name = names["asha"]
    open_experiment(browser, dashboard, name)
    browser.evaluate(
        "(() => { const s = document.querySelector('#page-size'); s.value = '0'; "
        "s.dispatchEvent(new Event('change')); })()"
    )
    rows = browser.evaluate(TABLE)
    df = pd.read_csv(root / name / "results.csv.zip")
    expected = []
    for trial_id, group in df.groupby("trial_id"):
        expected.append(
            [trial_id, len(group), group["val_error"].iloc[-1], group["val_error"].min()]
        )
    shown = [[int(r[0]), int(r[2]), float(r[3]), float(r[4])] for r in rows]
    assert len(shown) == len(expected)
    for got, want in zip(shown, expected):
        assert got[:2] == list(want[:2])
        assert got[2:] == pytest.approx(want[2:])
    assert {r[1] for r in rows} <= {"Completed", "Stopped"}
    # sorting by the best value puts the experiment's best first
    browser.evaluate("document.querySelector('#trials th[data-key=best]').click()")
    assert float(browser.evaluate(TABLE)[0][4]) == pytest.approx(df["val_error"].min())
    # the charts and analyses were drawn
    browser.wait_for("document.querySelectorAll('#importance .hbar').length === 6")
    assert browser.evaluate("document.querySelectorAll('#rungs .hbar').length") == 4
    assert browser.evaluate("window.__dash.errors") == []
    shot = browser.screenshot(artifact_dir / "dashboard-experiment.png")
    show(capsys, shot)


def test_appended_result_appears_without_reload(browser, experiments_root, dashboard):
    root, names = experiments_root
    target = root / "growing"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(root / names["random"], target, ignore=shutil.ignore_patterns(".synetune.lock"))
    open_experiment(browser, dashboard, "growing")
    browser.evaluate("window.__notReloaded = true")
    before = browser.evaluate("window.__dash.results")
    trial = {"event": "trial", "trial_id": 777, "config": {"batch_size": 64}}
    result = {
        "event": "result",
        "seq": 10**6,
        "trial_id": 777,
        "run": 1,
        "st_tuner_time": 99.0,
        "result": {"val_error": 0.000123, "st_worker_iter": 0, "st_worker_time": 1.0},
    }
    with open(target / "events.jsonl", "a") as f:
        f.write(json.dumps(trial) + "\n" + json.dumps(result) + "\n")
    browser.evaluate(
        "(() => { const f = document.querySelector('#trial-filter'); f.value = 'trial_id=777'; "
        "f.dispatchEvent(new Event('input')); })()"
    )
    row = browser.wait_for(
        f"(() => {{ const rows = {TABLE}; return rows.length === 1 && rows[0]; }})()", timeout=10
    )
    assert row == ["777", "InProgress", "1", "0.000123", "0.000123"]
    assert browser.evaluate("window.__notReloaded && window.__dash.results") == before + 1


def test_running_tuner_updates_live(browser, experiments_root, dashboard):
    open_experiment(browser, dashboard, "live-run")
    assert browser.evaluate("document.querySelector('#exp-status').textContent") == "running"
    browser.evaluate("window.__notReloaded = true")
    first = browser.evaluate("window.__dash.results")
    grown = browser.wait_for(
        f"window.__notReloaded && window.__dash.results > {first} && window.__dash.results",
        timeout=15,
    )
    assert grown > first
    assert browser.evaluate("window.__dash.errors") == []


def test_crafted_path_is_404_in_the_browser(browser, experiments_root, dashboard):
    _, names = experiments_root
    browser.goto(dashboard)
    browser.wait_for("window.__dash && window.__dash.page === 'list'")
    statuses = browser.evaluate(
        f"""Promise.all([
            'api/experiments/..%2F..%2F..%2Fetc%2Fpasswd/data',
            'api/experiments/%2e%2e/data',
            'api/experiments/{names["asha"]}/trials/..%2F..%2F..%2Fetc/std.out',
            'static/..%2Fserver.py',
        ].map(u => fetch(u).then(r => r.status)))"""
    )
    assert statuses == [404, 404, 404, 404]
    browser.goto(f"{dashboard}#/exp/..%2F..%2Fetc")
    text = browser.wait_for(
        "document.querySelector('#exp-info') && document.querySelector('#exp-info').textContent"
    )
    assert "no such experiment" in text and "404" in text


def test_pause_and_resume_marks(browser, experiments_root, dashboard, artifact_dir):
    root, names = experiments_root
    name = names["promotion"]
    expected = {"STOP": 0, "PAUSE": 0, "RESUME": 0}
    last: dict[int, str] = {}
    for line in (root / name / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event["event"] == "decision" and event["decision"] in expected:
            expected[event["decision"]] += 1
        elif event["event"] == "status":
            if event["status"] == "InProgress" and last.get(event["trial_id"]) == "Paused":
                expected["RESUME"] += 1
            last[event["trial_id"]] = event["status"]
    assert expected["PAUSE"] > 0 and expected["RESUME"] > 0  # the run paused and resumed
    open_experiment(browser, dashboard, name)
    assert browser.evaluate("window.__dash.marks") == expected
    assert browser.evaluate("window.__dash.errors") == []
    browser.screenshot(artifact_dir / "dashboard-pause-resume.png")
